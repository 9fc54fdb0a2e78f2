"""Determinism (same seed, same tables) and loose realism of the demo world."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wanamaker.demo import funnel, generate, world
from wanamaker.demo.build import build
from wanamaker.demo.generate import Chunk
from wanamaker.demo.spec import DemoSpec
from wanamaker.demo.truth import person_milestones


def _tables(spec: DemoSpec, out: Path) -> dict[str, object]:
    build(spec, out)
    tables = {p.name: pacsv.read_csv(p) for p in sorted(out.rglob("*.csv"))}
    tables.update({p.name: pq.read_table(p) for p in sorted(out.rglob("*.parquet"))})
    assert {"events.parquet", "paid_clicks.parquet"} <= tables.keys()
    return tables


def test_same_seed_same_tables_other_seed_other_tables(tmp_path: Path) -> None:
    spec = DemoSpec(size="small", seed=3, end=date(2026, 3, 31))
    a, b = _tables(spec, tmp_path / "a"), _tables(spec, tmp_path / "b")
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].equals(b[name]), name
    other = _tables(DemoSpec(size="small", seed=4, end=date(2026, 3, 31)), tmp_path / "c")
    assert not other["Lead.csv"].equals(a["Lead.csv"])


def test_sizes_and_conversion_rates(small_spec: DemoSpec, small_world: tuple[funnel.Reps, Chunk]) -> None:
    _, ch = small_world
    st, op = ch.stages, ch.opps
    assert ch.accounts.n >= 500 and (~np.isnan(st.lead)).sum() >= 3000 and (op.status == 1).sum() >= 100
    cut = small_spec.days - 150  # old enough to have finished the step

    def rate(a: np.ndarray, b: np.ndarray) -> float:
        m = ~np.isnan(a) & (a < cut)
        return float((~np.isnan(b[m])).mean())

    assert 0.10 <= rate(st.lead, st.mql) <= 0.25
    assert 0.40 <= rate(st.mql, st.sal) <= 0.62
    assert 0.50 <= rate(st.sal, st.sql) <= 0.70
    reached = person_milestones(st, op)
    m = ~np.isnan(st.sql) & (st.sql < small_spec.days - 250)
    assert 0.18 <= reached["won"][m].mean() <= 0.32


def test_touches_before_opportunity_and_deal_tail(small_spec: DemoSpec, small_world: tuple[funnel.Reps, Chunk]) -> None:
    _, ch = small_world
    t = generate.touches(small_spec, ch)
    at = ch.opps.person_opp_at
    n = np.bincount(t.person[t.ts <= at[t.person]], minlength=ch.people.n)
    assert 4 <= np.median(n[~np.isnan(at)]) <= 11
    amount = ch.opps.amount
    assert np.percentile(amount, 99) > 10 * np.median(amount)  # heavy tail
    assert amount.mean() > 1.5 * np.median(amount)


def test_seasonality(small_spec: DemoSpec, small_world: tuple[funnel.Reps, Chunk]) -> None:
    _, ch = small_world
    t0 = ch.people.t0
    months = (np.datetime64(small_spec.start) + np.floor(t0).astype("timedelta64[D]")).astype("datetime64[M]")
    m = months.astype(np.int64) % 12
    per = np.bincount(m[(t0 >= 0)], minlength=12)
    assert per[9] > 1.4 * per[7]  # October is busier than August


def test_chunks_have_their_own_streams_and_ids() -> None:
    spec = DemoSpec(size="large")
    reps = funnel.make_reps(spec)
    a, b = (world.make_accounts(spec, i) for i in (0, 1))
    assert spec.chunks == 10 and a.n == b.n == spec.sizes.chunk_accounts
    assert b.offset == a.offset + a.n and not np.array_equal(a.segment, b.segment)
    pa_, pb = (world.make_people(spec, acc, i, reps.by_segment()) for i, acc in ((0, a), (1, b)))
    assert pb.offset >= pa_.offset + pa_.n  # person ids never collide across chunks
