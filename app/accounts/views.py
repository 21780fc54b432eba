"""Sign up, log in, log out.

Login attempts are counted in the database (not in process memory) so that
the limit holds across every web process; a locked-out person is told how long
to wait. Unknown emails cost the same Argon2 verification as known ones, so the
response time does not reveal who has an account.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func
from sqlmodel import Session, select
from wtforms import BooleanField, EmailField, Field, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app import db
from app.accounts import two_factor
from app.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from app.accounts.sessions import user_for_cookie
from app.accounts.users import AccountError, create_user, find_user
from app.extensions import login_manager
from app.models import LoginAttempt, Role, User, stored_id
from app.notifications.config import notify_config
from app.notifications.preferences import detect_timezone
from app.notifications.timing import is_known_timezone
from app.web.htmx import is_htmx
from app.web.redirects import same_site_path

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    # Opt-in: a remember-me cookie outlives the browser session (until logout).
    remember = BooleanField("Keep me signed in on this device")


def known_timezone(form: FlaskForm, field: Field) -> None:
    if field.data and not is_known_timezone(field.data):
        raise ValidationError(
            f"Plaza does not know the time zone your browser reported (“{field.data[:64]}”). "
            "Sign up again to use UTC for now; you can choose your zone in notification settings."
        )


class SignupForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Email("Enter a valid email address."), Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    # Filled by notifications.js from the browser, so quiet hours and digests follow the
    # shopper's clock from the start; empty without JavaScript (UTC until they choose).
    timezone = HiddenField(validators=[known_timezone])


def load_user(cookie_id: str) -> User | None:
    return user_for_cookie(db.session(), cookie_id)


login_manager.user_loader(load_user)


def unauthorized() -> ResponseReturnValue:
    """Browsers go to the login page; htmx gets a 401 that tells it to go there."""
    target = url_for("auth.login", next=same_site_path(request.full_path.rstrip("?")))
    if is_htmx():
        response = Response("Log in to continue.", status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash("Log in to see your feed.", "info")
    return redirect(target)


login_manager.unauthorized_handler(unauthorized)


def _home_for(user: User) -> str:
    if user.role == Role.CONSUMER and user.onboarded_at is None:
        return url_for("interests.onboarding")
    return url_for("feed.home")


def _form_page(template: str, form: FlaskForm) -> tuple[str, int]:
    """The empty form, or the form with its errors (400) after a bad submission."""
    return render_template(template, form=form), 400 if request.method == "POST" else 200


def _lockout_seconds(session: Session, email: str, ip: str, now: datetime) -> int:
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    since = now - window
    for column, value, limit in (
        (LoginAttempt.email, email, config["LOGIN_MAX_FAILURES"]),
        (LoginAttempt.ip, ip, config["LOGIN_MAX_FAILURES_PER_IP"]),
    ):
        failures, oldest = session.exec(
            select(func.count(), func.min(LoginAttempt.created_at)).where(
                column == value,
                LoginAttempt.succeeded == False,  # noqa: E712
                LoginAttempt.created_at > since,
            )
        ).one()
        if failures >= limit and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            return max(1, math.ceil((oldest + window - now).total_seconds()))
    return 0


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:  # a link that asked them to sign in goes on
        return redirect(same_site_path(request.args.get("next")) or _home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return _form_page("auth/login.html", form)
    session = db.session()
    email = (form.email.data or "").strip().lower()
    ip = request.remote_addr or "unknown"
    now = datetime.now(UTC)
    wait = _lockout_seconds(session, email, ip, now)
    if wait:
        minutes = math.ceil(wait / 60)
        form.form_errors.append(
            f"Too many failed attempts. Try again in {minutes} minute{'s' * (minutes != 1)}."
        )
        response = Response(render_template("auth/login.html", form=form), status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = find_user(session, email)
    if user is None:
        hash_password(form.password.data or "")  # same cost as a real check
        ok = False
    else:
        ok = verify_password(user.password_hash, form.password.data or "") and user.active
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok, created_at=now))
    session.commit()
    if not ok or user is None:
        form.form_errors.append("Wrong email or password.")
        return render_template("auth/login.html", form=form), 401
    if two_factor.enabled(user):  # the password was right; the second factor comes next
        cookie_session[PENDING] = {
            "account": user.get_id(),
            "remember": bool(form.remember.data),
            "next": same_site_path(request.args.get("next")),
            "since": now.timestamp(),
        }
        return redirect(url_for("auth.second_factor"), code=303)
    login_user(user, remember=bool(form.remember.data))
    return redirect(same_site_path(request.args.get("next")) or _home_for(user), code=303)


PENDING = "second_factor"
PENDING_FOR = timedelta(minutes=10)


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code from your app, or a recovery code", validators=[DataRequired(), Length(max=20)]
    )


def _pending_user(now: datetime) -> tuple[User, dict[str, Any]] | None:
    """The account whose password was just given, while its second factor is awaited."""
    pending = cookie_session.get(PENDING)
    if not isinstance(pending, dict) or now.timestamp() - pending.get("since", 0) > (
        PENDING_FOR.total_seconds()
    ):
        return None
    user = user_for_cookie(db.session(), str(pending.get("account", "")))
    return (user, pending) if user is not None and two_factor.enabled(user) else None


@bp.route("/login/two-factor", methods=["GET", "POST"])
def second_factor() -> ResponseReturnValue:
    now = datetime.now(UTC)
    found = _pending_user(now)
    if found is None:
        cookie_session.pop(PENDING, None)
        flash("Log in again: the time for the second step ran out.", "info")
        return redirect(url_for("auth.login"), code=303)
    user, pending = found
    form = SecondFactorForm()
    if not form.validate_on_submit():
        return _form_page("auth/two_factor.html", form)
    try:
        used = two_factor.check_code(db.session(), user, form.code.data or "", now)
    except two_factor.CodeRefused as exc:
        form.code.errors = [str(exc)]
        return render_template("auth/two_factor.html", form=form), 401
    cookie_session.pop(PENDING, None)
    login_user(user, remember=bool(pending.get("remember")))
    if used == "recovery":
        left = two_factor.recovery_codes_left(db.session(), user)
        flash(
            f"You used a recovery code; {left} left. You can make new ones on your account page.",
            "info",
        )
    return redirect(pending.get("next") or _home_for(user), code=303)


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("feed.home"))
    form = SignupForm()
    if not form.validate_on_submit():
        return _form_page("auth/signup.html", form)
    session = db.session()
    try:
        user = create_user(session, form.email.data or "", form.password.data or "")
    except AccountError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return render_template("auth/signup.html", form=form), 409
    if form.timezone.data:
        now = datetime.now(UTC)
        digest_hour = notify_config(current_app).digest_hour
        detect_timezone(session, stored_id(user), form.timezone.data, now, digest_hour)
    session.commit()
    login_user(user)
    flash("Welcome to Plaza! Pick a few interests to start your feed.", "info")
    return redirect(url_for("interests.onboarding"), code=303)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Ends every session of the account: the token its cookies carry is replaced, so a
    copy of this session's cookie or of its remember-me cookie no longer signs in."""
    user = db.session().get(User, current_user.id)
    if user is not None:
        user.end_sessions()
        db.session().commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), code=303)
