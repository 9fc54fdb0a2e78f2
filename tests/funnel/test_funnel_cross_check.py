"""Cross-check: the engine funnel against an independent pandas/numpy implementation of the same rules
(first entries, skipped stages passed at the next seen stage's time, medians by numpy's linear
interpolation), on the benchmark generator's seeded data (2,000 people, ~9,800 events with skips,
re-entries and exits)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from wanamaker.funnel import funnel

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "funnel_1m.py"


def reference(events: pd.DataFrame, stages: list[str]) -> dict[str, tuple[int, int, float | None, float | None]]:
    """stage -> (entered, converted_to_next, to_final_rate, median_days_to_next), cohort, all time."""
    ev = events[events.stage.isin(stages)]
    obs = ev.groupby(["subject_id", "stage"]).ts.min().unstack().reindex(columns=stages)
    values = obs.to_numpy(dtype="datetime64[ns]")
    seen = ~np.isnat(values)
    cols = np.arange(len(stages))
    first = seen.argmax(axis=1)[:, None]
    last = (len(stages) - 1 - seen[:, ::-1].argmax(axis=1))[:, None]
    inside = (cols >= first) & (cols <= last)
    big = np.datetime64("2200-01-01", "ns")  # within the ns range (to 2262)
    suffix_min = np.minimum.accumulate(np.where(seen, values, big)[:, ::-1], axis=1)[:, ::-1]
    at = pd.DataFrame(np.where(inside, suffix_min, np.datetime64("NaT", "ns")), index=obs.index, columns=stages)
    skip = pd.DataFrame(inside & ~seen, index=obs.index, columns=stages)
    out: dict[str, tuple[int, int, float | None, float | None]] = {}
    for j, stage in enumerate(stages):
        here = at[stage].notna()
        entered = int(here.sum())
        final = int((here & at[stages[-1]].notna()).sum())
        if j + 1 < len(stages):
            nxt = stages[j + 1]
            conv = int((here & at[nxt].notna()).sum())
            both = here & at[nxt].notna() & ~skip[stage] & ~skip[nxt]
            days = (at.loc[both, nxt] - at.loc[both, stage]).dt.total_seconds() / 86400
            med = float(np.percentile(days, 50)) if len(days) else None
        else:
            conv, med = 0, None
        out[stage] = (entered, conv, final / entered if entered else None, med)
    return out


@pytest.fixture
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("funnel_1m", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_engine_matches_pandas_reference(workspace: Any, bench: Any, tmp_path: Path) -> None:
    bench.generate(2_000, 7, tmp_path / "data")
    workspace.load([tmp_path / "data" / "stage_events.parquet"], table="stage_events")
    events = pq.read_table(tmp_path / "data" / "stage_events.parquet").to_pandas()
    events["ts"] = events["ts"].astype("datetime64[ns]")
    stages = [s for s in bench.STAGES if s != "visitor"]  # no touches loaded: keep the given stages only
    want = reference(events, stages)
    got = {r["stage"]: r for r in funnel(workspace, stages=stages).rows()}
    for stage, (entered, conv, final, med) in want.items():
        row = got[stage]
        assert row["entered"] == entered, stage
        if stage != stages[-1]:
            assert row["converted_to_next"] == conv, stage
            assert row["median_days_to_next"] == pytest.approx(med, rel=1e-9), stage
        assert row["to_final_rate"] == pytest.approx(final, rel=1e-12), stage
