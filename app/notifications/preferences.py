"""Reading and changing one consumer's notification choices.

Only choices that differ from the catalog's defaults are stored, so a new
default reaches everyone who never changed that setting. Validation happens
here, not in the view, so the settings page, the unsubscribe link and the
tests all go through the same rules; bad input raises :class:`InvalidSettings`
and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.models.notifications import NotificationPreference, NotificationSettings
from app.notifications.catalog import Category, Channel, Frequency, default_frequency
from app.notifications.timing import (
    MONDAY,
    is_known_timezone,
    next_digest_at,
    parse_clock,
    zone,
)

MAX_PUSH_CAP = 50

Choices = dict[tuple[Category, Channel], Frequency]


class InvalidSettings(ValueError):
    """A setting a person typed that cannot be saved; ``field`` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def choices_for(db: Session, user_ids: Iterable[int]) -> dict[int, Choices]:
    """Every (category, channel) frequency in force for each consumer, defaults included."""
    ids = list(set(user_ids))
    out: dict[int, Choices] = {uid: _defaults() for uid in ids}
    if ids:
        rows = db.exec(
            select(NotificationPreference).where(col(NotificationPreference.user_id).in_(ids))
        )
        for row in rows:
            try:
                key = (Category(row.category), Channel(row.channel))
                out[row.user_id][key] = Frequency(row.frequency)
            except ValueError:
                continue  # a category or channel a later release dropped
    return out


def _defaults() -> Choices:
    return {(cat, ch): default_frequency(cat, ch) for cat in Category for ch in Channel}


DEFAULT_QUIET = (22 * 60, 7 * 60)


def default_settings(user_id: int) -> NotificationSettings:
    quiet_start, quiet_end = DEFAULT_QUIET
    return NotificationSettings(user_id=user_id, quiet_start=quiet_start, quiet_end=quiet_end)


def settings_for(db: Session, user_id: int) -> NotificationSettings:
    """The stored settings, or unsaved defaults (a consumer who never changed anything)."""
    return db.get(NotificationSettings, user_id) or default_settings(user_id)


def new_settings(user_id: int, now: datetime, digest_hour: int) -> NotificationSettings:
    """Default settings with their first digests scheduled, ready to be stored."""
    settings = default_settings(user_id)
    settings.updated_at = now
    schedule_digests(settings, now, digest_hour)
    return settings


def _editable(db: Session, user_id: int, now: datetime, digest_hour: int) -> NotificationSettings:
    settings = db.get(NotificationSettings, user_id) or new_settings(user_id, now, digest_hour)
    settings.updated_at = now
    db.add(settings)
    return settings


def schedule_digests(settings: NotificationSettings, now: datetime, digest_hour: int) -> None:
    """Set when the next daily and weekly digests are due, in the consumer's zone."""
    tz = zone(settings.timezone)
    settings.daily_due_at = next_digest_at(now, tz, digest_hour)
    settings.weekly_due_at = next_digest_at(now, tz, digest_hour, MONDAY)


def _check_timezone(name: str) -> None:
    if not is_known_timezone(name):
        raise InvalidSettings(
            "timezone", f"“{name[:64]}” is not a time zone; pick one like Europe/Paris."
        )


@dataclass(frozen=True)
class SettingsForm:
    """What the settings page sent, already checked; :data:`KEEP` for what it did not."""

    choices: Mapping[tuple[Category, Channel], Frequency]
    timezone: str | None
    quiet_start: int | None
    quiet_end: int | None
    push_daily_cap: int


KEEP: Any = object()  # a field the form did not send: its stored value stays


def parse_form(form: Mapping[str, str]) -> SettingsForm:
    """Check every field of the settings form; raise on the first bad one.

    A field the form does not send keeps its stored value (:data:`KEEP`): a form
    that sends only the push limit changes only the push limit. Frequencies are
    named ``<category>.<channel>``; the time zone ``timezone`` (empty for UTC);
    quiet hours ``quiet_start`` and ``quiet_end``, on when ``quiet_enabled`` is
    ticked (the page sends both times either way, so times without the box mean
    "off", and no times and no box mean "unchanged").
    """
    choices: dict[tuple[Category, Channel], Frequency] = {}
    for category in Category:
        for channel in Channel:
            raw = form.get(f"{category}.{channel}")
            if raw is None:
                continue
            try:
                choices[(category, channel)] = Frequency(raw)
            except ValueError:
                raise InvalidSettings(
                    f"{category}.{channel}", f"“{raw}” is not a frequency Plaza knows."
                ) from None
    timezone: str | None = KEEP
    if "timezone" in form:
        timezone = (form.get("timezone") or "").strip() or None
        if timezone is not None:
            _check_timezone(timezone)
    quiet_start: int | None = KEEP
    quiet_end: int | None = KEEP
    if form.get("quiet_enabled"):
        try:
            quiet_start = parse_clock(form.get("quiet_start", ""))
            quiet_end = parse_clock(form.get("quiet_end", ""))
        except ValueError:
            raise InvalidSettings(
                "quiet", "Give quiet hours as two times, like 22:00 and 07:00."
            ) from None
        if quiet_start == quiet_end:
            raise InvalidSettings("quiet", "Quiet hours need different start and end times.")
    elif "quiet_start" in form or "quiet_end" in form or "quiet_enabled" in form:
        quiet_start = quiet_end = None
    push_daily_cap: int = KEEP
    if "push_daily_cap" in form:
        raw_cap = (form.get("push_daily_cap") or "").strip()
        if not raw_cap.isdigit() or not 1 <= int(raw_cap) <= MAX_PUSH_CAP:
            raise InvalidSettings(
                "push_daily_cap", f"The daily push limit is a number from 1 to {MAX_PUSH_CAP}."
            )
        push_daily_cap = int(raw_cap)
    return SettingsForm(choices, timezone, quiet_start, quiet_end, push_daily_cap)


def save(
    db: Session, user_id: int, form: SettingsForm, now: datetime, digest_hour: int
) -> NotificationSettings:
    """Store what ``form`` sent as the consumer's settings, keeping what it did not send;
    the caller commits."""
    choices = {**choices_for(db, [user_id])[user_id], **form.choices}
    db.exec(delete(NotificationPreference).where(col(NotificationPreference.user_id) == user_id))
    db.add_all(
        NotificationPreference(user_id=user_id, category=cat, channel=ch, frequency=frequency)
        for (cat, ch), frequency in choices.items()
        if frequency != default_frequency(cat, ch)
    )
    settings = _editable(db, user_id, now, digest_hour)
    if form.timezone is not KEEP:
        settings.timezone = form.timezone
        settings.timezone_chosen = True
    if form.quiet_start is not KEEP:
        settings.quiet_start = form.quiet_start
        settings.quiet_end = form.quiet_end
    if form.push_daily_cap is not KEEP:
        settings.push_daily_cap = form.push_daily_cap
    schedule_digests(settings, now, digest_hour)
    return settings


def detect_timezone(db: Session, user_id: int, name: str, now: datetime, digest_hour: int) -> bool:
    """Store the zone the consumer's browser reported, if Plaza knows none for them yet.

    Returns whether it was stored. A zone already detected, or chosen on the settings
    page (even none, which means UTC), is kept: detection only fills a gap, so a shopper
    travelling with their phone keeps their home zone. The caller commits.
    """
    _check_timezone(name)
    stored = db.exec(
        select(NotificationSettings)
        .where(NotificationSettings.user_id == user_id)
        .with_for_update()  # a settings save at the same moment wins, never this
    ).first()
    if stored is not None and (stored.timezone is not None or stored.timezone_chosen):
        return False
    settings = stored or new_settings(user_id, now, digest_hour)
    settings.timezone = name
    settings.updated_at = now
    schedule_digests(settings, now, digest_hour)
    db.add(settings)
    return True


def set_pause(
    db: Session, user_id: int, until: datetime | None, now: datetime, digest_hour: int
) -> NotificationSettings:
    """Pause push and email until ``until`` (None resumes); the caller commits."""
    settings = _editable(db, user_id, now, digest_hour)
    settings.paused_until = until
    return settings


def set_email_enabled(
    db: Session, user_id: int, enabled: bool, now: datetime, digest_hour: int
) -> NotificationSettings:
    """Turn all email off (one-click unsubscribe) or back on; the caller commits."""
    settings = _editable(db, user_id, now, digest_hour)
    settings.email_enabled = enabled
    return settings
