"""The public names are pinned (as httpx pins its ``__all__``): adding or removing one is a decision, made here."""

from __future__ import annotations

import inspect
import typing

import wanamaker
from wanamaker.workspace import Workspace

PUBLIC = [
    "TABLES", "ConfigError", "DataError", "EngineError", "InputFileError", "IntegrityError", "LoadResult",
    "UsageError", "WanamakerError", "Workspace", "WorkspaceNotFound", "__version__", "init", "open",
]  # fmt: skip

WORKSPACE = [
    "alignment", "approvals", "attribution", "balance", "calendar", "check", "close", "con", "economics", "experiments", "funnel", "goals", "has_table", "journey", "load", "ltv", "metric", "mmm",
    "metrics", "pipeline", "pricing", "queue", "retention", "retry", "scorecard", "sla", "sql", "table", "tables", "waste", "waterfall", "work",
    "work_audit", "write_table",
]  # fmt: skip


def test_package_names() -> None:
    assert sorted(wanamaker.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(wanamaker, name) is not None


def test_workspace_entry_points() -> None:
    public = sorted(n for n in dir(Workspace) if not n.startswith("_"))
    assert public == sorted(WORKSPACE)


def test_analyses_return_typed_results() -> None:
    """No ``Any`` at the seams: every analysis names the type it returns."""
    import wanamaker.workspace as module
    from wanamaker.attribution.api import AttributionResult
    from wanamaker.check import Finding
    from wanamaker.funnel.alignment import AlignmentResult, SlaResult
    from wanamaker.funnel.api import FunnelResult
    from wanamaker.goals.api import MetricResult
    from wanamaker.goals.catalogue import MetricProblem
    from wanamaker.goals.progress import GoalsResult
    from wanamaker.goals.waterfall import WaterfallResult
    from wanamaker.metrics.catalogue import Catalogue

    names = {**vars(module), **{c.__name__: c for c in (
        AttributionResult, Finding, AlignmentResult, SlaResult, FunnelResult, MetricResult, MetricProblem,
        GoalsResult, WaterfallResult, Catalogue)}}
    expected = {"funnel": FunnelResult, "sla": SlaResult, "alignment": AlignmentResult,
                "attribution": AttributionResult, "metric": MetricResult, "goals": GoalsResult,
                "waterfall": WaterfallResult, "check": list[Finding],
                "metrics": tuple[Catalogue, list[MetricProblem]]}
    for name, want in expected.items():
        hints = typing.get_type_hints(getattr(Workspace, name), globalns=names)
        assert hints["return"] == want, name
        assert inspect.signature(getattr(Workspace, name)).return_annotation != "Any", name
