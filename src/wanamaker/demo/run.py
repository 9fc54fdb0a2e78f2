"""`wanamaker demo`: create a workspace, generate the world, load its exports the way a user
would (presets and mapping files through ``ws.load``), write the ground truth, run the analyses
the project has, and summarise — with the time of each step."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

import wanamaker
from wanamaker.demo.build import Built, build
from wanamaker.demo.calibrate import calibrate
from wanamaker.demo.spec import DemoSpec
from wanamaker.triangulate.evaluate import evaluate
from wanamaker.workspace import Workspace

# (files under exports/, preset or mapping, name)
LOADS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("hr/team_roster.csv",), "map", "hr_roster"),
    (("salesforce/Account.csv",), "map", "sf_accounts"),
    (("salesforce/Lead.csv",), "preset", "salesforce-leads"),
    (("salesforce/Lead.csv",), "upsert", "sf_lead_accounts"),
    (("salesforce/LifecycleHistory.csv",), "map", "sf_lifecycle"),
    (("salesforce/Opportunity.csv",), "preset", "salesforce-opportunities"),
    (("marketing/campaign_calendar.csv",), "map", "campaign_calendar"),
    (("ga4/events.parquet",), "preset", "ga4-events"),
    (("ads/paid_clicks.parquet",), "upsert", "ad_clicks"),  # the paid sessions again, with their cost
    (("marketing_automation/email_activity.csv",), "map", "email_activity"),
    (("salesforce/CampaignMember.csv",), "map", "sf_campaign_members"),
    (("salesforce/Task.csv",), "map", "sf_tasks"),
    (("ads/daily_spend.csv",), "map", "ad_spend"),
    (("billing/revenue_lines.csv",), "map", "billing_revenue"),
    (("work_management/tasks.csv",), "map", "work_tasks"),
    (("work_management/approvals.csv",), "map", "work_approvals"),
    (("survey/sales_rates_marketing.csv",), "map", "sales_survey"),
    (("experiments/experiment_log.csv",), "map", "experiments"),
)
EMAIL_COLUMNS = {"work_tasks": ("requested_by", "owner_id"), "work_approvals": ("reviewer_id",),
                 "sales_survey": ("respondent_id",)}  # fmt: skip
EXTRA_UTM = [{"medium": "content", "channel": "content"}, {"medium": "paid_social", "channel": "paid_social"}]


@dataclass
class DemoResult:
    root: Path
    built: Built
    timings: dict[str, float]
    quarantine: dict[str, int]
    loaded: dict[str, int]
    analyses: dict[str, Any] = field(default_factory=dict)
    load_steps: dict[str, float] = field(default_factory=dict)  # seconds per export loaded


def _yaml() -> YAML:
    y = YAML()
    y.default_flow_style = False
    return y


def _mapping(name: str, built: Built, folder: Path) -> Path:
    """A shipped mapping file; tools that name people by e-mail get the roster's e-mail -> id values."""
    src = resources.files("wanamaker.demo") / "mappings" / f"{name}.yml"
    text = src.read_text(encoding="utf-8")
    if name not in EMAIL_COLUMNS:
        path = folder / f"{name}.yml"
        path.write_text(text, encoding="utf-8")
        return path
    doc = _yaml().load(text)
    values = dict(zip(built.team.members.email, built.team.members.member_id, strict=True))
    for table in doc.values():
        for col in EMAIL_COLUMNS[name]:
            table[col]["values"] = values
    path = folder / f"{name}.yml"
    with path.open("w", encoding="utf-8") as fh:
        _yaml().dump(doc, fh)
    return path


def _configure(root: Path, built: Built) -> None:
    y = _yaml()
    cfg_path = root / "wanamaker.yml"
    cfg = y.load(cfg_path.read_text(encoding="utf-8")) or {}
    rules = list(cfg.get("utm_rules") or [])
    cfg["utm_rules"] = rules + [r for r in EXTRA_UTM if r not in rules]
    with cfg_path.open("w", encoding="utf-8") as fh:
        y.dump(cfg, fh)
    plan = {k: v for k, v in built.plan.items() if not k.startswith("_")}
    with (root / "plan.yml").open("w", encoding="utf-8") as fh:
        y.dump(plan, fh)


def run_demo(
    root: Path,
    spec: DemoSpec,
    *,
    on_step: Callable[[str], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    keep_exports: bool = True,
    on_open: Callable[[Any], None] | None = None,
    memory_limit: str | None = None,
) -> DemoResult:
    """Create the workspace ``root``, generate ``spec``'s world, load it, write the truth, run the
    analyses. ``on_open(ws)`` runs once the workspace is open; ``memory_limit`` caps its DuckDB connections."""
    root = Path(root)
    if (root / "wanamaker.yml").exists():
        from wanamaker.errors import UsageError

        raise UsageError(f"{root} already holds a workspace.", fix="Choose a new folder, or delete this one first.")
    say = on_step or (lambda _s: None)
    tick = on_progress or (lambda _s, _i, _n: None)
    exports = root / "demo-data"
    say(f"Generating a {spec.size} B2B SaaS company (seed {spec.seed}, ending {spec.end})")
    built = build(spec, exports, progress=lambda i, n: tick("generate", i, n))
    timings = dict(built.timings)
    t = time.perf_counter()
    wanamaker.init(root)
    _configure(root, built)
    maps = exports / "mappings"
    maps.mkdir(parents=True, exist_ok=True)
    quarantine: dict[str, int] = {}
    loaded: dict[str, int] = {}
    load_steps: dict[str, float] = {}
    say("Loading the exports through `wanamaker load`")
    with wanamaker.open(root, memory_limit=memory_limit) as ws:
        if on_open:
            on_open(ws)
        for k, (files, how, name) in enumerate(LOADS):
            t_file = time.perf_counter()
            paths = [str(exports / f) for f in files]
            if how == "preset":
                res = ws.load(paths, preset=name)
            else:
                res = ws.load(paths, mapping=str(_mapping(name, built, maps)), upsert=how == "upsert")
            for rep in res.tables:
                if how != "upsert":  # an upsert re-loads rows already counted
                    loaded[rep.table] = loaded.get(rep.table, 0) + rep.total("loaded")
                for code, n in rep.quarantine_reasons.items():
                    quarantine[code] = quarantine.get(code, 0) + n
            load_steps[name] = time.perf_counter() - t_file
            tick("load", k + 1, len(LOADS))
        ws.write_table("ground_truth", built.truth.ground_truth(), mode="replace")
        ws.write_table("ground_truth_experiments", built.truth.experiments_table(), mode="replace")
        ws.write_table("demo_planted", built.planted, mode="replace")
        planted = set(zip(built.planted.column("code").to_pylist(), built.planted.column("subject").to_pylist(),
                          strict=True))
        for change in calibrate(ws, planted):
            say(f"Plan sized to the loaded history: {change}")
        timings["load"] = time.perf_counter() - t
        t = time.perf_counter()
        analyses = run_analyses(ws, say)
        timings["analyses"] = time.perf_counter() - t
    if not keep_exports:  # benchmarks only: a user keeps the exports to load them again
        shutil.rmtree(exports, ignore_errors=True)
    return DemoResult(root, built, timings, quarantine, loaded, analyses, load_steps)


def _goals(ws: Workspace) -> Any:
    return ws.goals().as_json()


def _check(ws: Workspace) -> Any:
    return [f.as_dict() for f in ws.check()]


ANALYSES: tuple[tuple[str, Callable[[Workspace], Any]], ...] = (
    ("attribution", evaluate),  # every model, scored against the truth
    ("funnel", lambda ws: ws.funnel()),
    ("sla", lambda ws: ws.sla()),
    ("alignment", lambda ws: ws.alignment()),
    ("pipeline", lambda ws: ws.pipeline().as_json()),
    ("balance", lambda ws: ws.balance().as_json()),
    ("work", lambda ws: ws.work().as_json()),
    ("work audit", lambda ws: ws.work_audit().as_json()),
    ("goals", _goals),
    ("check", _check),
)


def run_analyses(ws: Workspace, say: Callable[[str], None]) -> dict[str, Any]:
    """Run every analysis with its defaults; a failing one is reported (the demo goes on)."""
    out: dict[str, Any] = {}
    for label, fn in ANALYSES:
        say(f"Running {label}")
        try:
            result = fn(ws)
            if hasattr(result, "as_dict") or hasattr(result, "to_dict"):
                out[label] = result.as_dict() if hasattr(result, "as_dict") else result.to_dict()
            elif callable(getattr(result, "rows", None)):
                out[label] = list(result.rows())
            else:
                out[label] = result
        except Exception as exc:  # noqa: BLE001 - the demo reports an analysis that fails and goes on
            out[label] = f"failed: {type(exc).__name__}: {exc}"
    return out


def headline(label: str, value: Any, analyses: dict[str, Any] | None = None) -> str:
    """One line per analysis for the summary, each number named by what it counts (people, deals, accounts).
    ``analyses`` (every result, by label) lets a line name a related count: the funnel's won people beside the
    pipeline's won deals."""
    if isinstance(value, str):
        return value
    if label == "funnel" and isinstance(value, list):
        rows = [r for r in value if r.get("key") == "all" and r.get("entered")]
        visited = None
        if len(rows) > 1 and rows[0].get("stage") == "visitor":
            # a person is a visitor from their first tracked touch, so a lead need not have been one: the line
            # starts at the next stage and says how many of those people were tracked
            visited, rows = rows[0]["entered"], rows[1:]
        # each arrow carries the stage's conversion to the next stage
        text, prev = "", None
        for i, r in enumerate(rows):
            if text:
                text += f" -{prev:.0%}-> " if prev is not None else " -> "
            text += f"{r['stage']} {r['entered']:,}"
            if i == 0 and visited is not None:
                text += f" ({visited:,} with a tracked touch)"
            prev = r.get("rate")
        pipeline = (analyses or {}).get("pipeline")
        if text and rows[-1].get("stage") == "won" and isinstance(pipeline, list) and pipeline:
            won = pipeline[0].get("won")
            if isinstance(won, int):  # people, not deals: one won deal can carry several people
                text += f" (on {won:,} won deal{'s' if won != 1 else ''})"
        return f"people: {text}" if text else text
    if label == "sla" and isinstance(value, list):
        return (
            ", ".join(
                f"{r.get('rule')}: {r.get('breach_rate') or 0:.0%} breached"
                for r in value
                if r.get("key") in (None, "all")
            )
            or f"{len(value)} rows"
        )
    if label == "attribution" and isinstance(value, dict) and value.get("models"):
        models = value["models"]
        best = models[0]
        last = next((m for m in models if m["model"] == "last_touch"), models[-1])
        return (
            f"closest to the ground truth: {best['model']} ({best['error_points']:.0f} points off); "
            f"last_touch {last['error_points']:.0f} points off ({len(models)} models ranked)"
        )
    if label == "pipeline" and isinstance(value, list) and value:
        a = value[0]
        rate = f"{a['win_rate']:.0%}" if a.get("win_rate") is not None else "n/a"
        return (f"deals: {a['created']:,} created, {a['won']:,} won ({a['won_amount']:,.0f} won revenue), "
                f"{a['lost']:,} lost; win rate {rate} of closed deals, median {a['median_cycle_days'] or 0:.0f} days "
                "to close")
    if label == "balance" and isinstance(value, list):
        overall = {r["measure"]: r for r in value if r["period"] == "all"}
        parts = [f"{m} {r['long_share']:.0%} long-term" for m, r in overall.items() if r["long_share"] is not None]
        target = value[0]["target"] if value else None
        return ", ".join(parts) + (f" (target {target:.0%})" if target is not None else "")
    if label == "work" and isinstance(value, list) and value:
        a = value[0]
        on_time = f"{a['on_time_rate']:.0%}" if a.get("on_time_rate") is not None else "n/a"
        return (f"{a['items']:,} items, {a['hours']:,.0f} hours ({a['unlinked_hours']:,.0f} linked to no campaign "
                f"or goal); median {a['median_cycle_days'] or 0:.1f} days requested to delivered, {on_time} on time")
    if label == "work audit" and isinstance(value, list):
        driven = Counter(str(r["driven_by"]) for r in value)
        delayed = sum(r["value_delayed"] for r in value)
        return (f"{len(value)} quarters: " + ", ".join(f"{n} {k}-driven" for k, n in driven.most_common())
                + f"; {delayed:,.0f} of expected value came later than in return order")
    if label == "goals" and isinstance(value, list):
        counts = Counter(str(r["status"]) for r in value)
        order = ("done", "on_track", "at_risk", "behind", "not_started")
        return f"{len(value)} goals: " + ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in order if counts[s])
    if label == "check" and isinstance(value, list):
        errors = Counter(str(r["code"]) for r in value if r["severity"] == "error")
        warnings = Counter(str(r["code"]) for r in value if r["severity"] == "warning")
        text = f"{sum(errors.values())} errors ({', '.join(f'{k} {v}' for k, v in errors.items()) or 'none'})"
        return text + f", {sum(warnings.values())} warnings ({', '.join(f'{k} {v}' for k, v in warnings.items())})"
    if isinstance(value, dict) and "marketing_share_of_won_revenue" in value:
        share = value["marketing_share_of_won_revenue"]
        return f"marketing share of won revenue {share:.0%}" if isinstance(share, float) else str(share)
    return f"{len(value)} rows" if isinstance(value, list | dict) else type(value).__name__
