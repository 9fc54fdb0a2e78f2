"""The views the report and the web app share: each a titled set of tables and charts with its numbers' source
and window, built from :class:`~wanamaker.workspace.Workspace` methods only (DESIGN "Faces").

``scorecard`` is the one-page summary (goals against pace, sourced and influenced revenue, CAC, LTV:CAC,
payback, the wasted half, effectiveness beside efficiency); the other keys are the detail sections. An
analysis that raises a :class:`~wanamaker.errors.WanamakerError` gives a view with ``error`` set (and no tables
or charts), so one failing section never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wanamaker.errors import UsageError

if TYPE_CHECKING:
    from wanamaker.report.results import Results
    from wanamaker.workspace import Workspace


@dataclass(frozen=True)
class Table:
    """Rows of JSON-ready values (numbers, ISO dates, strings, None) under named columns."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "columns": list(self.columns),
                "rows": [dict(r) for r in self.rows], "note": self.note}


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec (data inlined, no URLs) with where its numbers come from and the dates they cover."""

    key: str
    title: str
    spec: dict[str, Any]
    source: str
    window: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "spec": self.spec, "source": self.source, "window": self.window}


@dataclass(frozen=True)
class View:
    """One section: its tables and charts, the source and window of its numbers, notes, or the error it hit."""

    key: str
    title: str
    source: str
    window: str
    tables: tuple[Table, ...]
    charts: tuple[Chart, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "source": self.source, "window": self.window,
                "tables": [t.as_json() for t in self.tables], "charts": [c.as_json() for c in self.charts],
                "notes": list(self.notes), "error": self.error}

    def table(self, key: str) -> Table:
        """The table ``key`` of this view (KeyError naming the keys there are)."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(f"{self.key} has no table {key!r}; it has {', '.join(t.key for t in self.tables) or 'none'}")


VIEW_KEYS: tuple[str, ...] = ("scorecard", "goals", "waste", "funnel", "attribution", "economics", "alignment", "work",
                              "calendar")
TITLES: dict[str, str] = {"scorecard": "Scorecard", "goals": "Goals", "waste": "The wasted half", "funnel": "Funnel",
                          "attribution": "Attribution", "economics": "Economics",
                          "alignment": "Sales and marketing alignment", "work": "Work", "calendar": "Calendar"}


def check_key(key: str) -> str:
    if key not in VIEW_KEYS:
        raise UsageError(f"there is no view {key!r}.", fix=f"Use one of: {', '.join(VIEW_KEYS)}.")
    return key


def build_view(ws: Workspace, key: str, *, in_label: str | None = None) -> View:
    """The view ``key`` (one of :data:`VIEW_KEYS`) over the period ``in_label`` (``2026-03``, ``FY2026-Q1``,
    ``FY2026``; default: each analysis's own default period, named in the view's ``window``)."""
    from wanamaker.report.results import Results
    from wanamaker.report.sections import build

    check_key(key)
    return build(Results(ws, in_label), key)


def build_views(ws: Workspace, *, in_label: str | None = None,
                progress: Callable[[str], None] | None = None) -> dict[str, View]:
    """Every view, in :data:`VIEW_KEYS` order; each analysis runs once and is shared by the views that use it.
    ``progress`` is called with a line such as ``"Computing funnel…"`` before each view."""
    from wanamaker.report.results import Results

    return build_all(Results(ws, in_label), progress)


def build_all(results: Results, progress: Callable[[str], None] | None = None) -> dict[str, View]:
    """:func:`build_views` over the analyses of ``results`` (kept, so a caller can reuse them)."""
    from wanamaker.report.sections import build

    views: dict[str, View] = {}
    for key in VIEW_KEYS:
        if progress is not None:
            progress(f"Computing {TITLES[key].lower()}…")
        views[key] = build(results, key)
    return views
