"""The demo's size table, its fixed calendar and its seeded random streams (DESIGN "Demo sizes").

Every random draw of the demo comes from a named stream, ``rng(spec, "name", chunk)``, a numpy
``Generator`` seeded with ``[seed, stream_id, chunk]``. Re-running the world with a channel switched
off re-creates the same streams, so the only difference between two runs is the channel.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np

Size = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class SizeSpec:
    accounts: int
    reps: int
    marketers: int
    chunk_accounts: int  # accounts generated per chunk (bounded memory)


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(accounts=860, reps=8, marketers=8, chunk_accounts=860),
    "medium": SizeSpec(accounts=7_600, reps=20, marketers=12, chunk_accounts=7_600),
    "large": SizeSpec(accounts=76_000, reps=60, marketers=20, chunk_accounts=7_600),
}

DEFAULT_END = date(2026, 6, 30)
MONTHS = 24


@dataclass(frozen=True)
class DemoSpec:
    """What a demo world is made of: its size, seed and last day."""

    size: Size = "medium"
    seed: int = 42
    end: date = DEFAULT_END

    @property
    def sizes(self) -> SizeSpec:
        return SIZES[self.size]

    @property
    def start(self) -> date:
        """First day: 24 months before the day after ``end``."""
        nxt = self.end + timedelta(days=1)
        month = nxt.month - 1 - MONTHS % 12
        year = nxt.year - MONTHS // 12 + (month // 12) - (1 if month < 0 else 0)
        month = month % 12 + 1
        return date(year, month, min(nxt.day, 28))

    @property
    def days(self) -> float:
        """Length of the world in days (time runs from 0 at ``start`` to ``days`` at end of ``end``)."""
        return float((self.end - self.start).days + 1)

    @property
    def start_dt(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day)

    @property
    def chunks(self) -> int:
        s = self.sizes
        return -(-s.accounts // s.chunk_accounts)


def stream_id(name: str) -> int:
    """A stable integer for a stream name (crc32, the same on every platform and run)."""
    return zlib.crc32(name.encode())


def rng(spec: DemoSpec, name: str, chunk: int = 0) -> np.random.Generator:
    """The seeded generator of stream ``name`` for ``chunk``."""
    return np.random.default_rng([spec.seed, stream_id(name), chunk])


def to_datetime64(spec: DemoSpec, days: np.ndarray) -> np.ndarray:
    """World time (float days since start) -> naive UTC datetime64[s]; NaN stays NaT."""
    secs = np.where(np.isfinite(days), np.round(days * 86400.0), 0).astype("int64")
    out = np.datetime64(spec.start_dt, "s") + secs.astype("timedelta64[s]")
    return np.where(np.isfinite(days), out, np.datetime64("NaT"))
