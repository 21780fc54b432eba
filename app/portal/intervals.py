"""A provider's refresh interval as retailers think of it: minutes or hours.

Providers store ``interval_seconds`` (the worker's unit, and the API's). The form asks
for a number and a unit, and every hint, message and fact says the interval in the unit
that reads best ("every 6 hours", "at least 5 minutes"), so the unit asked, the hint
beside it and the value shown later always agree. Conversion happens only here.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

UNITS = {"minutes": 60, "hours": 3600}
"""The units the form offers, with their length in seconds."""

_WORDS = (("day", 86400), ("hour", 3600), ("minute", 60))


def interval_words(seconds: int) -> str:
    """``seconds`` in the largest unit that says it exactly: "6 hours", "90 minutes"."""
    for word, size in _WORDS:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {word}{'' if count == 1 else 's'}"
    minutes = Decimal(seconds) / 60
    return f"{minutes.normalize():f} minutes"


def split_interval(seconds: int) -> tuple[str, str]:
    """What the form shows for a stored interval: (number, unit)."""
    if seconds % UNITS["hours"] == 0:
        return str(seconds // UNITS["hours"]), "hours"
    minutes = Decimal(seconds) / UNITS["minutes"]
    return f"{minutes.normalize():f}", "minutes"


def read_interval(number: str, unit: str) -> int:
    """Seconds for a typed number and a chosen unit; ValueError with a message for people."""
    size = UNITS.get(unit)
    if size is None:
        raise ValueError("Choose minutes or hours.")
    try:
        value = Decimal(number.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"Enter a number of {unit}, like 30, or leave it blank.") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"Enter a number of {unit} above 0, or leave it blank.")
    return int((value * size).to_integral_value())
