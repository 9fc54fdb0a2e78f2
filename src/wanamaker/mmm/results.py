"""What a marketing-mix fit returns: one row per channel plus ``(baseline)``, response curves, the weekly
decomposition and diagnostics (docs/mmm.md).

``as_json()`` rows are ``{"channel", "spend", "contribution", "roi", "roi_low", "roi_high", "params"}``:
``contribution`` in outcome units over the whole data, ``roi = contribution / spend`` with its 90 % interval, and
the fitted parameters. The ``(baseline)`` row (intercept, trend, seasonality and controls) has no spend and no
ROI; the rows' contributions add up to the fitted outcome, which equals the observed total (the intercept is
free, so the residuals sum to zero).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

BASELINE = "(baseline)"


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    spend: float | None
    contribution: float
    roi: float | None
    roi_low: float | None
    roi_high: float | None
    params: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["params"] = dict(self.params)
        return out


@dataclass(frozen=True)
class CurvePoint:
    """The outcome over the data period had the channel's spend been ``multiplier`` times what it was (every
    week alike, the other channels as they were): ``contribution`` is the channel's, with its 90 % interval;
    ``outcome`` the fitted total."""

    channel: str
    multiplier: float
    spend: float
    contribution: float
    contribution_low: float | None
    contribution_high: float | None
    outcome: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WeekRow:
    """One week: observed and fitted outcome, the baseline and each channel's contribution."""

    week: date
    outcome: float
    fitted: float
    baseline: float
    contributions: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"week": self.week, "outcome": self.outcome, "fitted": self.fitted, "baseline": self.baseline,
                **self.contributions}


@dataclass(frozen=True)
class Diagnostics:
    """How well the model fits: R^2 and MAPE of the fitted weekly outcome, the residual spread (outcome units),
    the weeks, and the seconds the fit took (intervals included)."""

    weeks: int
    r2: float | None
    mape: float | None
    sigma: float | None
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MmmResult:
    """Rows (channels in input order, then ``(baseline)``), curves, weeks, diagnostics, notes and settings."""

    rows: tuple[ChannelRow, ...]
    curves: tuple[CurvePoint, ...]
    weekly: tuple[WeekRow, ...]
    diagnostics: Diagnostics
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def empty(cls, notes: tuple[str, ...], params: dict[str, Any]) -> MmmResult:
        """No weeks to fit: no rows, and the notes saying why."""
        return cls((), (), (), Diagnostics(0, None, None, None, 0.0), notes, params)

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]

    def curves_json(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.curves]

    def weekly_json(self) -> list[dict[str, Any]]:
        return [w.as_dict() for w in self.weekly]

    def row(self, channel: str) -> ChannelRow:
        """The row of one channel (or ``(baseline)``)."""
        for r in self.rows:
            if r.channel == channel:
                return r
        raise KeyError(channel)

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame(self.as_json())

    def table_rows(self) -> list[dict[str, Any]]:
        """Rows for a printed table: the adstock and saturation parameters as columns (the rest is in JSON)."""
        shape = [k for k in ("alpha", "lam", "kappa", "slope") if any(k in r.params for r in self.rows)]
        out = []
        for r in self.rows:
            row: dict[str, Any] = {k: v for k, v in r.as_dict().items() if k != "params"}
            row.update({k: r.params.get(k) if r.channel != BASELINE else None for k in shape})
            out.append(row)
        return out


__all__ = ["BASELINE", "ChannelRow", "CurvePoint", "Diagnostics", "MmmResult", "WeekRow"]
