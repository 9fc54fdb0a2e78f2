"""Lift tests as calibration of the marketing-mix model.

A lift test says: switching channel ``c`` off (or on) from ``start`` to ``end`` changed the outcome by ``lift``,
with a 90 % interval ``[low, high]``. The fit adds, per test, the penalty

    ((modelled contribution of c in the window's weeks - lift) / se)^2 * sigma^2,   se = (high - low) / (2 * 1.645)

to its sum of squares (``sigma^2`` the residual variance of an uncalibrated fit, so the penalty weighs a test as
the Gaussian likelihood of the measurement would against the weekly data: a narrow interval pulls hard, a wide
one barely). The **assumption**: the test measured the channel's whole contribution in those weeks -- what the
model credits the channel with in the window (weeks partly inside count by the share of their days inside),
including carryover from spend before the window and leaving out carryover after it. That holds when the test
switched the channel off for the whole window and the window is long against the adstock (several weeks); a
short pulse test measured against a holdout region is better converted to the whole-window effect first.
The bootstrap redraws each lift from its interval for every replicate, so the test's own uncertainty reaches
the intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from wanamaker.errors import InputFileError, UsageError
from wanamaker.mmm.model import CalibrationRows
from wanamaker.mmm.transforms import Array

Z90 = 1.6448536269514722  # the standard normal's 95th percentile: [low, high] is read as a 90 % interval


@dataclass(frozen=True)
class LiftTest:
    """One lift test: the incremental outcome (in the model's outcome units) of ``channel`` from ``start`` to
    ``end`` (calendar dates, both inclusive), with its 90 % interval ``low`` .. ``high``."""

    channel: str
    start: date
    end: date
    lift: float
    low: float
    high: float

    @property
    def se(self) -> float:
        return (self.high - self.low) / (2.0 * Z90)


LiftInput = LiftTest | tuple[str, date | str, date | str, float, float, float]


def _date(value: date | str, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise UsageError(f"calibration: {what} {value!r} is not a date.", fix="Write it as YYYY-MM-DD.") from None


def lift_tests(items: Sequence[LiftInput], channels: Sequence[str]) -> tuple[LiftTest, ...]:
    """Check the lift tests against the model's channels: known channel, start on or before end,
    ``low <= lift <= high`` and ``low < high``.

    >>> lift_tests([("tv", "2024-01-01", "2024-02-25", 900.0, 500.0, 1300.0)], ["tv"])[0].se.__round__(1)
    243.2
    """
    out = []
    for item in items:
        if isinstance(item, LiftTest):
            test = item
        else:
            if len(item) != 6:
                raise UsageError(f"calibration: {item!r} is not (channel, start, end, lift, low, high).",
                                 fix="Give each lift test as a LiftTest or a 6-tuple.")
            ch, start, end, lift, low, high = item
            test = LiftTest(str(ch), _date(start, "start"), _date(end, "end"), float(lift), float(low), float(high))
        if test.channel not in channels:
            raise UsageError(f"calibration: '{test.channel}' is not one of the model's channels "
                             f"({', '.join(channels)}).", fix="Name a channel the model fits.")
        if test.start > test.end:
            raise UsageError(f"calibration: the {test.channel} test starts {test.start}, after its end {test.end}.",
                             fix="Swap the dates.")
        if not (np.isfinite([test.lift, test.low, test.high]).all() and test.low <= test.lift <= test.high):
            raise UsageError(f"calibration: the {test.channel} test's lift {test.lift} is not inside its interval "
                             f"[{test.low}, {test.high}].", fix="Give low <= lift <= high.")
        if test.high <= test.low:
            raise UsageError(f"calibration: the {test.channel} test's interval [{test.low}, {test.high}] has no "
                             "width, so it would outweigh all the data.", fix="Give the test's 90 % interval.")
        out.append(test)
    return tuple(out)


LIFT_COLUMNS = ("channel", "start", "end", "lift", "low", "high")


def read_lift_tests(path: Path) -> list[LiftTest]:
    """Lift tests from a CSV with the columns ``channel, start, end, lift, low, high`` (one test a row)."""
    from wanamaker.mmm.data import read_frame

    df = read_frame(path)
    missing = [c for c in LIFT_COLUMNS if c not in df.columns]
    if missing:
        raise InputFileError(f"the lift-test file {path} has no column {', '.join(missing)}.",
                             fix=f"Give the columns {','.join(LIFT_COLUMNS)} (dates YYYY-MM-DD; lift, low and high "
                                 "in outcome units, low/high a 90 % interval).")
    out = []
    for i, rec in enumerate(df[list(LIFT_COLUMNS)].to_dict("records"), start=2):
        try:
            out.append(LiftTest(str(rec["channel"]), _date(rec["start"], "start"), _date(rec["end"], "end"),
                                float(rec["lift"]), float(rec["low"]), float(rec["high"])))
        except (TypeError, ValueError, UsageError) as exc:
            raise InputFileError(f"{path}:{i}: {exc}", fix="Give dates as YYYY-MM-DD and numbers for lift, "
                                                           "low and high.") from None
    return out


def window_weights(test: LiftTest, week_days: NDArray[np.int64]) -> Array:
    """The share of each week's 7 days (weeks starting on ``week_days``, days since 1970-01-01) inside the test."""
    first = np.datetime64(test.start, "D").astype(np.int64)
    last = np.datetime64(test.end, "D").astype(np.int64) + 1
    overlap = np.clip(np.minimum(week_days + 7, last) - np.maximum(week_days, first), 0, 7)
    out: Array = overlap.astype(np.float64) / 7.0
    return out


def calibration_rows(tests: Sequence[LiftTest], channels: Sequence[str], week_days: NDArray[np.int64],
                     y_scale: float, sigma: float) -> tuple[CalibrationRows, Array]:
    """The tests as regression rows (see the module doc) and the per-row spread of a redrawn target."""
    if not tests:
        return CalibrationRows(np.zeros(0, dtype=np.int64), np.zeros((0, week_days.size)), np.zeros(0),
                               np.zeros(0)), np.zeros(0)
    window = np.array([window_weights(t, week_days) for t in tests])
    for t, w in zip(tests, window, strict=True):
        if not w.any():
            raise UsageError(f"calibration: the {t.channel} test ({t.start} to {t.end}) lies outside the data's "
                             "weeks.", fix="Drop it, or fit data that covers its dates.")
    se = np.array([t.se for t in tests])
    rows = CalibrationRows(
        channel=np.array([list(channels).index(t.channel) for t in tests], dtype=np.int64),
        window=window,
        coef=sigma * y_scale / se,
        target=sigma * np.array([t.lift for t in tests]) / se,
    )
    return rows, np.full(len(tests), sigma)


__all__ = ["LIFT_COLUMNS", "LiftInput", "LiftTest", "calibration_rows", "lift_tests", "read_lift_tests", "window_weights"]
