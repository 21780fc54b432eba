from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask
from wtforms import Form

_View = TypeVar("_View", bound=Callable[..., Any] | Blueprint)

class FlaskForm(Form):
    def validate_on_submit(self, extra_validators: Any = ...) -> bool: ...
    def is_submitted(self) -> bool: ...

class CSRFProtect:
    def init_app(self, app: Flask) -> None: ...
    def exempt(self, view: _View) -> _View: ...
