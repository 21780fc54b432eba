"""The account page (``/account``) and the links emailed from it: name, address,
password, signing out everywhere, and a forgotten password.

Every refusal re-renders the page with the reason next to the form it concerns (400,
or 403 for a wrong current password) and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, Email, Length

from app import db
from app.accounts import throttle, two_factor
from app.accounts.changes import (
    WRONG_PASSWORD,
    change_password,
    confirm_email_change,
    request_email_change,
    request_reset,
    reset_password,
    set_display_name,
)
from app.accounts.deletion import delete_account
from app.accounts.export import export_account
from app.accounts.links import LinkInvalid, find_link
from app.accounts.passwords import MAX_PASSWORD_LENGTH, verify_password
from app.accounts.sessions import (
    current_session_id,
    end_other_sessions,
    end_session,
    signed_in_browsers,
)
from app.accounts.users import AccountError
from app.models import Role, TokenPurpose, User, stored_id
from app.taxonomy_store import taxonomy
from app.web.emailed_links import forget_secret, stash_secret, stashed_secret

bp = Blueprint("account", __name__)

RESET_WINDOW = timedelta(hours=1)
RESETS_PER_ADDRESS = 3  # emails to one address an hour: enough for a lost one, no flood
RESETS_PER_IP = 20
# Where the emailed links' secrets wait in the session (app.web.emailed_links).
RESET, CONFIRM = "reset_password", "confirm_email"
NO_LINK = (
    "This page needs the link from your email. Open the link again; if it was used, "
    "ask for a new one."
)


class NameForm(FlaskForm):
    display_name = StringField("Display name", validators=[Length(max=100)])


class EmailChangeForm(FlaskForm):
    new_email = EmailField(
        "New email",
        validators=[DataRequired(), Email("Enter a valid email address."), Length(max=254)],
    )
    password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(
        "New password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class DeleteForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])
    code = StringField(
        "Code from your app, or a recovery code", validators=[Length(max=20)]
    )  # asked only of accounts with two-factor authentication
    writing = RadioField(
        "What you wrote in survey answers, questions, answers and ideas",
        choices=[
            SelectChoice("remove", "Remove it"),
            SelectChoice("keep", "Leave it, with nothing that says it was mine"),
        ],
        default="remove",
        validators=[DataRequired()],
    )


class CodeForm(FlaskForm):
    code = StringField("Code from your app", validators=[DataRequired(), Length(max=20)])


class TurnOffForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])
    code = StringField(
        "Code from your app, or a recovery code", validators=[DataRequired(), Length(max=20)]
    )


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    new = PasswordField(
        "New password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _me() -> User:
    user = db.session().get(User, current_user.id)
    assert user is not None  # login_required loaded it this request
    return user


def _page(status: int = 200, **forms: FlaskForm) -> ResponseReturnValue:
    user = _me()
    context = {
        "name_form": NameForm(prefix="name", display_name=user.display_name),
        "email_form": EmailChangeForm(prefix="email"),
        "password_form": PasswordChangeForm(prefix="password"),
        "off_form": TurnOffForm(prefix="off"),
        "codes_form": CodeForm(prefix="codes"),
        **forms,
    }
    return render_template(
        "account/index.html",
        user=user,
        two_factor_on=two_factor.enabled(user),
        recovery_left=two_factor.recovery_codes_left(db.session(), user),
        browsers=signed_in_browsers(db.session(), stored_id(user), _now()),
        **context,
    ), status


@bp.get("/account")
@login_required
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/account/name")
@login_required
def change_name() -> ResponseReturnValue:
    form = NameForm(prefix="name")
    if not form.validate_on_submit():
        return _page(400, name_form=form)
    try:
        set_display_name(db.session(), _me(), form.display_name.data or "")
    except AccountError as exc:
        form.display_name.errors = [str(exc)]
        return _page(400, name_form=form)
    flash("Your name is saved.", "info")
    return redirect(url_for("account.index"), code=303)


@bp.post("/account/email")
@login_required
def change_email() -> ResponseReturnValue:
    form = EmailChangeForm(prefix="email")
    if not form.validate_on_submit():
        return _page(400, email_form=form)
    session = db.session()
    try:
        message = request_email_change(
            session, _me(), form.new_email.data or "", form.password.data or "", _now()
        )
    except AccountError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return _page(403 if str(exc) == WRONG_PASSWORD else 400, email_form=form)
    flash(message, "info")
    return redirect(url_for("account.index"), code=303)


@bp.get("/account/email/confirm/<token>")
def confirm_email_link(token: str) -> ResponseReturnValue:
    """The link sent to a new address: its secret goes into the session, and the
    browser to the confirmation page, whose address does not hold it."""
    return stash_secret(CONFIRM, token, url_for("account.confirm_email"))


@bp.route("/account/email/confirm", methods=["GET", "POST"])
def confirm_email() -> ResponseReturnValue:
    """A button to confirm (a link preview that follows the GET changes nothing)."""
    session = db.session()
    form = FlaskForm()
    token = stashed_secret(CONFIRM)
    try:
        if not token:
            raise LinkInvalid(NO_LINK)
        if not form.validate_on_submit():
            link = find_link(session, token, TokenPurpose.CONFIRM_EMAIL, _now())
            return render_template("account/confirm_email.html", form=form, new=link.new_email)
        user = confirm_email_change(session, token, _now())
    except (LinkInvalid, AccountError) as exc:
        forget_secret(CONFIRM)
        return render_template("account/link_problem.html", message=str(exc)), 400
    forget_secret(CONFIRM)
    flash(f"Your address is now {user.email}.", "info")
    return redirect(
        url_for("account.index" if current_user.is_authenticated else "auth.login"), code=303
    )


@bp.post("/account/password", endpoint="change_password")
@login_required
def change_password_view() -> ResponseReturnValue:
    form = PasswordChangeForm(prefix="password")
    if not form.validate_on_submit():
        return _page(400, password_form=form)
    session = db.session()
    user = _me()
    new = form.new.data or ""
    try:  # this browser goes on; every other one is signed out
        change_password(
            session, user, form.current.data or "", new, _now(), keep_session=current_session_id()
        )
    except AccountError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return _page(403 if str(exc) == WRONG_PASSWORD else 400, password_form=form)
    flash("Your password is changed, and every other device is signed out.", "info")
    return redirect(url_for("account.index"), code=303)


@bp.post("/account/sessions/end")
@login_required
def sign_out_everywhere() -> ResponseReturnValue:
    end_other_sessions(db.session(), _me())
    flash("Every other device and browser is signed out.", "info")
    return redirect(url_for("account.index"), code=303)


@bp.post("/account/sessions/<id:session_id>/end")
@login_required
def sign_out_device(session_id: int) -> ResponseReturnValue:
    """Sign out one of the account's browsers, listed on the account page. This
    browser's own is a logout; another account's session, or one already gone, is a 404
    that changes nothing."""
    if not end_session(db.session(), current_user.id, session_id):
        flash("That device is already signed out, or is not one of yours.", "error")
        return _page(404)
    if session_id == current_session_id():
        logout_user()
        flash("You are logged out.", "info")
        return redirect(url_for("auth.login"), code=303)
    flash("That device is signed out.", "info")
    return redirect(url_for("account.index"), code=303)


# --- Two-factor authentication ----------------------------------------------------

# What staff without a second factor may still reach, when it is required.
SET_UP_FIRST_ALLOWS = {
    "account.two_factor",
    "account.two_factor_qr",
    "account.two_factor_restart",
    "auth.logout",
    "auth.login",
    "pages.privacy",
    "static",
    "health.healthz",
    "health.readyz",
}


def _staff_must_set_up(user: User) -> bool:
    return _staff_required() and user.role == Role.STAFF and not two_factor.enabled(user)


@bp.before_app_request
def staff_set_up_two_factor_first() -> ResponseReturnValue | None:
    """Where the deployment requires it, staff reach nothing before their second factor
    is set up (their powers are worth more than a password)."""
    if not _staff_required() or request.endpoint in SET_UP_FIRST_ALLOWS:
        return None
    if not current_user.is_authenticated or not _staff_must_set_up(current_user):
        return None
    flash("Staff accounts need two-factor authentication. Set it up to go on.", "info")
    return redirect(url_for("account.two_factor"), code=303)


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@login_required
def two_factor_view() -> ResponseReturnValue:
    """Set-up: a QR code of a pending secret, and the first code to turn it on."""
    session = db.session()
    user = _me()
    if two_factor.enabled(user):
        return redirect(url_for("account.index"), code=303)
    if user.totp_secret is None:
        two_factor.start_setup(session, user)
        session.commit()
    form = CodeForm(prefix="setup")
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _setup_page(user, form, status)
    try:
        codes = two_factor.finish_setup(session, user, form.code.data or "", _now())
    except two_factor.CodeRefused as exc:
        form.code.errors = [str(exc)]
        return _setup_page(user, form, 401)
    end_other_sessions(session, user)  # a session that gave no second factor ends
    return _recovery_page(codes)


def _setup_page(user: User, form: FlaskForm, status: int) -> ResponseReturnValue:
    return render_template(
        "account/two_factor.html",
        form=form,
        secret=user.totp_secret,
        required=_staff_must_set_up(user),
    ), status


def _recovery_page(codes: list[str]) -> ResponseReturnValue:
    response = Response(render_template("account/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/two-factor/qr.svg")
@login_required
def two_factor_qr() -> ResponseReturnValue:
    """The pending secret as a QR code; once two-factor is on, the secret is not shown."""
    user = _me()
    if user.totp_secret is None or two_factor.enabled(user):
        return Response("No set-up is under way.", status=404)
    svg = two_factor.qr_svg(two_factor.provisioning_uri(user))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/two-factor/restart")
@login_required
def two_factor_restart() -> ResponseReturnValue:
    user = _me()
    if not two_factor.enabled(user):
        two_factor.start_setup(db.session(), user)
        db.session().commit()
    return redirect(url_for("account.two_factor"), code=303)


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off() -> ResponseReturnValue:
    form = TurnOffForm(prefix="off")
    if not form.validate_on_submit():
        return _page(400, off_form=form)
    session = db.session()
    user = _me()
    if user.role == Role.STAFF and _staff_required():
        form.form_errors.append("Staff accounts keep two-factor authentication on.")
        return _page(403, off_form=form)
    if not verify_password(user.password_hash, form.password.data or ""):
        form.form_errors.append(WRONG_PASSWORD)
        return _page(403, off_form=form)
    try:
        two_factor.check_code(session, user, form.code.data or "", _now())
    except two_factor.CodeRefused as exc:
        form.form_errors.append(str(exc))
        return _page(401, off_form=form)
    two_factor.turn_off(session, user)
    flash("Two-factor authentication is off. Signing in needs only your password now.", "info")
    return redirect(url_for("account.index"), code=303)


def _staff_required() -> bool:
    return bool(current_app.config["STAFF_TWO_FACTOR"])


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes() -> ResponseReturnValue:
    form = CodeForm(prefix="codes")
    if not form.validate_on_submit():
        return _page(400, codes_form=form)
    session = db.session()
    user = _me()
    try:
        two_factor.check_code(session, user, form.code.data or "", _now())
    except two_factor.CodeRefused as exc:
        form.form_errors.append(str(exc))
        return _page(401, codes_form=form)
    codes = two_factor.new_recovery_codes(session, user)
    session.commit()
    return _recovery_page(codes)


@bp.get("/account/export")
@login_required
def export() -> ResponseReturnValue:
    """Everything Plaza holds about the signed-in account (only theirs: no id is taken
    from the request), as a JSON download streamed while it is read."""
    now = _now()
    chunks = export_account(db.engine(), current_user.id, taxonomy(), now)
    response = Response(stream_with_context(chunks), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="plaza-account-{now.date().isoformat()}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete() -> ResponseReturnValue:
    """A confirmation page, then the deletion (only of the signed-in account)."""
    form = DeleteForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("account/delete.html", form=form, user=_me()), status
    user = _me()
    if not verify_password(user.password_hash, form.password.data or ""):
        form.password.errors = [WRONG_PASSWORD + " Nothing was deleted."]
        return render_template("account/delete.html", form=form, user=user), 403
    if two_factor.enabled(user):
        try:
            two_factor.check_code(db.session(), user, form.code.data or "", _now())
        except two_factor.CodeRefused as exc:
            form.code.errors = [f"{exc} Nothing was deleted."]
            return render_template("account/delete.html", form=form, user=user), 403
    delete_account(db.session(), user, keep_writing=form.writing.data == "keep")
    logout_user()
    flash("Your account and your data are deleted. Thank you for trying Plaza.", "info")
    return redirect(url_for("feed.home"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("account/forgot.html", form=form), status
    session = db.session()
    now = _now()
    email = (form.email.data or "").strip().lower()
    keys = (
        (throttle.address_key("reset-email", email), RESETS_PER_ADDRESS),
        (f"reset-ip:{throttle.client_ip()}"[:100], RESETS_PER_IP),
    )
    if not throttle.within_limits(session, keys, RESET_WINDOW, now):
        form.form_errors.append(
            "Several reset emails were asked for already. Look for them in your inbox "
            "(and spam folder), or try again in an hour."
        )
        response = Response(render_template("account/forgot.html", form=form), status=429)
        response.headers["Retry-After"] = str(int(RESET_WINDOW.total_seconds()))
        return response
    session.commit()
    request_reset(session, email, now)
    return render_template("account/forgot_sent.html", email=email)


@bp.get("/password/reset/<token>")
def reset_password_link(token: str) -> ResponseReturnValue:
    """The emailed reset link: its secret goes into the session, and the browser to the
    reset page, whose address does not hold it."""
    return stash_secret(RESET, token, url_for("account.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"], endpoint="reset_password")
def reset_password_view() -> ResponseReturnValue:
    session = db.session()
    form = ResetForm()
    token = stashed_secret(RESET)
    try:
        if not token:
            raise LinkInvalid(NO_LINK)
        if not form.validate_on_submit():
            find_link(session, token, TokenPurpose.RESET_PASSWORD, _now())
            status = 400 if request.method == "POST" else 200
            return render_template("account/reset.html", form=form), status
        reset_password(session, token, form.new.data or "", _now())
    except LinkInvalid as exc:
        forget_secret(RESET)
        return render_template("account/link_problem.html", message=str(exc), reset=True), 400
    except AccountError as exc:  # a weak password: the link still works for another
        form.new.errors = [str(exc)]
        return render_template("account/reset.html", form=form), 400
    forget_secret(RESET)
    if current_user.is_authenticated:
        logout_user()
    flash("Your password is changed. Log in with it.", "info")
    return redirect(url_for("auth.login"), code=303)
