"""The model's input: one row per week, an outcome, spend per channel and controls -- checked once.

From a file (``wanamaker mmm --data FILE``) each week is a row; the date column holds the week (any day of it,
one row per week, consecutive weeks); the outcome is a number; channels are spend (or impressions) columns, never
negative; controls are numbers. Every problem names the column and says how to fix it.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from wanamaker.errors import DataError, InputFileError, UsageError
from wanamaker.mmm.transforms import Array

#: the fewest weeks a fit accepts (and it needs more with many channels and controls: see :func:`check_size`)
MIN_WEEKS = 26
#: fewer weeks than this: a note says seasonality and channels are hard to tell apart
SHORT_WEEKS = 104


@dataclass(frozen=True)
class WeeklyData:
    """Weeks (their first day), the outcome, spend (channels x weeks) and controls (controls x weeks)."""

    weeks: tuple[date, ...]
    outcome: Array
    outcome_name: str
    channels: tuple[str, ...]
    spend: Array
    controls: Array
    control_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def days(self) -> NDArray[np.int64]:
        """Each week's first day as days since 1970-01-01."""
        out: NDArray[np.int64] = np.array(self.weeks, dtype="datetime64[D]").astype(np.int64)
        return out

    def to_pandas(self) -> pd.DataFrame:
        data: dict[str, Any] = {"week": pd.to_datetime(list(self.weeks)), self.outcome_name: self.outcome}
        data.update({c: self.spend[i] for i, c in enumerate(self.channels)})
        data.update({c: self.controls[i] for i, c in enumerate(self.control_names)})
        return pd.DataFrame(data)


def read_frame(path: Path) -> pd.DataFrame:
    """A weekly file: CSV (delimiter sniffed; gzip allowed) or Parquet. Only a regular file is read."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}.", fix="Name a CSV or Parquet file that "
                                                                              "exists.") from None
    if not stat.S_ISREG(mode):
        raise InputFileError(f"{path} is not a regular file.", fix="Name a CSV or Parquet file.")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"cannot read {path} as a table: {first}.",
                             fix="Give a UTF-8 CSV with a header row (or a Parquet file).") from None


def _columns(df: pd.DataFrame, names: Sequence[str], what: str) -> None:
    from wanamaker.config.issues import did_you_mean

    for name in names:
        if name not in df.columns:
            hint = did_you_mean(name, [str(c) for c in df.columns]).strip()
            raise UsageError(f"the {what} column '{name}' is not in the data (columns: "
                             f"{', '.join(map(str, df.columns))}).",
                             fix=f"{hint + ' ' if hint else ''}Name a column the file has.")


def _numbers(df: pd.DataFrame, name: str, dates: pd.Series, what: str) -> Array:
    raw = df[name]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"the {what} column '{name}' holds {raw.iloc[i]!r} in the week of {dates.iloc[i]:%Y-%m-%d}, "
                        "which is not a number.", fix=f"Make every value of '{name}' a plain number (no currency "
                                                      "signs or thousands separators).")
    if values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        fill = "0 for a week without spend" if what == "channel" else "a value, or drop the week"
        raise DataError(f"the {what} column '{name}' is empty in the week of {dates.iloc[i]:%Y-%m-%d}.",
                        fix=f"Fill it with {fill}.")
    out: Array = values.to_numpy(dtype=np.float64)
    if not np.isfinite(out).all():
        i = int(np.flatnonzero(~np.isfinite(out))[0])
        raise DataError(f"the {what} column '{name}' is not finite in the week of {dates.iloc[i]:%Y-%m-%d}.",
                        fix="Give a finite number.")
    return out


def _weeks(df: pd.DataFrame, date_col: str) -> pd.Series:
    raw = df[date_col]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    else:
        parsed = pd.to_datetime(raw.astype(str).str.strip(), errors="coerce", format="ISO8601")
    if parsed.isna().any():
        i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise DataError(f"the date column '{date_col}' holds {raw.iloc[i]!r} (row {i + 1}), which is not a date.",
                        fix="Write every date as YYYY-MM-DD.")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    parsed = parsed.dt.normalize()
    duplicated = parsed.duplicated(keep=False)
    if duplicated.any():
        first = parsed[duplicated].min()
        raise DataError(f"the date {first:%Y-%m-%d} appears {int((parsed == first).sum())} times in '{date_col}': "
                        "the model needs one row per week.", fix="Sum the rows of each week into one.")
    out: pd.Series = parsed
    return out


def frame_data(df: pd.DataFrame, date: str, outcome: str, channels: Sequence[str],
               controls: Sequence[str] = ()) -> WeeklyData:
    """Check a weekly frame and turn it into :class:`WeeklyData` (rows sorted by date)."""
    if not channels:
        raise UsageError("no channels given.", fix="Name the spend columns, e.g. --channels tv,search.")
    names = [date, outcome, *channels, *controls]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(f"the column '{repeated[0]}' is given twice (date, outcome, channels and controls must be "
                         "different columns).", fix="Name each column once.")
    _columns(df, [date], "date")
    _columns(df, [outcome], "outcome")
    _columns(df, channels, "channel")
    _columns(df, controls, "control")
    weeks = _weeks(df, date)
    order = np.argsort(weeks.to_numpy(), kind="stable")
    df, weeks = df.iloc[order].reset_index(drop=True), weeks.iloc[order].reset_index(drop=True)
    gaps = weeks.diff().dt.days.iloc[1:]
    if (gaps != 7).any():
        i = int(np.flatnonzero((gaps != 7).to_numpy())[0]) + 1
        step = int(gaps.iloc[i - 1])
        raise DataError(f"the dates in '{date}' are not consecutive weeks: {weeks.iloc[i - 1]:%Y-%m-%d} is followed by "
                        f"{weeks.iloc[i]:%Y-%m-%d} ({step} days later).",
                        fix="Give one row per week, every week (spend 0 in a week without spend); aggregate daily "
                            "data to weeks first.")
    y = _numbers(df, outcome, weeks, "outcome")
    spend = np.array([_numbers(df, c, weeks, "channel") for c in channels])
    for i, c in enumerate(channels):
        negative = np.flatnonzero(spend[i] < 0)
        if negative.size:
            j = int(negative[0])
            raise DataError(f"the channel column '{c}' is negative ({spend[i, j]}) in the week of "
                            f"{weeks.iloc[j]:%Y-%m-%d}.", fix="Spend is never negative: correct the value (refunds "
                                                              "belong to the week they reduce, as a lower spend).")
    ctrl = np.array([_numbers(df, c, weeks, "control") for c in controls]).reshape(len(controls), len(df))
    return WeeklyData(tuple(d.date() for d in weeks), y, outcome, tuple(channels), spend, ctrl, tuple(controls))


def check_size(data: WeeklyData, base_columns: int, per_channel: int = 3) -> None:
    """Enough weeks for the baseline, ``per_channel`` parameters per channel and 10 to spare; spend on every
    channel; an outcome that moves."""
    n, m = len(data.weeks), len(data.channels)
    need = max(MIN_WEEKS, base_columns + per_channel * m + 10)
    if n < need:
        raise DataError(f"{n} weeks are too few for {m} channel(s) and {base_columns} baseline column(s): the model "
                        f"needs at least {need}.", fix="Use more weeks (two years or more is best), fewer channels "
                                                       "or controls, or --fourier-order 1.")
    for i, c in enumerate(data.channels):
        if not (data.spend[i] > 0).any():
            raise DataError(f"the channel '{c}' has no spend in any week.", fix="Leave it out of the channels.")
    if np.ptp(data.outcome) == 0:
        raise DataError(f"the outcome '{data.outcome_name}' is the same every week: there is nothing to explain.",
                        fix="Check the outcome column.")


def notes_for(data: WeeklyData) -> list[str]:
    """What a reader should know before trusting the fit: a short series, channels whose spend moves together."""
    notes = []
    n = len(data.weeks)
    if n < SHORT_WEEKS:
        notes.append(f"Only {n} weeks: with less than two years, yearly seasonality and channel effects are hard to "
                     "tell apart; read the intervals, not the point estimates.")
    if len(data.channels) > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.atleast_2d(np.corrcoef(data.spend))
        for i in range(len(data.channels)):
            for j in range(i + 1, len(data.channels)):
                if np.isfinite(corr[i, j]) and abs(corr[i, j]) >= 0.8:
                    notes.append(f"Spend on {data.channels[i]} and {data.channels[j]} moves together (correlation "
                                 f"{corr[i, j]:.2f}): the model cannot tell their effects apart well; trust their sum "
                                 "more than the split.")
    return notes


__all__ = ["MIN_WEEKS", "SHORT_WEEKS", "WeeklyData", "check_size", "frame_data", "notes_for", "read_frame"]
