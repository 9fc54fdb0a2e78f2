"""Size the demo plan's unplanted targets from the loaded history, so that the plan holds only the problems
it plants (DESIGN "Goals and plan checks": "where the check finds a real one that was not planted, fix the
demo's plan or plant it").

The plan is written before the exports are loaded, from rough world figures; seasonality and growth can make
an honest target look unrealistic or short of its parent. After the load, every error-severity plan finding
that ``demo_planted`` does not list is fixed the way a planner would:

- ``unrealistic_target``: the goal's growth is set to 80 % of the best uplift its history has shown (0 when
  the history never grew), rounded down to a whole percent;
- ``infeasible_target``: the stage goal's target is raised to the volume that adds up (with 5 % to spare)
  when its history has shown such an uplift; otherwise the parent's target is lowered until the stage goal
  produces it with 5 % to spare.

A growth written into a goal's name ("Grow pipeline 20 %") follows its new target.

Each change is returned (the demo prints it) so nothing is adjusted silently.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from wanamaker.config.loader import load_config
from wanamaker.goals.api import catalogue
from wanamaker.goals.checks import best_uplift, funnel_arithmetic, plan_checks
from wanamaker.goals.progress import evaluate_goals
from wanamaker.workspace import Workspace

FIXABLE = ("unrealistic_target", "infeasible_target")


def _floor(x: float, step: float = 0.01) -> float:
    return math.floor(x / step + 1e-9) * step


def calibrate(ws: Workspace, planted: set[tuple[str, str]], rounds: int = 3) -> list[str]:
    """Fix the unplanted target findings of ``ws``'s plan.yml in place; the changes made, in words."""
    path = ws.root / "plan.yml"
    changes: list[str] = []
    for _ in range(rounds):
        findings = [f for f in plan_checks(ws) if f.severity == "error" and f.code in FIXABLE
                    and (f.code, f.subject) not in planted]
        if not findings:
            break
        yaml = YAML()
        doc: Any = yaml.load(path.read_text(encoding="utf-8"))
        by_id = {g["id"]: g for g in doc["goals"]}
        cat, _ = catalogue(ws)
        goals = list(ws.plan.goals)
        result = evaluate_goals(ws, cat, goals)
        arithmetic = {a.goal: a for a in funnel_arithmetic(ws, cat, goals, {g.id for g in goals}, result)}
        for f in findings:
            if f.code == "unrealistic_target":
                goal = next(g for g in goals if g.id == f.subject)
                best, _n = best_uplift(ws, cat, goal)
                growth = max(0.0, _floor(0.8 * best)) if best is not None else 0.0
                _set_growth(by_id[f.subject], growth)
                changes.append(f"{f.subject}: growth target set to {growth:.0%} (its history's best is "
                               f"{best:+.1%})" if best is not None else f"{f.subject}: growth target set to 0")
            else:
                changes.append(_add_up(ws, cat, goals, result, by_id, arithmetic[f.subject]))
        with path.open("w", encoding="utf-8") as fh:
            yaml.dump(doc, fh)
        ws.config, ws.plan = load_config(Path(ws.root))
    return changes


def _set_growth(goal: Any, growth: float) -> None:
    import re

    goal["target"] = {"growth": round(growth, 2)}
    goal["name"] = re.sub(r"\d+(\.\d+)? ?%", f"{round(growth * 100):d} %", str(goal["name"]))


def _add_up(ws: Workspace, cat: Any, goals: list[Any], result: Any, by_id: dict[str, Any], a: Any) -> str:
    goal = next(g for g in goals if g.id == a.goal)
    baseline = result.get(a.goal).baseline
    best, _n = best_uplift(ws, cat, goal)
    wanted = a.volume * 1.05
    if baseline and best is not None and wanted / baseline - 1.0 <= best and isinstance(by_id[a.goal].get("target"), dict):
        growth = math.ceil((wanted / baseline - 1.0) * 100 - 1e-9) / 100
        _set_growth(by_id[a.goal], growth)
        return f"{a.goal}: growth target raised to {growth:.0%} so that {a.parent} adds up"
    most = a.produced / 1.05 / (a.prorate * a.share)
    parent = by_id[a.parent]
    pbase = result.get(a.parent).baseline
    if isinstance(parent.get("target"), dict) and pbase:
        growth = _floor(most / pbase - 1.0)
        _set_growth(parent, growth)
        return f"{a.parent}: growth target lowered to {growth:.0%} so that {a.goal} adds up"
    parent["target"] = float(math.floor(most))
    return f"{a.parent}: target lowered to {math.floor(most):,} so that {a.goal} adds up"
