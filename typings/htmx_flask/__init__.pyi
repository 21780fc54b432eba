from typing import Any

from flask import Flask

class Htmx:
    def init_app(self, app: Flask) -> None: ...

request: Any
