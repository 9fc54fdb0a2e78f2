"""The workspace's whole metric catalogue: the metrics layer's built-ins, the funnel's, and the custom
metrics of ``plan.yml`` (:mod:`wanamaker.metrics.custom`).

A custom metric that cannot be built (a bad ``where:``, an unknown table or column) or that reuses an id
(``duplicate_metric``: a custom id may not shadow a built-in one, DESIGN "The metrics layer") is left out
of the catalogue and reported as a :class:`MetricProblem` with its file and line; ``wanamaker check``
lists them and ``wanamaker metric ID`` names the problem when asked for one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wanamaker.config.models import Plan
from wanamaker.economics.measures import economics_metrics
from wanamaker.funnel.measures import funnel_metrics
from wanamaker.metrics.catalogue import Catalogue, Metric, Source, core_metrics
from wanamaker.metrics.custom import MetricDefinitionError, build


@dataclass(frozen=True)
class MetricProblem:
    """A custom metric left out of the catalogue: ``code`` is ``duplicate_metric`` or ``bad_metric``."""

    code: str
    metric: str
    file: str
    line: int | None
    message: str
    fix: str


def builtin_metrics() -> list[Metric]:
    return [*core_metrics(), *funnel_metrics(), *economics_metrics()]


def build_catalogue(src: Source, plan: Plan) -> tuple[Catalogue, list[MetricProblem]]:
    """The catalogue (built-ins first, then the plan's metrics in order) and the problems of the plan's."""
    metrics = builtin_metrics()
    builtin = {m.id for m in metrics}
    known = set(builtin)
    problems: list[MetricProblem] = []
    for i, spec in enumerate(plan.metrics):
        line = plan.line_of("metrics", i)
        origin = f"{plan.file}:{line}" if line else plan.file
        if spec.id in known:
            shadow = spec.id in builtin
            problems.append(MetricProblem(
                "duplicate_metric", spec.id, plan.file, line,
                f"the custom metric '{spec.id}' {'shadows the built-in metric' if shadow else 'is defined twice'}"
                f"{' of that id' if shadow else ''}",
                "Give it its own id (e.g. " + f"{spec.id}_custom" + "), or drop it and use the built-in one."
                if shadow else "Keep one definition of each id."))
            continue
        try:
            metric = build(spec, known, origin)
        except MetricDefinitionError as exc:
            problems.append(MetricProblem("bad_metric", spec.id, plan.file, line,
                                          f"the custom metric '{spec.id}': {exc.message}", exc.fix))
            continue
        metrics.append(metric)
        known.add(spec.id)
    return Catalogue(metrics, src.config.funnel.stages), problems
