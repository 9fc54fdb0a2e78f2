"""One builder per view: the tables and charts of a section from the :class:`Results` of one report.

A builder may raise :class:`~wanamaker.errors.WanamakerError` (its analysis could not run); :func:`build` turns that
into a view that shows the message. Parts of a view that come from a second analysis degrade alone: their table
carries the message as its note.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from wanamaker.errors import WanamakerError
from wanamaker.report import charts
from wanamaker.report.results import CHART_MODELS, Results
from wanamaker.report.views import TITLES, Chart, Table, View

NO_ROWS = "No rows: the data holds nothing for this table in its window."


def json_value(value: Any) -> Any:
    """A JSON-ready value: numbers stay numbers (NaN and infinity become None), dates become ISO strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return json_value(value.item())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def table(key: str, title: str, rows: Iterable[dict[str, Any]], columns: Sequence[str],
          note: str | None = None, *, extra: Sequence[str] = ()) -> Table:
    """A table of ``columns`` (plus the hidden ``extra`` keys, e.g. the ``unit`` a renderer formats by)."""
    keep = tuple(columns) + tuple(extra)
    out = tuple({c: json_value(r.get(c)) for c in keep} for r in rows)
    return Table(key, title, tuple(columns), out, note if out else (f"{note} {NO_ROWS}" if note else NO_ROWS))


def failed(key: str, title: str, exc: WanamakerError) -> Table:
    return Table(key, title, (), (), f"Not computed: {exc}")


def part(key: str, title: str, make: Callable[[], Table]) -> Table:
    """``make()``, or an empty table whose note is the error that stopped it."""
    try:
        return make()
    except WanamakerError as exc:
        return failed(key, title, exc)


def error_view(key: str, exc: WanamakerError) -> View:
    return View(key, TITLES[key], "", "", (), (), error=str(exc))


# --------------------------------------------------------------------------------------------- scorecard
def scorecard(r: Results) -> View:
    """The one page: goals against pace, effectiveness beside efficiency, sourced and influenced revenue, unit
    economics and the wasted half; each table says its window, because the analyses' default periods differ."""
    sc = r.scorecard()
    window = r.describe(sc.period)
    notes = list(sc.notes)
    if sc.efficiency_only_goals:
        notes.append("Goals measured only by efficiency (no outcome above them): " + ", ".join(sc.efficiency_only_goals))
    cols = ("name", "value", "previous", "change")
    lines = [ln.as_dict() for ln in sc.lines]
    tables = [
        table("effectiveness", "Effectiveness: what the money and effort produced",
              [ln for ln in lines if ln["column"] == "effectiveness"], cols, f"{window}; previous = the period before.",
              extra=("metric", "unit", "direction")),
        table("efficiency", "Efficiency: what it cost and how fast it moved",
              [ln for ln in lines if ln["column"] == "efficiency"], cols, f"{window}; previous = the period before.",
              extra=("metric", "unit", "direction")),
        part("goals", "Goals against pace", lambda: _goal_table(r, summary=True)),
        part("sourced_revenue", "Marketing-sourced and influenced revenue", lambda: _sourced_table(r)),
        part("unit_economics", "CAC, LTV:CAC and payback", lambda: _unit_economics(r, only_all=True)),
        part("waste", "The wasted half", lambda: _waste_summary(r)),
    ]
    order = ("goals", "effectiveness", "efficiency", "sourced_revenue", "unit_economics", "waste")
    tables.sort(key=lambda t: order.index(t.key))
    source = ("the metric catalogue over opportunities, stage_events, spend and touchpoints; goals from plan.yml; "
              "waste and unit economics from spend, lift tests, the mix model and attribution")
    return View("scorecard", TITLES["scorecard"], source, window, tuple(tables), (), tuple(notes))


def _goal_table(r: Results, *, summary: bool) -> Table:
    g = r.goals()
    rows = [{**row.as_dict(), "unit": g.units.get(row.metric)} for row in g.rows]
    note = f"As of {r.local_day(g.as_of).isoformat()}; each goal over its own period (plan.yml)."
    if summary:
        cols: tuple[str, ...] = ("name", "period", "target", "actual", "progress", "expected_progress", "status")
    else:
        cols = ("name", "team", "metric", "kind", "period", "baseline", "target", "actual", "progress",
                "expected_progress", "rollup_progress", "status")
    return table("goals", "Goals against pace", rows, cols, note, extra=("id", "unit", "depth", "metric"))


def _sourced_table(r: Results) -> Table:
    s = r.alignment().sourced
    total = s.total.revenue
    rows = [{"measure": name, "opportunities": b.opportunities, "pipeline": b.pipeline, "won": b.won,
             "revenue": b.revenue, "revenue_share": (b.revenue / total) if total else None}
            for name, b in (("all deals", s.total), ("marketing-sourced", s.sourced), ("marketing-influenced", s.influenced))]
    return table("sourced_revenue", "Marketing-sourced and influenced revenue", rows,
                 ("measure", "opportunities", "pipeline", "won", "revenue", "revenue_share"),
                 f"Opportunities, {r.all_data()}; sourced by the {s.rule} rule, influenced = any marketing touch.")


def _unit_economics(r: Results, *, only_all: bool) -> Table:
    e = r.economics()
    rows = [row for row in e.as_json() if row["key"] == "all" or not only_all]
    cols: tuple[str, ...] = ("key", "spend", "new_customers", "cac", "ltv", "ltv_cac", "payback_months", "romi")
    if not only_all:
        cols += ("romi_low", "romi_high")
    window = r.describe(e.params.get("window"))
    note = f"{window}; credit by {e.params.get('model')} attribution, LTV by the {e.params.get('ltv_model')} model."
    if e.notes and not rows:
        note += " " + " ".join(e.notes)
    return table("unit_economics", "CAC, LTV:CAC and payback", rows, cols, note)


def _waste_summary(r: Results, key: str = "waste") -> Table:
    w = r.waste()
    total = sum(w.totals.values())
    keys = {v: [row.key for row in w.rows if row.key != "all" and row.verdict == v] for v in w.totals}
    rows = [{"verdict": v, "spend": amount, "spend_share": (amount / total) if total else None,
             "channels": ", ".join(keys.get(v, []))} for v, amount in w.totals.items()]
    note = (f"{r.describe(w.window)}; break-even ROI {w.breakeven:.2f} (1 / gross margin). Wasted: the ROI interval is "
            "below break-even; working: above it; unproven: it cannot tell.")
    return table(key, "The wasted half: spend by verdict", rows, ("verdict", "spend", "spend_share", "channels"),
                 note if rows else f"{note} {' '.join(w.notes)}")


# --------------------------------------------------------------------------------------------- details
def goals(r: Results) -> View:
    t = _goal_table(r, summary=False)
    g = r.goals()
    rows = [{"goal": f"{row.id}", "progress": row.progress, "expected_progress": row.expected_progress,
             "status": row.status} for row in g.rows if row.progress is not None]
    window = f"as of {r.local_day(g.as_of).isoformat()}, each goal over its own period"
    chart = (Chart("pace", "Progress against pace", charts.pace(rows, title="Progress against pace (tick = pace)"),
                   "plan.yml goals measured by the metric catalogue", window),) if rows else ()
    return View("goals", TITLES["goals"], "plan.yml goals measured by the metric catalogue", window, (t,), chart,
                tuple(g.notes))


def waste(r: Results) -> View:
    w = r.waste()
    window = r.describe(w.window)
    source = "spend; incremental value from lift tests, the mix model and calibrated attribution (opportunity milestone)"
    rows = w.as_json()
    main = table("waste", "Spend, incremental value and ROI", rows,
                 ("key", "spend", "incremental_value", "roi", "roi_low", "roi_high", "verdict", "source",
                  "recommendation"), f"{window}; break-even ROI {w.breakeven:.2f}.")
    detail = [row for row in rows if row["key"] != "all" and row["roi"] is not None]
    spec = charts.intervals(detail, category="key", value="roi", low="roi_low", high="roi_high",
                            title="ROI per channel with its interval", value_title="ROI (incremental value / spend)",
                            rule=w.breakeven, rule_label="break-even", color="verdict")
    chart = (Chart("roi", "ROI per channel with its interval", spec, source, window),) if detail else ()
    return View("waste", TITLES["waste"], source, window, (main, _waste_summary(r, "totals")), chart, tuple(w.notes))


def funnel(r: Results) -> View:
    f = r.funnel()
    p = f.params
    window = (f"all data: {str(p.get('data_from', ''))[:10]} – {str(p.get('data_to', ''))[:10]}"
              if p.get("data_from") else r.all_data())
    source = f"stage_events at the {p.get('level', 'person')} level (cohort funnel)"
    conversion = [row for row in f.rows() if row["key"] == "all"]
    tables = (
        table("conversion", "Conversion between stages", conversion,
              ("stage", "entered", "converted_to_next", "rate", "to_final_rate", "median_days_to_next")),
        table("velocity", "Days between stages", [row for row in f.velocity_rows() if row["key"] == "all"],
              ("from_stage", "to_stage", "subjects", "median_days", "p90_days")),
        table("leakage", "Where the funnel leaks", [row for row in f.leakage_rows() if row["key"] == "all"],
              ("stage", "reached", "stopped_here", "open", "stalled", "skipped", "reentered"),
              f"Stalled: open with no stage change for {p.get('stall_days', 30):g} days."),
    )
    spec = charts.bars(conversion, category="stage", value="entered", title="Subjects entering each stage",
                       value_title="entered", sort=[str(row["stage"]) for row in conversion])
    chart = (Chart("stages", "Subjects entering each stage", spec, source, window),) if conversion else ()
    notes = ("The funnel covers all the data; --in does not narrow it.",) if r.in_label else ()
    return View("funnel", TITLES["funnel"], source, window, tables, chart, notes)


def attribution(r: Results) -> View:
    a = r.attribution()
    rows = a.to_dicts()
    run = a.runs[0] if a.runs else None
    if r.period is not None:
        window = r.describe(r.in_label)
    elif run is not None and run.data_to is not None:
        window = f"all journeys to {r.local_day(run.data_to).isoformat()} (lookback {run.lookback})"
    else:
        window = r.all_data()
    milestone = run.milestone if run is not None else "opportunity"
    measure = run.value if run is not None else "count"
    source = f"touchpoints and stage_events, {milestone} milestone, credit by {measure}, every model"
    models = list(dict.fromkeys(str(row["model"]) for row in rows))
    wide: dict[str, dict[str, Any]] = {}
    for row in rows:
        wide.setdefault(str(row["key"]), {"key": row["key"]})[f"share_{row['model']}"] = row["share"]
    credited = ("conversions",) if measure == "count" else ("conversions", "value")
    compared = [m for m in CHART_MODELS if m in models]
    tables = [
        table("shares", "Share of credit per channel, every model side by side", wide.values(),
              ("key", *(f"share_{m}" for m in models))),
        table("credit", "Credit with 90 % intervals, the models compared", sorted(
            (row for row in rows if row["model"] in compared), key=lambda row: (compared.index(row["model"]),
                                                                                -(row["share"] or 0))),
              ("model", "key", *credited, "share", "ci_low", "ci_high"),
              f"Intervals: Poisson bootstrap of the credited measure ({measure}). Every model with its intervals: "
              "`wanamaker attribute --model all --ci`."),
        table("calibrated", "Calibrated credit (attribution scaled by lift tests and the mix model)",
              [row for row in rows if row["model"] == "calibrated"], ("key", *credited, "share", "ci_low", "ci_high"),
              "Intervals where a lift test measured the channel."),
    ]
    picked = [row for row in rows if row["model"] in CHART_MODELS]
    chart_list = []
    if picked:
        chart_list.append(Chart("models", "Share of credit by model", charts.grouped_bars(
            picked, category="key", group="model", value="share", title="Share of credit by model",
            value_title="share of credit", percent=True), source + f" ({', '.join(CHART_MODELS)})", window))
    calibrated = [row for row in rows if row["model"] == "calibrated" and row["ci_low"] is not None]
    if calibrated:
        chart_list.append(Chart("calibrated", "Calibrated credit with its interval", charts.intervals(
            calibrated, category="key", value="conversions", low="ci_low", high="ci_high",
            title="Calibrated credit with its interval", value_title=f"credited {measure}"),
            "calibrated model: attribution scaled by lift tests and the mix model", window))
    return View("attribution", TITLES["attribution"], source, window, tuple(tables), tuple(chart_list),
                tuple(a.notes))


def economics(r: Results) -> View:
    e = r.economics()
    window = r.describe(e.params.get("window"))
    source = f"spend, team costs, won deals and revenue; credit by {e.params.get('model')} attribution"
    main = _unit_economics(r, only_all=False)
    pipe = part("pipeline", "Pipeline per quarter", lambda: _pipeline_table(r))
    chart_list = []
    per_key = [row for row in main.rows if row.get("ltv_cac") is not None]
    if per_key:
        chart_list.append(Chart("ltv_cac", "LTV:CAC per group", charts.bars(
            per_key, category="key", value="ltv_cac", title="LTV:CAC per group", value_title="LTV:CAC"),
            source, window))
    if pipe.rows:
        long = [{"period": row["period"], "measure": m.replace("_amount", ""), "amount": row[m]}
                for row in pipe.rows for m in ("created_amount", "won_amount")]
        chart_list.append(Chart("pipeline", "Pipeline created and won per quarter", charts.columns(
            long, x="period", group="measure", value="amount", title="Pipeline created and won per quarter",
            value_title=f"amount ({r.currency})"), "opportunities (created_at, closed_at, amount)",
            r.selected(r.all_data())))
    return View("economics", TITLES["economics"], source, window, (main, pipe), tuple(chart_list), tuple(e.notes))


def _pipeline_table(r: Results) -> Table:
    p = r.pipeline()
    return table("pipeline", "Pipeline per quarter", [row for row in p.as_json() if row["key"] == "all"],
                 ("period", "created", "created_amount", "won", "won_amount", "lost", "win_rate", "median_cycle_days"),
                 f"Opportunities, {r.selected(r.all_data())}. " + " ".join(p.notes))


def alignment(r: Results) -> View:
    al = r.alignment()
    window = r.all_data()
    source = "stage_events (hand-offs, acceptance, rejection), opportunities, survey_responses, SLA rules in wanamaker.yml"
    acceptance = [row for row in al.section("acceptance") if row["by"] == "all"]
    per_quarter = [row for row in acceptance if row["period"] is not None]
    survey = al.section("survey")
    tables = (
        _sourced_table(r),
        part("sla", "Follow-up SLAs", lambda: _sla_table(r)),
        table("acceptance", "Leads handed to sales: accepted and rejected",
              [{**row, "period": row["period"] or "all"} for row in acceptance],
              ("period", "handed_off", "accepted", "rejected", "pending", "accepted_rate", "rejected_rate")),
        table("rejection_reasons", "Why sales rejected leads",
              [row for row in al.section("rejection_reasons") if row["by"] == "all"], ("reason", "rejected", "share")),
        table("recycled", "Recycled leads", [row for row in al.section("recycled") if row["by"] == "all"],
              ("recycled", "reentered", "accepted_after", "won_after", "dormant")),
        table("survey", "Sales' rating of marketing (1–5)", survey,
              ("period", "responses", "respondents", "response_rate", "mean_score", "median_score", "acceptance_rate")),
    )
    chart_list = []
    if per_quarter:
        chart_list.append(Chart("acceptance", "Share of hand-offs sales accepted", charts.lines(
            per_quarter, x="period", value="accepted_rate", title="Share of hand-offs sales accepted",
            value_title="accepted", percent=True), "stage_events (mql hand-offs, sal / rejected decisions)", window))
    scored = [row for row in survey if row.get("mean_score") is not None]
    if scored:
        chart_list.append(Chart("survey", "Sales' mean rating of marketing", charts.lines(
            scored, x="period", value="mean_score", title="Sales' mean rating of marketing (1–5)",
            value_title="mean score"), "survey_responses", window))
    sla = next((t for t in tables if t.key == "sla"), None)
    if sla is not None and sla.rows:
        chart_list.append(Chart("sla", "SLA breach rate per rule", charts.bars(
            sla.rows, category="rule", value="breach_rate", title="SLA breach rate per rule", value_title="breached",
            percent=True), "stage_events and first sales touches against the sla rules of wanamaker.yml", window))
    return View("alignment", TITLES["alignment"], source, window, tables, tuple(chart_list))


def _sla_table(r: Results) -> Table:
    s = r.sla()
    return table("sla", "Follow-up SLAs", [row for row in s.rows() if row["key"] == "all" and row["period"] is None],
                 ("rule", "events", "median_hours", "p90_hours", "breaches", "breach_rate"),
                 f"As of {r.local_day(s.as_of).isoformat()}.")


def work(r: Results) -> View:
    w = r.work()
    window = r.selected(f"all work items to {r.local_day(w.as_of).isoformat()}" if w.rows() else r.all_data())
    source = "work_items, work_hours and approvals"
    rows = w.as_json()
    t = table("work", "Work per kind", rows,
              ("key", "items", "hours", "delivered", "overdue", "median_cycle_days", "on_time_rate",
               "repeatable_share", "unlinked_hours"), "Unlinked hours: work linked to no campaign or goal.")
    kinds = [row for row in rows if row["key"] != "all"]
    long = [{"kind": row["key"], "link": link, "hours": hours} for row in kinds
            for link, hours in (("linked", row["hours"] - row["unlinked_hours"]), ("unlinked", row["unlinked_hours"]))]
    chart = (Chart("hours", "Hours per kind of work", charts.bars(
        long, category="kind", value="hours", title="Hours per kind of work", value_title="hours", color="link"),
        source, window),) if long else ()
    return View("work", TITLES["work"], source, window, (t,), chart, tuple(w.notes))


def calendar(r: Results) -> View:
    c = r.calendar()
    span = r.calendar_window()
    window = f"{span[0].isoformat()} – {span[1].isoformat()}" if span is not None else r.all_data()
    if r.in_label is not None:
        window = r.describe(r.in_label)
    source = "campaigns (dates, segments, offers) and their touches"
    rows = c.as_json()
    tables = (
        table("timeline", "Campaigns on the calendar", rows,
              ("segment", "campaign_id", "name", "channel", "offer", "starts", "ends")),
        table("conflicts", "Conflicting offers to one segment", [
            {"campaigns": " / ".join(x.campaigns), "offers": " / ".join(x.offers), "segments": ", ".join(x.segments),
             "overlap_from": x.overlap_from, "overlap_to": x.overlap_to} for x in c.conflicts],
              ("campaigns", "offers", "segments", "overlap_from", "overlap_to")),
        table("gaps", "Quarters a segment went without promotion",
              [{"segment": x.segment, "quarter": x.quarter, "gap_from": x.gap_from, "gap_to": x.gap_to} for x in c.gaps],
              ("segment", "quarter", "gap_from", "gap_to")),
        table("missed_launches", "Campaigns that never launched",
              [{"campaign_id": x.campaign_id, "starts": x.starts, "ends": x.ends, "first_activity": x.first_activity}
               for x in c.missed_launches], ("campaign_id", "starts", "ends", "first_activity")),
    )
    chart = (Chart("timeline", "Campaigns by segment", charts.timeline(
        tables[0].rows, title="Campaigns by segment"), source, window),) if rows else ()
    return View("calendar", TITLES["calendar"], source, window, tables, chart, tuple(c.notes))


BUILDERS: dict[str, Callable[[Results], View]] = {
    "scorecard": scorecard, "goals": goals, "waste": waste, "funnel": funnel, "attribution": attribution,
    "economics": economics, "alignment": alignment, "work": work, "calendar": calendar,
}


def build(r: Results, key: str) -> View:
    """The view ``key``; an analysis that raises a WanamakerError gives a view holding its message."""
    try:
        return BUILDERS[key](r)
    except WanamakerError as exc:
        return error_view(key, exc)
