"""Values a user gives a command (CLI options and the keywords of the Python API), checked once.

One validator per kind of value; each problem is a :class:`~wanamaker.errors.UsageError` (CLI exit 2)
that names the option, says what is wrong with the value and how to write it (DESIGN "Conventions":
a DATE is a calendar date in the workspace time zone, ``--from D`` starts at D 00:00, ``--to D`` and
``--as-of D`` end at the end of D; durations are positive).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from wanamaker.config.durations import parse_duration
from wanamaker.errors import UsageError

DATE_FORMS = "Write a date as YYYY-MM-DD (e.g. 2026-03-31), or a date and time as 2026-03-31T18:00."


def duration_option(name: str, value: str | int | float | timedelta | None) -> timedelta | None:
    """A positive duration (``90d``, ``24h``, ``2w``); ``None`` stays ``None``.

    >>> duration_option("--lookback", "2w")
    datetime.timedelta(days=14)
    """
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{name} {exc}.", fix=f"Write {name} as a positive duration such as 90d, 24h or 2w.") from None


def int_option(name: str, value: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number from ``minimum`` to ``maximum``.

    >>> int_option("--replicates", 0, maximum=10000)
    Traceback (most recent call last):
    ...
    wanamaker.errors.UsageError: --replicates 0 is below 1. Fix: Use a whole number from 1 to 10000 for --replicates.
    """
    span = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
    fix = f"Use a whole number {span} for {name}."
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} {value!r} is not a whole number.", fix=fix)
    if value < minimum:
        raise UsageError(f"{name} {value} is below {minimum}.", fix=fix)
    if maximum is not None and value > maximum:
        raise UsageError(f"{name} {value} is above {maximum}.", fix=fix)
    return value


def text_option(name: str, value: str) -> str:
    """Text that must not be empty or only spaces."""
    if not value or not value.strip():
        raise UsageError(f"{name} is empty.", fix=f"Give {name} a value, or leave the option out for its default.")
    return value


def choice_option(name: str, value: str, choices: Iterable[str]) -> str:
    options = tuple(choices)
    if value not in options:
        raise UsageError(f"{name} '{value}' is not one of {', '.join(options)}.", fix=f"Use {name} {'|'.join(options)}.")
    return value


def moment_option(name: str, value: str | date | datetime | None, tz: str, *, end_of_day: bool = False
                  ) -> datetime | None:
    """A DATE (or DATE TIME) in the workspace time zone ``tz`` as naive UTC; a bare date is its
    start, or with ``end_of_day`` its end (the next midnight). A ``datetime`` is taken as naive UTC
    (aware ones are converted); ``None`` stays ``None``.

    >>> moment_option("--to", "2026-03-31", "Europe/Berlin", end_of_day=True)
    datetime.datetime(2026, 3, 31, 22, 0)
    >>> moment_option("--from", "2026-13-45", "UTC")
    Traceback (most recent call last):
    ...
    wanamaker.errors.UsageError: --from '2026-13-45' is not a date (month must be in 1..12). Fix: Write a date as YYYY-MM-DD (e.g. 2026-03-31), or a date and time as 2026-03-31T18:00.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    bare = isinstance(value, date)
    if isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            reason = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
            raise UsageError(f"{name} '{value}' is not a date{reason}.", fix=DATE_FORMS) from None
        bare = len(text) <= 10
    try:
        if bare and end_of_day:
            moment += timedelta(days=1)
        local = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(tz))
        return local.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise UsageError(f"{name} '{value}' is outside the calendar wanamaker can use.",
                         fix="Use a date between the years 1 and 9998.") from None


def window_option(date_from: str | date | datetime | None, date_to: str | date | datetime | None, tz: str,
                  names: tuple[str, str] = ("--from", "--to")) -> tuple[datetime | None, datetime | None]:
    """``--from`` (start of its day) and ``--to`` (end of its day) as naive UTC; the window they
    make must not be empty.

    >>> window_option("2026-03-01", "2026-03-01", "UTC")
    (datetime.datetime(2026, 3, 1, 0, 0), datetime.datetime(2026, 3, 2, 0, 0))
    """
    start = moment_option(names[0], date_from, tz)
    end = moment_option(names[1], date_to, tz, end_of_day=True)
    if start is not None and end is not None and start >= end:
        raise UsageError(f"{names[0]} {date_from} does not come before {names[1]} {date_to}: the window is empty.",
                         fix=f"Give {names[0]} a date on or before {names[1]}, or swap them.")
    return start, end
