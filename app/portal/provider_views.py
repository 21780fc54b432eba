"""Registering and looking after providers in the portal.

Register and edit share one form (:mod:`app.portal.provider_form`) with three
buttons: preview runs a real refresh without saving (:mod:`app.partners.preview`),
save registers through :func:`app.partners.providers.create_provider` or edits through
:func:`app.partners.changes.update_provider`, and the row buttons add or remove
a survey question. With htmx the form swaps itself in place; without
JavaScript every button is an ordinary POST that renders the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import col, func, select
from werkzeug.datastructures import MultiDict

from app import db
from app.ingest.history import newest_refresh, refresh_page
from app.ingest.sources import fetch_policy
from app.models import (
    Card,
    Event,
    Provider,
    ProviderRefresh,
    ProviderStatus,
    SurveyAnswer,
    stored_id,
)
from app.partners.changes import (
    ProviderConflict,
    delete_provider,
    pause_provider,
    queue_refresh,
    resume_provider,
    update_provider,
)
from app.partners.health import health_of
from app.partners.preview import PreviewResult
from app.partners.providers import ProviderProblems, create_provider, partner_kinds
from app.partners.surveys import asks_questions
from app.partners.uploads import MAX_UPLOAD_BYTES, UploadProblem, store_image
from app.portal.access import is_staff, org, partner_blueprint, provider_or_404
from app.portal.intervals import interval_words
from app.portal.provider_form import ProviderForm
from app.portal.responses import see_other
from app.portal.schema_form import FormField, build_fields
from app.taxonomy_store import taxonomy
from app.web.htmx import is_htmx, redirect_back, render_page_or_fragment
from app.web.uploads import accepts_uploads
from cards.registry import UnknownKind, get_kind
from cards.spec import CardKind

bp = partner_blueprint("portal_providers", "/portal/<org>/providers")

RECENT_CARDS = 12
HISTORY_PAGE = 10
# "Refresh now" waits for the worker's next tick; the page stops asking after this many
# polls two seconds apart (5 minutes) and says to reload instead.
MOST_POLLS = 150


def _kind_or_404(name: str) -> CardKind[Any]:
    try:
        kind = get_kind(name)
    except UnknownKind:
        kind = None
    # Plaza's staff publish their own kinds from the console (app.staff.editorial_views).
    if kind is None or kind.staff_only or kind.kept_by_plaza:
        abort(404, description=f"There is no kind {name!r}; choose one from the list.")
    return kind


@bp.get("/new")
def choose_kind() -> ResponseReturnValue:
    """Step one: every installed kind, plugins included, with what it does."""
    return render_template("portal/choose_kind.html", kinds=partner_kinds())


@bp.route("/new/<kind_name>", methods=["GET", "POST"])
@accepts_uploads(MAX_UPLOAD_BYTES)
def register(kind_name: str) -> ResponseReturnValue:
    kind = _kind_or_404(kind_name)
    if request.method == "GET":
        return _render_form(ProviderForm(kind=kind), None)

    def save(form: ProviderForm, interval: int | None) -> Provider:
        return create_provider(
            db.session(),
            org(),
            kind.name,
            form.config,
            taxonomy=taxonomy(),
            policy=fetch_policy(current_app),
            interests=form.interests,
            name=form.name or None,
            interval_seconds=interval,
        )

    return _submit(kind, None, save, "{name} is saved. Its first cards arrive within a minute.")


@bp.route("/<id:provider_id>/edit", methods=["GET", "POST"])
@accepts_uploads(MAX_UPLOAD_BYTES)
def edit(provider_id: int) -> ResponseReturnValue:
    provider = provider_or_404(provider_id)
    kind = _kind_or_404(provider.kind)
    if request.method == "GET":
        return _render_form(ProviderForm.for_provider(kind, provider), provider)

    def save(form: ProviderForm, interval: int | None) -> Provider:
        update_provider(
            db.session(),
            provider,
            form.config,
            taxonomy=taxonomy(),
            policy=fetch_policy(current_app),
            interests=form.interests,
            name=form.name or None,
            interval_seconds=interval,
            now=datetime.now(UTC),
        )
        return provider

    return _submit(kind, provider, save, "{name} is saved.")


def _submit(
    kind: CardKind[Any],
    provider: Provider | None,
    save: Callable[[ProviderForm, int | None], Provider],
    saved_message: str,
) -> ResponseReturnValue:
    """One of the form's buttons: a row added or removed, preview, or save."""
    submitted, upload_problems = _with_uploads(request.form)
    form, changed_rows = ProviderForm.from_submission(kind, submitted)
    action = request.form.get("action", "")
    if changed_rows or upload_problems:
        form.add_problems(upload_problems)
        return _render_form(form, provider)
    if action == "preview":
        return _render_form(form, provider, _preview(form, provider))
    if action != "save":
        abort(400, description="Use the Preview or Save button.")
    session = db.session()
    interval = form.interval_seconds()  # a typo here is reported with everything else
    try:
        saved = save(form, interval)
    except ProviderProblems as problems:
        form.add_problems(problems.problems)
    if form.errors:
        session.rollback()
        return _render_form(form, provider)
    session.commit()
    flash(saved_message.format(name=saved.name), "info")
    return see_other(url_for("portal_providers.detail", provider_id=saved.id))


def _with_uploads(form: MultiDict[str, str]) -> tuple[MultiDict[str, str], list[tuple[str, str]]]:
    """The form with each picture uploaded for a field (``<field>.upload``) stored and
    put in that field as its address on Plaza; and what was wrong with the others. A
    stored picture stays stored whatever else the form gets wrong, so it is not sent
    twice: the field shows its address when the form comes back."""
    submitted = form.copy()
    problems: list[tuple[str, str]] = []
    session = db.session()
    for name, upload in request.files.items(multi=True):
        if not name.endswith(".upload") or not upload.filename:
            continue
        key = name.removesuffix(".upload")
        try:
            stored = store_image(session, org(), current_user, upload.stream, datetime.now(UTC))
        except UploadProblem as problem:
            problems.append((key, str(problem)))
            continue
        session.commit()
        submitted[key] = url_for("media.image", digest=stored.digest)
    return submitted, problems


def _preview(form: ProviderForm, provider: Provider | None) -> PreviewResult | None:
    """Validate like a save would, then run the refresh; None when the form has errors."""
    return form.preview(org(), datetime.now(UTC), provider.demo_samples if provider else None)


def _render_form(
    form: ProviderForm, provider: Provider | None, preview: PreviewResult | None = None
) -> ResponseReturnValue:
    return form.render(
        "portal/provider_form.html",
        org(),
        preview,
        provider=provider,
        action_url=(
            url_for("portal_providers.edit", provider_id=provider.id)
            if provider
            else url_for("portal_providers.register", kind_name=form.kind.name)
        ),
    )


@bp.get("/<id:provider_id>")
def detail(provider_id: int) -> ResponseReturnValue:
    """Health, settings, the newest cards, the refresh history and what was left out."""
    return render_template("portal/provider_detail.html", **_detail_context(provider_id))


@bp.get("/<id:provider_id>/history")
def history(provider_id: int) -> ResponseReturnValue:
    """One page of the refresh history: the fragment for htmx, the whole page without."""
    return render_page_or_fragment(
        "portal/provider_detail.html",
        "portal/_refresh_history.html",
        **_detail_context(provider_id),
    )


def _detail_context(
    provider_id: int, known: tuple[Provider, ProviderRefresh | None] | None = None
) -> dict[str, Any]:
    """What the provider page shows; ``known``: the provider and its newest refresh,
    when the caller read them already."""
    session = db.session()
    provider, newest = known or (
        provider_or_404(provider_id),
        newest_refresh(session, provider_id),
    )
    now = datetime.now(UTC)
    kind = _installed_kind(provider)
    settings: list[FormField] = []
    if kind is not None:
        settings, _ = build_fields(kind.config_model.model_json_schema(), provider.config, {})
    cards = session.exec(
        select(Card)
        .where(Card.provider_id == provider_id)
        .order_by(col(Card.published_at).desc(), col(Card.id).desc())
        .limit(RECENT_CARDS)
    ).all()
    asked = request.args.get("page", "")
    current = max(int(asked), 1) if asked.isdigit() else 1
    refreshes, total = refresh_page(session, provider_id, current, HISTORY_PAGE)
    pages = max(1, -(-total // HISTORY_PAGE))
    if current > pages:  # an old link, or a typo: the oldest page there is
        current = pages
        refreshes, total = refresh_page(session, provider_id, current, HISTORY_PAGE)
    return {
        "provider": provider,
        "health": health_of(session, [provider], now)[0],
        "settings": settings,
        "interests": [(slug, taxonomy().name(slug)) for slug in provider.interests],
        "cards": cards,
        "interval": interval_words(provider.interval_seconds),
        "is_survey": asks_questions(provider),
        # Plaza writes a kept provider's settings (its community's posts): pause it, no more.
        "kept": kind is not None and kind.kept_by_plaza,
        "refreshes": refreshes,
        "history_page": current,
        "history_pages": pages,
        "newest_refresh": newest,
        "refresh_state": _refresh_state(provider, now),
        "after": stored_id(newest) if newest else 0,
        "tries": 0,
        "oob": False,
    }


def _refresh_state(provider: Provider, now: datetime) -> str:
    """ "waiting" while a refresh is due (asked for, or the first one), else "idle": the
    page then polls its status until the worker has written the refresh's row."""
    due = provider.next_run_at is not None and provider.next_run_at <= now
    running = provider.status in (ProviderStatus.ACTIVE, ProviderStatus.BACKING_OFF)
    return "waiting" if due and running else "idle"


@bp.get("/<id:provider_id>/status")
def status(provider_id: int) -> ResponseReturnValue:
    """The refresh status the provider page polls after "Refresh now": still waiting
    (the fragment asks again in two seconds), or the refresh's outcome, with the health,
    cards and history swapped in out of band (the fragment no longer polls)."""
    after, tries = request.args.get("after", ""), request.args.get("tries", "")
    return _status_response(
        provider_id, int(after) if after.isdigit() else 0, int(tries) if tries.isdigit() else 0
    )


def _status_response(
    provider_id: int, after: int, tries: int, *, queued: bool = False
) -> ResponseReturnValue:
    """Done once a refresh newer than row ``after`` is recorded; ``tries`` polls so far.
    Just ``queued``, the health (its next run, now) is swapped in with it. A poll that
    finds it still waiting reads the provider and its newest refresh, nothing more."""
    provider = provider_or_404(provider_id)
    newest = newest_refresh(db.session(), provider_id)
    if newest is not None and stored_id(newest) > after:
        state = "done"
    elif provider.status not in (ProviderStatus.ACTIVE, ProviderStatus.BACKING_OFF):
        state = "stopped"  # paused or suspended meanwhile: no refresh is coming
    elif tries >= MOST_POLLS:
        state = "slow"
    else:
        state = "waiting"
    whole = state == "done" or queued or not is_htmx()  # else the status fragment alone
    context: dict[str, Any] = (
        _detail_context(provider_id, (provider, newest))
        if whole
        else {"provider": provider, "newest_refresh": newest}
    )
    context.update(
        refresh_state=state, after=after, tries=tries + 1, oob=state == "done", queued=queued
    )
    return render_page_or_fragment(
        "portal/provider_detail.html", "portal/_refresh_status.html", **context
    )


def _installed_kind(provider: Provider) -> CardKind[Any] | None:
    try:
        return get_kind(provider.kind)
    except UnknownKind:
        return None


@bp.post("/<id:provider_id>/pause")
def pause(provider_id: int) -> ResponseReturnValue:
    provider = provider_or_404(provider_id)
    return _change(provider, lambda: pause_provider(provider), f"{provider.name} is paused.")


@bp.post("/<id:provider_id>/resume")
def resume(provider_id: int) -> ResponseReturnValue:
    provider = provider_or_404(provider_id)
    return _change(
        provider,
        lambda: resume_provider(provider, datetime.now(UTC), by_staff=is_staff()),
        f"{provider.name} is active again; it refreshes within a minute.",
    )


@bp.post("/<id:provider_id>/refresh")
def refresh(provider_id: int) -> ResponseReturnValue:
    """Make the provider due now. With htmx the answer is the status fragment, which
    polls until the worker has refreshed it and then shows the outcome in place."""
    provider = provider_or_404(provider_id)
    newest = newest_refresh(db.session(), provider_id)
    if is_htmx():
        session = db.session()
        try:
            queue_refresh(provider, datetime.now(UTC))
        except ProviderConflict as exc:
            session.rollback()
            return _status_message(provider, str(exc))
        session.add(provider)
        session.commit()
        return _status_response(provider_id, stored_id(newest) if newest else 0, 0, queued=True)
    return _change(
        provider,
        lambda: queue_refresh(provider, datetime.now(UTC)),
        f"{provider.name} refreshes within a minute; its outcome appears below the actions.",
    )


def _status_message(provider: Provider, message: str) -> ResponseReturnValue:
    return render_template(
        "portal/_refresh_status.html",
        provider=provider,
        refresh_state="refused",
        message=message,
        oob=False,
    )


def _change(provider: Provider, change: Callable[[], None], message: str) -> ResponseReturnValue:
    session = db.session()
    try:
        change()
    except ProviderConflict as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect_back()
    session.add(provider)
    session.commit()
    flash(message, "info")
    return redirect_back()


@bp.route("/<id:provider_id>/delete", methods=["GET", "POST"])
def delete(provider_id: int) -> ResponseReturnValue:
    """A confirmation page that says what goes, then the delete itself."""
    provider = provider_or_404(provider_id)
    session = db.session()
    if request.method == "POST":
        name = provider.name
        delete_provider(session, provider)
        session.commit()
        flash(f"{name} and its cards are deleted.", "info")
        return see_other(url_for("portal.dashboard"))
    card_ids = select(Card.id).where(Card.provider_id == provider_id)
    return render_template(
        "portal/provider_delete.html",
        provider=provider,
        card_count=session.exec(
            select(func.count()).select_from(Card).where(Card.provider_id == provider_id)
        ).one(),
        event_count=session.exec(
            select(func.count()).select_from(Event).where(Event.provider_id == provider_id)
        ).one(),
        answer_count=session.exec(
            select(func.count())
            .select_from(SurveyAnswer)
            .where(col(SurveyAnswer.card_id).in_(card_ids))
        ).one(),
    )
