"""Reading and changing one consumer's notification choices.

Only choices that differ from the catalog's defaults are stored, so a new
default reaches everyone who never changed that setting. Validation happens
here, not in the view, so the settings page, the unsubscribe link and the
tests all go through the same rules; bad input raises :class:`InvalidSettings`
and changes nothing.

Each category has a switch on top of its per-channel frequencies. Switching a
category off stores one row on the channel :data:`ALL_CHANNELS` and leaves the
channels' own choices as they were, so switching it back on restores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.models.notifications import NotificationPreference, NotificationSettings
from app.notifications.catalog import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    Category,
    Channel,
    Frequency,
    default_frequency,
)
from app.notifications.timing import (
    MONDAY,
    is_known_timezone,
    next_digest_at,
    parse_clock,
    zone,
)

MAX_PUSH_CAP = 50

Choices = dict[tuple[Category, Channel], Frequency]

# The channel of the row that says "this category is switched off" (its frequency is off).
ALL_CHANNELS = "all"
# What a category's row offers for "how often", most frequent first.
_HOW_OFTEN = (Frequency.INSTANT, Frequency.DAILY, Frequency.WEEKLY)


class InvalidSettings(ValueError):
    """A setting a person typed that cannot be saved; ``field`` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def choices_for(db: Session, user_ids: Iterable[int]) -> dict[int, Choices]:
    """Every (category, channel) frequency in force for each consumer, defaults included;
    every channel of a category switched off is off."""
    return {uid: stored.in_force() for uid, stored in _stored(db, user_ids).items()}


@dataclass
class Stored:
    """One consumer's choices as stored: the channels' frequencies, and the categories
    switched off above them (whose channels keep their frequencies for later)."""

    choices: Choices
    switched_off: set[Category] = field(default_factory=set)

    def in_force(self) -> Choices:
        return {
            (cat, ch): Frequency.OFF if cat in self.switched_off else frequency
            for (cat, ch), frequency in self.choices.items()
        }

    def is_on(self, category: Category, offered: Iterable[Channel]) -> bool:
        """Whether the category reaches the consumer on any of the ``offered`` channels."""
        return category not in self.switched_off and any(
            self.choices[(category, ch)] != Frequency.OFF for ch in offered
        )

    def how_often(self, category: Category, offered: Iterable[Channel]) -> Frequency | None:
        """How soon the consumer hears of the category: the most frequent of its ``offered``
        channels that are not off (in Plaza right away and email weekly is "right away"),
        None when all are off. The channels' own frequencies are behind "More"."""
        frequencies = {self.choices[(category, ch)] for ch in offered}
        return next((f for f in _HOW_OFTEN if f in frequencies), None)


def _stored(db: Session, user_ids: Iterable[int]) -> dict[int, Stored]:
    ids = list(set(user_ids))
    out: dict[int, Stored] = {uid: Stored(_defaults()) for uid in ids}
    if ids:
        rows = db.exec(
            select(NotificationPreference).where(col(NotificationPreference.user_id).in_(ids))
        )
        for row in rows:
            try:
                category = Category(row.category)
                if row.channel == ALL_CHANNELS:
                    if row.frequency == Frequency.OFF:
                        out[row.user_id].switched_off.add(category)
                    continue
                out[row.user_id].choices[(category, Channel(row.channel))] = Frequency(
                    row.frequency
                )
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


def offered_channels(email: bool, push: bool) -> tuple[Channel, ...]:
    """The channels this server can deliver on, in the catalog's order: in Plaza always,
    email once SMTP is set up, push once Plaza has its VAPID key. Choices stored for a
    channel that is not offered are kept for the day it is."""
    available = {Channel.IN_APP: True, Channel.EMAIL: email, Channel.PUSH: push}
    return tuple(ch for ch in Channel if available[ch])


@dataclass(frozen=True)
class CategoryRow:
    """One category as the settings page shows it: its switch, how often, its channels."""

    category: Category
    label: str
    hint: str
    on: bool
    how_often: Frequency | None  # the most frequent of its channels; None: all are off
    channels: tuple[tuple[Channel, str, Frequency], ...]


def category_rows(
    db: Session, user_id: int, offered: tuple[Channel, ...], only: Iterable[Category] = Category
) -> list[CategoryRow]:
    """The rows of the settings page for ``only`` those categories, with the stored choices."""
    stored = _stored(db, [user_id])[user_id]
    return [
        CategoryRow(
            category=cat,
            label=CATEGORY_LABELS[cat][0],
            hint=CATEGORY_LABELS[cat][1],
            on=stored.is_on(cat, offered),
            how_often=stored.how_often(cat, offered),
            channels=tuple((ch, CHANNEL_LABELS[ch], stored.choices[(cat, ch)]) for ch in offered),
        )
        for cat in only
    ]


@dataclass(frozen=True)
class SettingsForm:
    """What the settings page sent, already checked; :data:`KEEP` for what it did not."""

    choices: Mapping[tuple[Category, Channel], Frequency]
    timezone: str | None
    quiet_start: int | None
    quiet_end: int | None
    push_daily_cap: int
    switches: Mapping[Category, bool] = field(default_factory=dict)
    how_often: Mapping[Category, Frequency] = field(default_factory=dict)

    def categories(self) -> set[Category]:
        """The categories whose rows this form changed (or meant to)."""
        return {cat for cat, _ in self.choices} | set(self.switches) | set(self.how_often)


KEEP: Any = object()  # a field the form did not send: its stored value stays

# The fields of a category's row besides its channels: ``<category>.switch`` says the
# switch was on the page (an unticked box sends nothing), ``<category>.on`` is the box,
# ``<category>.often`` the frequency for all its channels that are on ("" keeps them).
_ROW_FIELDS = frozenset({"switch", "on", "often"})


def parse_form(form: Mapping[str, str]) -> SettingsForm:
    """Check every field of the settings form; raise on the first bad one.

    A field the form does not send keeps its stored value (:data:`KEEP`): a form
    that sends only the push limit changes only the push limit. Frequencies are
    named ``<category>.<channel>``, the row's switch and frequency
    ``<category>.switch``/``.on`` and ``<category>.often``; the time zone
    ``timezone`` (empty for UTC); quiet hours ``quiet_start`` and ``quiet_end``,
    on when ``quiet_enabled`` is ticked (the page sends both times either way, so
    times without the box mean "off", and no times and no box mean "unchanged").
    """
    choices: dict[tuple[Category, Channel], Frequency] = {}
    switches: dict[Category, bool] = {}
    how_often: dict[Category, Frequency] = {}
    for name in form:
        if "." not in name:
            continue
        category_name, _, part = name.partition(".")
        category = _category(category_name)
        raw = form.get(name) or ""
        if part in _ROW_FIELDS:
            if part == "switch":
                switches[category] = bool(form.get(f"{category}.on"))
            elif part == "on" and f"{category}.switch" not in form:
                switches[category] = True
            elif part == "often" and raw:
                if raw not in _HOW_OFTEN:
                    raise InvalidSettings(
                        name,
                        f"“{raw[:32]}” is not how often Plaza can tell you: "
                        "right away, a daily or a weekly digest.",
                    )
                how_often[category] = Frequency(raw)
            continue
        channel = _channel(part)
        try:
            choices[(category, channel)] = Frequency(raw)
        except ValueError:
            raise InvalidSettings(name, f"“{raw[:32]}” is not a frequency Plaza knows.") from None
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
    return SettingsForm(
        choices, timezone, quiet_start, quiet_end, push_daily_cap, switches, how_often
    )


def _category(name: str) -> Category:
    try:
        return Category(name)
    except ValueError:
        raise InvalidSettings(
            name, f"“{name[:32]}” is not a kind of notification Plaza sends."
        ) from None


def _channel(name: str) -> Channel:
    try:
        return Channel(name)
    except ValueError:
        raise InvalidSettings(
            name, f"“{name[:32]}” is not a way Plaza notifies: in Plaza, push or email."
        ) from None


def save(
    db: Session,
    user_id: int,
    form: SettingsForm,
    now: datetime,
    digest_hour: int,
    offered: tuple[Channel, ...] = tuple(Channel),
) -> NotificationSettings:
    """Store what ``form`` sent as the consumer's settings, keeping what it did not send;
    the caller commits.

    A page without JavaScript sends every field at once, changed or not, so a row's
    frequency and switch count only when they differ from what the page showed (the
    stored state), and a channel chosen on its own in the same post keeps its choice.
    """
    before = _stored(db, [user_id])[user_id]
    after = Stored({**before.choices, **form.choices}, set(before.switched_off))
    for category, frequency in form.how_often.items():
        if frequency == before.how_often(category, offered):
            continue
        targets = [ch for ch in offered if after.choices[(category, ch)] != Frequency.OFF]
        for channel in targets or [Channel.IN_APP]:
            key = (category, channel)
            if form.choices.get(key, before.choices[key]) == before.choices[key]:
                after.choices[key] = frequency
    for category, on in form.switches.items():
        if on == before.is_on(category, offered):
            continue
        if not on:
            after.switched_off.add(category)
            continue
        after.switched_off.discard(category)
        if not after.is_on(category, offered):  # every channel off: back to the defaults
            for channel in offered:
                after.choices[(category, channel)] = default_frequency(category, channel)
    _store_changes(db, user_id, before, after)
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


def _store_changes(db: Session, user_id: int, before: Stored, after: Stored) -> None:
    """Rewrite only the rows that changed. Each control of the page saves on its own, so
    two saves of different rows may meet; neither then rewrites the other's rows."""
    rows: dict[tuple[Category, str], Frequency | None] = {}
    for (cat, ch), frequency in after.choices.items():
        if frequency != before.choices[(cat, ch)]:
            rows[(cat, ch)] = None if frequency == default_frequency(cat, ch) else frequency
    for cat in before.switched_off ^ after.switched_off:
        rows[(cat, ALL_CHANNELS)] = Frequency.OFF if cat in after.switched_off else None
    for (cat, channel), value in rows.items():
        db.exec(
            delete(NotificationPreference).where(
                col(NotificationPreference.user_id) == user_id,
                col(NotificationPreference.category) == cat,
                col(NotificationPreference.channel) == channel,
            )
        )
        if value is not None:
            db.add(
                NotificationPreference(
                    user_id=user_id, category=cat, channel=channel, frequency=value
                )
            )


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
