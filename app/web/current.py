"""The application object itself, for work that leaves the request: threads, the worker."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy


def current_app_object() -> Flask:
    """The app behind the ``current_app`` proxy, which other threads cannot follow."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
