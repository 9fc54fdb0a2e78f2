"""Per-touch cost in the loaded demo: paid clicks carry what the ad platform billed, through the same
`wanamaker load` path a user takes (the click report loaded with --upsert over the GA4 sessions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from tests.demo.helpers import DemoRun

import wanamaker
from wanamaker.demo import campaigns, funnel, generate
from wanamaker.demo.causal import CHANNELS

PAID = tuple(campaigns.CPC)
PAID_SQL = ", ".join(f"'{c}'" for c in PAID)


def _rows(ws: wanamaker.Workspace, sql: str) -> list[dict[str, object]]:
    return list(ws.sql(sql).to_pylist())


def test_paid_touches_carry_cost_and_unpaid_none(small_demo: DemoRun) -> None:
    assert small_demo.exit_code == 0, small_demo.output
    with wanamaker.open(small_demo.root) as ws:
        rows = _rows(ws, "SELECT channel, count(*) AS n, count(cost) AS costed, count(currency) AS cur, "
                         "min(cost) AS low, count(DISTINCT currency) AS currencies FROM touchpoints GROUP BY 1")  # fmt: skip
    by = {r["channel"]: r for r in rows}
    assert set(PAID) <= set(by) and len(by) >= 10
    for ch, r in by.items():
        if ch in PAID:
            assert r["costed"] == r["cur"] == r["n"] > 0 and r["low"] > 0 and r["currencies"] == 1, r
        else:
            assert r["costed"] == r["cur"] == 0, r


def test_no_touch_counted_twice_and_every_click_row_loaded(small_demo: DemoRun) -> None:
    spec = small_demo.spec
    reps = funnel.make_reps(spec)
    t = generate.touches(spec, generate.draw_chunk(spec, reps, 0))  # the small world is one chunk
    paid = int(np.isin(t.channel, [CHANNELS.index(c) for c in PAID]).sum())
    clicks = small_demo.root / "demo-data" / "ads" / "paid_clicks.parquet"
    assert pq.read_metadata(clicks).num_rows == paid > 0
    with wanamaker.open(small_demo.root) as ws:
        n = _rows(ws, "SELECT count(*) AS n, count(DISTINCT touch_id) AS ids, count(cost) AS costed FROM touchpoints")
        loads = _rows(ws, "SELECT counts FROM _loads WHERE files LIKE '%paid_clicks.parquet%'")
    assert n[0]["n"] == n[0]["ids"] == t.n  # every generated touch once: the clicks replaced their sessions
    assert n[0]["costed"] == paid
    assert len(loads) == 1
    (f,) = json.loads(str(loads[0]["counts"]))["files"]
    assert f["read"] == f["loaded"] == paid and f["quarantined"] == f["duplicates"] == f["skipped"] == 0


def test_touch_cost_reconciles_with_spend(small_demo: DemoRun) -> None:
    """For the ad platforms, daily spend per channel and campaign is exactly the sum of their clicks'
    costs (to the cent); the other channels' spend is budget, with no per-touch cost."""
    with wanamaker.open(small_demo.root) as ws:
        diff = _rows(ws, f"""
            WITH t AS (SELECT CAST(ts AS DATE) AS date, channel, COALESCE(campaign_id, '(none)') AS campaign_id,
                              sum(cost) AS cost FROM touchpoints WHERE cost IS NOT NULL GROUP BY ALL),
                 s AS (SELECT date, channel, campaign_id, amount FROM spend WHERE channel IN ({PAID_SQL}))
            SELECT t.*, s.amount FROM t FULL JOIN s USING (date, channel, campaign_id)
            WHERE t.cost IS NULL OR s.amount IS NULL OR abs(t.cost - s.amount) >= 0.005""")  # fmt: skip
        totals = _rows(ws, """
            SELECT channel, (SELECT sum(cost) FROM touchpoints t WHERE t.channel = s.channel) AS cost,
                   sum(amount) AS amount, count(*) AS days FROM spend s GROUP BY channel""")  # fmt: skip
        currencies = _rows(ws, "SELECT DISTINCT currency FROM spend UNION SELECT DISTINCT currency FROM touchpoints "
                               "WHERE currency IS NOT NULL")  # fmt: skip
    assert diff == []
    by = {r["channel"]: r for r in totals}
    for ch in PAID:
        assert by[ch]["cost"] > 0 and abs(by[ch]["cost"] - by[ch]["amount"]) < 0.005 * by[ch]["days"], by[ch]
    for ch in ("webinar", "event", "content", "partner"):
        assert by[ch]["amount"] > 0 and by[ch]["cost"] is None
    assert [r["currency"] for r in currencies] == ["USD"]


def test_click_report_changes_nothing_but_cost(small_demo: DemoRun, tmp_path: Path) -> None:
    """The paid sessions as the ga4-events preset alone loads them equal the demo's rows, but for
    cost and currency: the click report's mapping gives the same touch, only with its cost."""
    cols = "touch_id, person_id, anonymous_id, account_id, ts, channel, campaign_id, source, medium, content, " \
           "touch_type, owner_id"  # fmt: skip
    query = f"SELECT {cols} FROM touchpoints WHERE channel IN ({PAID_SQL}) ORDER BY touch_id"
    wanamaker.init(tmp_path / "ga4")
    with wanamaker.open(tmp_path / "ga4") as ws:
        ws.load([str(small_demo.root / "demo-data" / "ga4" / "events.parquet")], preset="ga4-events")
        alone = ws.sql(query)
        assert _rows(ws, "SELECT count(cost) AS n FROM touchpoints")[0]["n"] == 0  # GA4 has no cost
    with wanamaker.open(small_demo.root) as ws:
        demo = ws.sql(query)
    assert alone.num_rows > 0 and demo.equals(alone)
