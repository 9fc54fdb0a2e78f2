"""The metric catalogue and the goals against hand-written SQL on the small demo workspace.

Every goal of the demo's plan.yml gets its actual (up to ``GoalsResult.as_of``) and its auto baseline (the
previous period of the same length) recomputed with DuckDB SQL through ``ws.sql``, written from the
definitions in the module docs (:mod:`wanamaker.metrics.money`, :mod:`wanamaker.funnel.stages`,
:mod:`wanamaker.funnel.sourced`, :mod:`wanamaker.metrics.custom`), not from the Ibis code. The stage-count
metrics must also equal the funnel's entries per quarter, and every built-in metric must evaluate on the
demo, a ratio being its numerator / denominator.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from tests.demo.helpers import DemoRun

import wanamaker
from wanamaker.goals.catalogue import builtin_metrics

STAGE_METRICS = {"visitors": "visitor", "leads": "lead", "mql": "mql", "sal": "sal", "sql": "sql"}


@pytest.fixture
def demo(small_demo: DemoRun) -> Iterator[wanamaker.Workspace]:
    assert small_demo.exit_code == 0, small_demo.output
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        yield ws


# ------------------------------------------------------------------ periods, from the labels


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, day.day)


def bounds(label: str, fiscal_year_start: str) -> tuple[date, date]:
    """First day and the day after the last of ``FY2026`` / ``FY2026-Q2`` (the fiscal year FYn ends in n) or
    of the month ``2026-03``."""
    if not label.startswith("FY"):
        first = date(int(label[:4]), int(label[5:7]), 1)
        return first, _add_months(first, 1)
    month, day = (int(x) for x in fiscal_year_start.split("-"))
    year = int(label[2:6])
    first = date(year, 1, 1) if (month, day) == (1, 1) else date(year - 1, month, day)
    if "-Q" not in label:
        return first, _add_months(first, 12)
    q = int(label[-1])
    return _add_months(first, 3 * (q - 1)), _add_months(first, 3 * q)


def previous(label: str, fiscal_year_start: str) -> tuple[date, date]:
    start, end = bounds(label, fiscal_year_start)
    months = 1 if not label.startswith("FY") else 3 if "-Q" in label else 12
    return _add_months(start, -months), start


def lit(moment: date | datetime) -> str:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return f"TIMESTAMP '{moment.isoformat(sep=' ')}'"


# ------------------------------------------------------------------ the metrics in SQL


def scalar(ws: wanamaker.Workspace, query: str) -> float | None:
    got = ws.sql(query).to_pylist()
    assert len(got) == 1, query
    value = next(iter(got[0].values()))
    return None if value is None else float(value)


def in_window(col: str, lo: str, hi: str, upto: str | None) -> str:
    cond = f"{col} >= {lo} AND {col} < {hi}"
    return cond + (f" AND {col} <= {upto}" if upto else "")


def money_sql(ws: wanamaker.Workspace, placed_at: str, won_only: bool, where: str, extra_join: str = "") -> str:
    """Sum of opportunity amounts in the workspace currency, at the fx rate of the day they are placed
    (``created_at`` for pipeline, ``closed_at`` for won revenue); a foreign amount without a rate is left out."""
    home = ws.config.currency
    status = "AND o.status = 'won'" if won_only else ""
    return f"""
        SELECT coalesce(sum(CASE WHEN o.currency IS NULL OR o.currency = '{home}' THEN o.amount
                                 ELSE o.amount * fx.rate_to_workspace_currency END), 0) AS v
        FROM opportunities o
        LEFT JOIN fx_rates fx ON fx.currency = o.currency AND fx.date = CAST(o.{placed_at} AS DATE)
        {extra_join}
        WHERE o.{placed_at} IS NOT NULL {status} AND {where.replace('TS', 'o.' + placed_at)}"""


def person_touches_cte() -> str:
    """``tp``: every touch with its person (its person_id, else the earliest-linked person of its
    anonymous id, a link without a time last, ties by person_id)."""
    return """
        links AS (
            SELECT anonymous_id, person_id AS linked FROM (
                SELECT anonymous_id, person_id,
                       row_number() OVER (PARTITION BY anonymous_id
                                          ORDER BY coalesce(linked_at, TIMESTAMP '2999-01-01'), person_id) AS rn
                FROM identities WHERE anonymous_id IS NOT NULL AND person_id IS NOT NULL) x
            WHERE rn = 1),
        tp AS (
            SELECT t.*, coalesce(t.person_id, l.linked) AS person
            FROM touchpoints t LEFT JOIN links l ON l.anonymous_id = t.anonymous_id)"""


def quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names) or "NULL"


def sourced_ids_sql(ws: wanamaker.Workspace) -> str:
    """The ids of opportunities marketing sourced under ``first_touch``: the opportunity's first touch at or
    before created_at (ties by touch_id) -- its person's touches, or for an opportunity without a person the
    touches of the account's people and the account's own touches without a person -- is on a marketing
    channel and is no sales touch (a sales-group channel, or made by a member of the sales team)."""
    cfg = ws.config
    assert cfg.funnel.sourced_rule == "first_touch"  # the rule this SQL implements
    marketing = quoted([c for c, spec in cfg.channels.items() if spec.marketing])
    sales_channels = quoted([c for c, spec in cfg.channels.items() if spec.group == "sales"])
    return f"""
        WITH {person_touches_cte()},
        st AS (
            SELECT tp.*, (tp.channel IN ({sales_channels})
                          OR coalesce(tp.owner_id IN (SELECT member_id FROM team_members
                                                      WHERE lower(team) = 'sales'), FALSE)) AS sales
            FROM tp),
        ot AS (
            SELECT o.opportunity_id, st.touch_id, st.ts, st.channel, st.sales
            FROM opportunities o JOIN st ON st.person = o.person_id
            WHERE o.person_id IS NOT NULL AND st.ts <= o.created_at
            UNION
            SELECT o.opportunity_id, st.touch_id, st.ts, st.channel, st.sales
            FROM opportunities o JOIN people p ON p.account_id = o.account_id JOIN st ON st.person = p.person_id
            WHERE o.person_id IS NULL AND st.ts <= o.created_at
            UNION
            SELECT o.opportunity_id, st.touch_id, st.ts, st.channel, st.sales
            FROM opportunities o JOIN st ON st.account_id = o.account_id
            WHERE o.person_id IS NULL AND st.person_id IS NULL AND st.ts <= o.created_at),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY opportunity_id ORDER BY ts, touch_id) AS rn FROM ot)
        SELECT opportunity_id FROM ranked
        WHERE rn = 1 AND channel IN ({marketing}) AND NOT sales"""


def stage_count_sql(ws: wanamaker.Workspace, stage: str, where: str) -> str:
    """People reaching ``stage``: its time is the earliest event at that stage or any later configured stage,
    counted only when the person was seen at or before it (a visitor event also at the person's first
    touch)."""
    stages = list(ws.config.funnel.stages)
    i = stages.index(stage)
    order = " ".join(f"WHEN '{s}' THEN {k}" for k, s in enumerate(stages))
    visitors = ""
    if "visitor" in stages:
        visitors = "UNION ALL SELECT person, 'visitor', min(ts) FROM tp WHERE person IS NOT NULL GROUP BY person"
    return f"""
        WITH {person_touches_cte()},
        ev AS (
            SELECT subject_id, stage, ts FROM stage_events
            WHERE subject_type = 'person' AND stage IN ({quoted(stages)})
            {visitors}),
        k AS (SELECT subject_id, ts, CASE stage {order} END AS idx FROM ev),
        per AS (
            SELECT subject_id, min(ts) FILTER (WHERE idx >= {i}) AS stage_at, bool_or(idx <= {i}) AS seen
            FROM k GROUP BY subject_id)
        SELECT count(*) FROM per WHERE seen AND stage_at IS NOT NULL AND {where.replace('TS', 'stage_at')}"""


def metric_sql(ws: wanamaker.Workspace, metric: str, lo: str, hi: str, upto: str | None) -> float | None:
    """The plan's metric over ``[lo, hi)`` (and ``<= upto``), from its definition."""
    where = in_window("TS", lo, hi, upto)
    if metric == "revenue":
        return scalar(ws, money_sql(ws, "closed_at", True, where))
    if metric == "pipeline":
        return scalar(ws, money_sql(ws, "created_at", False, where))
    if metric == "revenue_sourced":
        return scalar(ws, money_sql(ws, "closed_at", True, where + f" AND o.opportunity_id IN ({sourced_ids_sql(ws)})"))
    if metric in STAGE_METRICS:
        return scalar(ws, stage_count_sql(ws, STAGE_METRICS[metric], where))
    touches = {  # custom metrics of the demo plan (their where:) and the built-in email_opens
        "webinar_leads": "count(DISTINCT person_id) FROM touchpoints WHERE channel = 'webinar'",
        "email_clicks": "count(*) FROM touchpoints WHERE channel = 'email' AND touch_type = 'email_click'",
        "email_opens": "count(*) FROM touchpoints WHERE touch_type = 'email_open'",
        "web_sessions": "count(*) FROM touchpoints WHERE anonymous_id IS NOT NULL",
    }
    if metric in touches:
        return scalar(ws, f"SELECT {touches[metric]} AND {where.replace('TS', 'ts')}")
    if metric == "email_click_to_open":
        clicks = metric_sql(ws, "email_clicks", lo, hi, upto)
        opens = metric_sql(ws, "email_opens", lo, hi, upto)
        return None if not opens or clicks is None else clicks / opens
    raise AssertionError(f"the demo plan uses {metric}: add its SQL to this test")


def test_goal_actuals_and_baselines_equal_sql(demo: wanamaker.Workspace) -> None:
    ws = demo
    cfg = ws.config
    assert cfg.timezone == "UTC"  # local days are UTC days: the bounds below are the labels' dates
    result = ws.goals()
    as_of = lit(result.as_of)
    covered: set[str] = set()
    for goal in ws.plan.goals:
        row = result.get(goal.id)
        assert isinstance(goal.period, str)
        start, end = bounds(goal.period, cfg.fiscal_year_start)
        assert datetime(start.year, start.month, start.day) <= result.as_of  # every demo goal has started
        want = metric_sql(ws, goal.metric, lit(start), lit(end), as_of)
        assert want is not None and want > 0, goal.id  # a zero would make the comparison weak
        assert row.actual == pytest.approx(want, rel=1e-9), goal.id
        if goal.baseline == "auto":
            p0, p1 = previous(goal.period, cfg.fiscal_year_start)
            base = metric_sql(ws, goal.metric, lit(p0), lit(p1), None)
            assert base is not None and base > 0, goal.id
            assert row.baseline == pytest.approx(base, rel=1e-9), goal.id
        if not isinstance(goal.target, int | float):
            assert row.target == pytest.approx(row.baseline * (1 + goal.target.growth), rel=1e-12)
        covered.add(goal.metric)
    # the demo's plan covers money, sourced money, stage counts, custom counts and a custom ratio
    assert {"revenue", "pipeline", "revenue_sourced", "mql", "sal", "webinar_leads", "email_click_to_open",
            "web_sessions"} <= covered


def test_sourced_revenue_is_a_part_of_revenue(demo: wanamaker.Workspace) -> None:
    """revenue_sourced <= revenue, and it is the won revenue of the opportunities opportunity_flags marks
    sourced (the engine's own flags, a second check next to the SQL of the rule above)."""
    from wanamaker.funnel.sourced import opportunity_flags

    ws = demo
    start, end = bounds("FY2026", ws.config.fiscal_year_start)
    s, e = datetime(start.year, start.month, start.day), datetime(end.year, end.month, end.day)
    flags = {r["opportunity_id"]: r for r in opportunity_flags(ws).to_pyarrow().to_pylist()}
    closed = {r["opportunity_id"]: r["closed_at"] for r in ws.sql(
        "SELECT opportunity_id, closed_at FROM opportunities WHERE status = 'won'").to_pylist()}
    want = sum(flags[o]["won_amount"] for o, at in closed.items() if s <= at < e and flags[o]["sourced"] == 1)
    got = ws.metric("revenue_sourced", in_label="FY2026").rows[0].value
    revenue = ws.metric("revenue", in_label="FY2026").rows[0].value
    assert got == pytest.approx(want, rel=1e-9)
    assert 0 < got <= revenue
    ids = {r["opportunity_id"] for r in ws.sql(sourced_ids_sql(ws)).to_pylist()}
    assert ids == {o for o, f in flags.items() if f["sourced"] == 1}


@pytest.mark.parametrize("metric", ["leads", "mql", "sal", "sql"])
def test_stage_metrics_per_quarter_equal_the_funnel(demo: wanamaker.Workspace, metric: str) -> None:
    stage = STAGE_METRICS[metric]
    got = {r.period: r.value for r in demo.metric(metric, period="quarter").rows if r.key == "all"}
    funnel = {r.period: float(r.entered) for r in demo.funnel(period="quarter").conversion
              if r.key == "all" and r.stage == stage}
    assert sum(got.values()) > 0 and len(got) >= 4
    for label in sorted(set(got) | set(funnel)):
        assert got.get(label, 0.0) == funnel.get(label, 0.0), (metric, label)


def test_every_builtin_metric_evaluates_over_a_quarter(demo: wanamaker.Workspace) -> None:
    cat, problems = demo.metrics()
    assert not problems
    builtins = [m.id for m in builtin_metrics()]
    assert set(builtins) <= set(cat)
    values = {}
    for mid in builtins:
        rows = demo.metric(mid, in_label="FY2026-Q1").rows
        overall = [r for r in rows if r.key == "all" and r.period is None]
        assert len(overall) == 1, mid
        r = overall[0]
        values[mid] = r.value
        if cat[mid].agg == "ratio":
            if r.denominator:
                assert r.value == pytest.approx(r.numerator / r.denominator, rel=1e-12), mid
            else:  # the demo sends no e-mails (no email_sent touches): the open rate is unknown, not 0
                assert (mid, r.value) == ("email_open_rate", None)
            num = demo.metric(cat[mid].numerator, in_label="FY2026-Q1").rows[0].value
            den = demo.metric(cat[mid].denominator, in_label="FY2026-Q1").rows[0].value
            assert (r.numerator, r.denominator) == (pytest.approx(num, rel=1e-12), pytest.approx(den, rel=1e-12))
    q1 = bounds("FY2026-Q1", demo.config.fiscal_year_start)
    lo, hi = lit(q1[0]), lit(q1[1])
    for mid in ("revenue", "pipeline", "revenue_sourced", "leads", "mql", "sal", "sql", "email_opens"):
        assert values[mid] == pytest.approx(metric_sql(demo, mid, lo, hi, None), rel=1e-9), mid
    # the demo has data for each of these over the quarter
    for mid in ("opportunities", "won_deals", "revenue", "spend", "email_opens", "mql", "sales_cycle_days"):
        assert values[mid], mid
    assert values["won_deals"] <= values["closed_deals"] and 0 < values["win_rate"] <= 1
    assert values["revenue_sourced"] <= values["revenue"] and values["revenue_influenced"] <= values["revenue"]
