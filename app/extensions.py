"""Flask extensions, created unbound and bound to each app with ``init_app``."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

csrf = CSRFProtect()
login_manager = LoginManager()
htmx = Htmx()
