"""Bad weekly input gets one clear error naming the column (or date) and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wanamaker.errors import DataError, UsageError
from wanamaker.mmm import mmm_from_frame


def frame(weeks: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "week": pd.date_range("2024-01-01", periods=weeks, freq="W-MON").strftime("%Y-%m-%d"),
        "sales": 1000 + rng.normal(0, 10, weeks),
        "tv": rng.uniform(0, 100, weeks),
        "search": rng.uniform(0, 50, weeks),
        "holiday": (np.arange(weeks) % 13 == 0).astype(float),
    })


def fit(df: pd.DataFrame, **kwargs: object) -> object:
    options = {"date": "week", "outcome": "sales", "channels": ["tv", "search"], "controls": ["holiday"],
               "replicates": 0, **kwargs}
    return mmm_from_frame(df, **options)  # type: ignore[arg-type]


def test_a_missing_column_is_named_with_a_suggestion() -> None:
    with pytest.raises(UsageError, match=r"the channel column 'tvv' is not in the data.*Did you mean 'tv'\?"):
        fit(frame(), channels=["tvv"])
    with pytest.raises(UsageError, match="the date column 'date'"):
        fit(frame(), date="date")


def test_non_numeric_and_empty_cells() -> None:
    df = frame()
    df["tv"] = df["tv"].astype(object)
    df.loc[3, "tv"] = "$1,200"
    with pytest.raises(DataError, match=r"'tv' holds '\$1,200' in the week of 2024-01-22.*plain number"):
        fit(df)
    df = frame()
    df.loc[5, "search"] = np.nan
    with pytest.raises(DataError, match="'search' is empty in the week of 2024-02-05.*Fill it with 0"):
        fit(df)
    df = frame()
    df.loc[2, "sales"] = np.nan
    with pytest.raises(DataError, match="outcome column 'sales' is empty"):
        fit(df)


def test_negative_spend() -> None:
    df = frame()
    df.loc[7, "search"] = -5.0
    with pytest.raises(DataError, match=r"'search' is negative \(-5.0\) in the week of 2024-02-19"):
        fit(df)


def test_dates_duplicated_missing_or_not_weekly() -> None:
    df = frame()
    df.loc[4, "week"] = df.loc[3, "week"]
    with pytest.raises(DataError, match="the date 2024-01-22 appears 2 times in 'week'.*one row per week"):
        fit(df)
    with pytest.raises(DataError, match="not consecutive weeks: 2024-01-22 is followed by 2024-02-05 \\(14 days"):
        fit(frame().drop(index=4))
    daily = frame()
    daily["week"] = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    with pytest.raises(DataError, match="aggregate daily data to weeks"):
        fit(daily)
    bad = frame()
    bad.loc[0, "week"] = "soon"
    with pytest.raises(DataError, match="'week' holds 'soon' \\(row 1\\), which is not a date"):
        fit(bad)


def test_too_few_weeks_and_channels_without_spend() -> None:
    with pytest.raises(DataError, match="20 weeks are too few for 2 channel\\(s\\).*needs at least 26"):
        fit(frame(20))
    df = frame()
    df["search"] = 0.0
    with pytest.raises(DataError, match="the channel 'search' has no spend in any week"):
        fit(df)
    df = frame()
    df["sales"] = 5.0
    with pytest.raises(DataError, match="the same every week"):
        fit(df)


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="the column 'tv' is given twice"):
        fit(frame(), controls=["tv"])
    with pytest.raises(UsageError, match="--saturation 'gompertz' is not one of logistic, hill"):
        fit(frame(), saturation="gompertz")
    with pytest.raises(UsageError, match="--replicates -1 is below 0"):
        fit(frame(), replicates=-1)
    with pytest.raises(UsageError, match="--method 'mcmc' is not one of fast, bayes"):
        fit(frame(), method="mcmc")
    with pytest.raises(UsageError, match="calibration: 'radio' is not one of the model's channels"):
        fit(frame(), calibration=[("radio", "2024-02-05", "2024-03-03", 10.0, 5.0, 15.0)])
    with pytest.raises(UsageError, match="is not inside its interval"):
        fit(frame(), calibration=[("tv", "2024-02-05", "2024-03-03", 10.0, 12.0, 15.0)])
    with pytest.raises(UsageError, match="lies outside the data's weeks"):
        fit(frame(), calibration=[("tv", "2030-02-05", "2030-03-03", 10.0, 5.0, 15.0)])


def test_notes_say_when_not_to_trust_the_fit() -> None:
    df = frame()
    df["search"] = df["tv"] * 0.5 + 1.0  # spend that moves together
    r = fit(df)
    notes = " ".join(r.notes)  # type: ignore[attr-defined]
    assert "Only 60 weeks" in notes
    assert "Spend on tv and search moves together (correlation 1.00)" in notes
