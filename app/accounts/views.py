"""Sign up, log in (with a second factor where one is set up), log out.

Sign-up takes an address and answers "check your inbox" whoever owns it; the
emailed link chooses the password (:mod:`app.accounts.signup`). Failed logins slow
further attempts down (:mod:`app.accounts.throttle`); a right password leads to the
second factor (:mod:`app.accounts.two_factor`) when the account has one, and only
then does the login start a fresh session, remembered if the person asked
(:mod:`app.accounts.sessions`), one per browser. Unknown emails cost the same Argon2
verification as known ones, so the response time does not reveal who has an account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, EmailField, Field, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, StopValidation, ValidationError

from app import db
from app.accounts import two_factor
from app.accounts.lookalikes import hidden_characters
from app.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from app.accounts.sessions import (
    begin_session,
    current_session_id,
    end_session,
    login_refusal,
    user_for_cookie,
)
from app.accounts.signup import (
    LinkInvalid,
    TooManyEmails,
    make_link_token,
    offer_account,
    read_link_token,
)
from app.accounts.throttle import (
    client_ip,
    describe_wait,
    forget_device,
    known_device,
    remember_device,
    wait_seconds,
)
from app.accounts.users import (
    AccountError,
    WeakPassword,
    create_user,
    find_user,
    normalise_email,
)
from app.extensions import login_manager
from app.models import LoginAttempt, Role, User, stored_id
from app.notifications.config import notify_config
from app.notifications.preferences import detect_timezone
from app.notifications.timing import is_known_timezone
from app.web.app_shell import clear_browser_cache
from app.web.emailed_links import forget_secret, stash_secret, stashed_secret
from app.web.htmx import is_htmx
from app.web.redirects import same_site_path

bp = Blueprint("auth", __name__)
SIGNUP = "signup"  # where the emailed link's token waits in the session (app.web.emailed_links)


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


def visible_characters(form: FlaskForm, field: Field) -> None:
    hidden = hidden_characters(field.data or "")
    if hidden:
        raise StopValidation(
            "That email address contains invisible or direction-changing characters "
            f"({', '.join(hidden[:3])}); type it again."
        )


class SignupForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            visible_characters,
            Email("Enter a valid email address."),
            Length(max=254),
        ],
    )
    # Filled by notifications.js from the browser, so quiet hours and digests follow the
    # shopper's clock from the start; empty without JavaScript (UTC until they choose).
    timezone = HiddenField(validators=[known_timezone])


class PasswordForm(FlaskForm):
    """The second step of signing up, from the emailed link."""

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


def load_user(cookie_id: str) -> User | None:
    return user_for_cookie(db.session(), cookie_id, datetime.now(UTC))


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
    """Where a sign-in without ``?next`` lands: the work each role came for. Retailers who
    belong to an organisation go to its portal, staff to their console, shoppers to their
    feed (onboarding first, until they have picked interests). Portal and console keep a
    link to the shopper feed."""
    if user.role == Role.STAFF:
        return url_for("staff.console")
    if user.role == Role.RETAILER and user.organization_id is not None:
        return url_for("portal.index")
    if user.role == Role.CONSUMER and user.onboarded_at is None:
        return url_for("interests.onboarding")
    return url_for("feed.home")


def _form_page(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """The empty form, or the form with its errors (400) after a bad submission."""
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:  # a link that asked them to sign in goes on
        return redirect(same_site_path(request.args.get("next")) or _home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return _form_page("auth/login.html", form)
    session = db.session()
    email = (form.email.data or "").strip().lower()
    ip = client_ip()
    now = datetime.now(UTC)
    user = find_user(session, email)
    known = known_device(request, user.id if user else None)
    wait = 0 if known else wait_seconds(session, email, ip, now)
    if wait:
        form.form_errors.append(f"Too many failed attempts. Try again in {describe_wait(wait)}.")
        response = Response(render_template("auth/login.html", form=form), status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    if user is None:
        hash_password(form.password.data or "")  # same cost as a real check
        ok = False
    else:
        ok = verify_password(user.password_hash, form.password.data or "") and user.active
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok, created_at=now))
    session.commit()
    if not ok or user is None:
        form.form_errors.append("Wrong email or password.")
        refused = make_response(render_template("auth/login.html", form=form), 401)
        if known:
            forget_device(refused)  # a stolen device cookie buys one unthrottled guess
        return refused
    if two_factor.enabled(user):  # the password was right; the second factor comes next
        cookie_session[PENDING] = {
            "account": user.id,
            "remember": bool(form.remember.data),
            "next": same_site_path(request.args.get("next")),
            "since": now.timestamp(),
        }
        return redirect(url_for("auth.second_factor"), code=303)
    return _signed_in(user, bool(form.remember.data), same_site_path(request.args.get("next")))


def _signed_in(user: User, remember: bool, next_path: str | None) -> BaseResponse:
    """Sign ``user`` in on a fresh session, as they chose about remembering it, and mark
    this browser as a device that signed in to the account (see app.accounts.throttle).

    A suspended or banned account gets no session: the page says why, until when, and
    where to appeal (this browser may read the decisions page for a while)."""
    refused = login_refusal(db.session(), user, datetime.now(UTC))
    if refused is not None:
        cookie_session.pop(PENDING, None)
        return make_response(render_template("auth/turned_away.html", message=refused), 403)
    begin_session(db.session(), user, remember=remember, now=datetime.now(UTC))
    signed_in = redirect(next_path or _home_for(user), code=303)
    remember_device(signed_in, stored_id(user))
    return signed_in


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
    account = pending.get("account")
    user = db.session().get(User, account) if isinstance(account, int) else None
    if user is None or not user.active or not two_factor.enabled(user):
        return None
    return user, pending


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
    signed_in = _signed_in(user, bool(pending.get("remember")), pending.get("next"))
    if used == "recovery":
        left = two_factor.recovery_codes_left(db.session(), user)
        flash(
            f"You used a recovery code; {left} left. You can make new ones on your account page.",
            "info",
        )
    return signed_in


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """The address first; the same answer whether or not it has an account (the email
    differs: :mod:`app.accounts.signup`)."""
    if current_user.is_authenticated:
        return redirect(url_for("feed.home"))
    form = SignupForm()
    if not form.validate_on_submit():
        return _form_page("auth/signup.html", form)
    try:
        address = normalise_email(form.email.data or "")
    except AccountError as exc:
        form.form_errors.append(str(exc))
        return render_template("auth/signup.html", form=form), 400
    token = make_link_token(address, tz=form.timezone.data or None)
    finish = url_for("auth.finish_signup_link", token=token)
    try:
        offer_account(db.session(), address, finish, ip=client_ip(), now=datetime.now(UTC))
    except TooManyEmails as exc:
        form.form_errors.append(exc.message)
        page = render_template("auth/signup.html", form=form)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    return render_template("auth/check_inbox.html", email=address)


@bp.get("/signup/finish/<token>")
def finish_signup_link(token: str) -> ResponseReturnValue:
    """The emailed link: its token goes into the session, and the browser to the page
    that finishes signing up, whose address does not hold it."""
    return stash_secret(SIGNUP, token, url_for("auth.finish_signup"))


@bp.route("/signup/finish", methods=["GET", "POST"])
def finish_signup() -> ResponseReturnValue:
    """Choose a password, and the account exists."""
    try:
        data = read_link_token(stashed_secret(SIGNUP))
    except LinkInvalid as exc:
        forget_secret(SIGNUP)
        return render_template("auth/link_problem.html", problem=str(exc)), 410
    session = db.session()
    address = str(data["e"])
    if find_user(session, address) is not None:
        forget_secret(SIGNUP)
        flash("Your account is ready: log in.", "info")
        return redirect(url_for("auth.login"), code=303)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _form_page("auth/signup_finish.html", form, email=address)
    try:
        user = create_user(session, address, form.password.data or "")
    except AccountError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        status = 400 if isinstance(exc, WeakPassword) else 409
        return render_template("auth/signup_finish.html", form=form, email=address), status
    timezone = data.get("tz")
    if isinstance(timezone, str) and is_known_timezone(timezone):
        now = datetime.now(UTC)
        digest_hour = notify_config(current_app).digest_hour
        detect_timezone(session, stored_id(user), timezone, now, digest_hour)
    session.commit()
    # remember-me is opt-in, at the login form
    begin_session(session, user, remember=False, now=datetime.now(UTC))
    flash("Welcome to Plaza! Pick a few interests to start your feed.", "info")
    return redirect(url_for("interests.onboarding"), code=303)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Ends this browser's session: its row goes, so a copy of its session cookie or of
    its remember-me cookie no longer signs in. The account's other browsers go on.

    The browser empties its HTTP cache too (``Clear-Site-Data``), and the service worker
    drops the account's offline pages when it sees the signed-out login page."""
    session_id = current_session_id()
    if session_id is not None:
        end_session(db.session(), current_user.id, session_id)
    logout_user()
    flash("You are logged out.", "info")
    return clear_browser_cache(redirect(url_for("auth.login"), code=303))
