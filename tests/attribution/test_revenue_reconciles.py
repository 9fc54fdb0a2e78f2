"""Revenue reconciles (issue 13): with --value pipeline|revenue every model's rows, at person and account level,
add up to the stated total -- the money of the window's deals from ``opportunities`` -- with what no converting
subject carries on an explicit ``(no converting person)`` row and touchless converters on ``(no touch)``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.demo.helpers import DemoRun

import wanamaker
from support.data import write_csv


def _sums(result: wanamaker.Workspace | object) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in result.rows:  # type: ignore[attr-defined]
        out[r.model] = out.get(r.model, 0.0) + r.value
    return out


@pytest.mark.parametrize("level", ["person", "account"])
@pytest.mark.parametrize("milestone", ["opportunity", "won"])
def test_demo_revenue_rows_add_up_to_the_won_revenue(small_demo: DemoRun, level: str, milestone: str) -> None:
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        result = ws.attribution(model="all", value="revenue", level=level, milestone=milestone, persist=False)
        won = ws.sql("SELECT sum(amount) AS s FROM opportunities WHERE status = 'won'").column("s")[0].as_py()
    total = result.counts["total_value"]
    assert total == pytest.approx(won, rel=1e-12)  # the demo's deals are all in USD, the window all the data
    sums = _sums(result)
    assert len(sums) >= 10
    for model, value in sums.items():
        assert value == pytest.approx(total, rel=1e-9), model
    assert any(f"add up to {total:,.2f}" in n for n in result.notes)


ROW = st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(1, 60), st.integers(0, 90),
                st.sampled_from(["won", "lost", "open"]), st.integers(1, 50), st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals=st.lists(ROW, min_size=1, max_size=12), touches=st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 120), st.sampled_from(["email", "paid_search", "event"])),
    max_size=25), milestones=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 120)), max_size=8),
    level=st.sampled_from(["person", "account"]), value=st.sampled_from(["revenue", "pipeline"]))
def test_rows_add_up_on_random_worlds(deals: list[tuple[int, int, int, int, str, int, bool]],
                                      touches: list[tuple[int, int, str]], milestones: list[tuple[int, int]],
                                      level: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = wanamaker.init(Path(tmp) / "ws")
        day = lambda n: "2026-01-01T00:00:00" if n == 0 else f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}T12:00:00"  # noqa: E731
        people = [{"person_id": f"p{i}", "account_id": f"a{i % 4}"} for i in range(6)]
        accounts = [{"account_id": f"a{i}"} for i in range(4)]
        opps = [{"opportunity_id": f"o{k}", "account_id": f"a{a}", "person_id": f"p{p}" if with_person else "",
                 "created_at": day(c), "closed_at": day(min(c + d, 120)) if status != "open" else "",
                 "status": status, "amount": str(amount * 100), "currency": "USD"}
                for k, (a, p, c, d, status, amount, with_person) in enumerate(deals)]
        events = [{"subject_type": "person", "subject_id": f"p{p}", "stage": "opportunity", "ts": day(t)}
                  for p, t in milestones]
        tps = [{"touch_id": f"t{k}", "person_id": f"p{p}", "ts": day(t), "channel": ch}
               for k, (p, t, ch) in enumerate(touches)]
        if not tps:
            return
        with wanamaker.open(root) as ws:
            for table, rows in (("accounts", accounts), ("people", people), ("opportunities", opps),
                                ("touchpoints", tps), ("stage_events", events)):
                if rows:
                    ws.load([write_csv(Path(tmp) / f"{table}.csv", rows)], table=table)
            try:
                result = ws.attribution(model="all", value=value, level=level, persist=False)
            except wanamaker.DataError:
                return  # no touches in the window: nothing to divide
        total = result.counts["total_value"]
        won_only = value == "revenue"
        end = max([day(t) for _, t, _ in touches] + [day(t) for _, t in milestones])  # the window ends with the data
        if not milestones:  # the opportunity stage is then dated by the deals, whose dates end the data too
            end = max([end] + [o["created_at"] for o in opps])
        expected = sum(int(o["amount"]) for o in opps
                       if (o["status"] == "won" or not won_only) and o["created_at"] <= end)
        assert total == pytest.approx(expected)
        for model, got in _sums(result).items():
            assert got == pytest.approx(total, rel=1e-9, abs=1e-6), model
