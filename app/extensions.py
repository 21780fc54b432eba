"""Flask extensions, created unbound and bound to each app with ``init_app``."""

from __future__ import annotations

from flask_login import LoginManager
from htmx_flask import Htmx

from app.web.compression import SameSiteCompress
from app.web.csrf import MaskedCSRFProtect

compress = SameSiteCompress()
csrf = MaskedCSRFProtect()
login_manager = LoginManager()
htmx = Htmx()
