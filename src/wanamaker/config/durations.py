"""Durations written as ``90d``, ``24h``, ``30m``, ``45s`` or ``2w`` in config and on the command line.

A duration is positive (DESIGN "Conventions") and at most :data:`MAX_DURATION` (100 years: past
that, dates computed from it leave the calendar); a tolerance (``ingest.future_tolerance``) may
also be zero.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
MAX_DURATION = timedelta(days=36500)
_FORMS = "write a number and a unit: 90d, 24h, 30m, 45s or 2w"


def parse_duration(text: str | int | float | timedelta, *, allow_zero: bool = False,
                   maximum: timedelta = MAX_DURATION) -> timedelta:
    """Parse ``"90d"`` into ``timedelta(days=90)``; a bare number is days. Raises ``ValueError``
    (with the accepted forms) for anything else, for zero unless ``allow_zero``, and above
    ``maximum``.

    >>> parse_duration("24h")
    datetime.timedelta(days=1)
    >>> parse_duration("1.5d").total_seconds()
    129600.0
    >>> parse_duration("0d")
    Traceback (most recent call last):
    ...
    ValueError: '0d' is not a positive duration; write a number and a unit: 90d, 24h, 30m, 45s or 2w
    """
    if isinstance(text, timedelta):
        seconds = text.total_seconds()
    elif isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text) * 86400
    else:
        raw = str(text).strip()
        match = _PATTERN.match(raw.removeprefix("-"))
        if not match:
            raise ValueError(f"'{text}' is not a duration; {_FORMS}")
        seconds = float(match.group(1)) * _UNITS[match.group(2)] * (-1 if raw.startswith("-") else 1)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        kind = "a duration of zero or more" if allow_zero else "a positive duration"
        raise ValueError(f"'{text}' is not {kind}; {_FORMS}")
    if seconds > maximum.total_seconds():
        raise ValueError(f"'{text}' is longer than the longest allowed, {format_duration(maximum)}; "
                         "write a shorter duration")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact form: ``timedelta(days=90)`` -> ``"90d"``."""
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
