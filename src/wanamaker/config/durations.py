"""Durations written as ``90d``, ``24h``, ``30m``, ``45s`` or ``2w`` in config and on the command line."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse ``"90d"`` into ``timedelta(days=90)``.

    >>> parse_duration("24h")
    datetime.timedelta(days=1)
    >>> parse_duration("1.5d").total_seconds()
    129600.0
    """
    if isinstance(text, timedelta):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return timedelta(days=float(text))
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(
            f"'{text}' is not a duration; write a number and a unit: 90d, 24h, 30m, 45s or 2w"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """The shortest exact form: ``timedelta(days=90)`` -> ``"90d"``."""
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
