"""The analyses behind the views, each run once per report through the :class:`Workspace` (DESIGN "Faces"), and
the words for the windows they cover."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from wanamaker.errors import UsageError, WanamakerError
from wanamaker.metrics.periods import Period, parse_label

if TYPE_CHECKING:
    from wanamaker.attribution.api import AttributionResult
    from wanamaker.economics.pipeline import PipelineResult
    from wanamaker.economics.scorecard import Scorecard
    from wanamaker.economics.unit_economics import EconomicsResult
    from wanamaker.funnel.alignment import AlignmentResult, SlaResult
    from wanamaker.funnel.api import FunnelResult
    from wanamaker.goals.progress import GoalsResult
    from wanamaker.triangulate.waste import WasteResult
    from wanamaker.work.calendar import CalendarResult
    from wanamaker.work.measures import WorkResult
    from wanamaker.workspace import Workspace

T = TypeVar("T")

#: the models the attribution chart compares (the table holds every model)
CHART_MODELS = ("first_touch", "last_touch", "linear", "markov_3", "shapley", "calibrated")


class Results:
    """One report's analyses: each Workspace method runs at most once (its result, or its WanamakerError, is
    kept), so the scorecard and the detail section that show the same numbers agree and cost one run."""

    def __init__(self, ws: Workspace, in_label: str | None = None) -> None:
        self.ws = ws
        self.in_label = in_label
        self.currency: str = ws.config.currency
        self.period: Period | None = self.parse(in_label) if in_label is not None else None
        self._memo: dict[str, Any] = {}

    # ----------------------------------------------------------------- periods and their words
    def parse(self, label: str) -> Period:
        cfg = self.ws.config
        try:
            return parse_label(label, cfg.timezone, cfg.fiscal_year_start)
        except ValueError as exc:
            raise UsageError(f"--in {exc}.", fix="Write --in 2026-03, --in FY2026-Q1 or --in FY2026.") from None

    def local_day(self, moment: datetime) -> date:
        """The workspace-local calendar day of a naive-UTC (or aware) moment."""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.ws.config.timezone)).date()

    def days(self, period: Period) -> tuple[date, date]:
        """The first and the last local day of ``period`` (its end is exclusive)."""
        return self.local_day(period.start), self.local_day(period.end - timedelta(microseconds=1))

    def describe(self, label: str | None) -> str:
        """``FY2026-Q2 (2026-04-01 – 2026-06-30)``; a label that is not a period is returned as it is."""
        if not label:
            return "no data"
        try:
            period = parse_label(label, self.ws.config.timezone, self.ws.config.fiscal_year_start)
        except ValueError:
            return label
        first, last = self.days(period)
        if label == f"{first.isoformat()}..{last.isoformat()}":
            return f"{first.isoformat()} – {last.isoformat()}"
        return f"{label} ({first.isoformat()} – {last.isoformat()})"

    def data_end(self) -> datetime | None:
        """The end of the data (the moment goals are judged at), or None when the goals cannot be read."""
        try:
            return self.goals().as_of
        except WanamakerError:
            return None

    def all_data(self) -> str:
        end = self.data_end()
        return f"all data to {self.local_day(end).isoformat()}" if end is not None else "all data"

    def selected(self, default: str) -> str:
        """The window of an analysis that runs over ``--in`` when given, else over ``default`` (words)."""
        return self.describe(self.in_label) if self.in_label is not None else default

    def label(self) -> str:
        """The report's period for its file name: ``--in``, else the scorecard's period, else the data's end."""
        if self.in_label is not None:
            raw = self.in_label
        else:
            try:
                raw = self.scorecard().period
            except WanamakerError:
                end = self.data_end()
                raw = self.local_day(end).isoformat() if end is not None else date.today().isoformat()
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)

    # ----------------------------------------------------------------- the analyses, once each
    def _once(self, name: str, run: Callable[[], T]) -> T:
        if name not in self._memo:
            try:
                self._memo[name] = run()
            except WanamakerError as exc:
                self._memo[name] = exc
        value = self._memo[name]
        if isinstance(value, WanamakerError):
            raise value
        return value  # type: ignore[no-any-return]

    def scorecard(self) -> Scorecard:
        return self._once("scorecard", lambda: self.ws.scorecard(in_label=self.in_label))

    def goals(self) -> GoalsResult:
        return self._once("goals", lambda: self.ws.goals())

    def waste(self) -> WasteResult:
        return self._once("waste", lambda: self.ws.waste(in_label=self.in_label))

    def economics(self) -> EconomicsResult:
        return self._once("economics", lambda: self.ws.economics(in_label=self.in_label))

    def pipeline(self) -> PipelineResult:
        first, last = self.days(self.period) if self.period is not None else (None, None)
        return self._once("pipeline", lambda: self.ws.pipeline(period="quarter", date_from=first, date_to=last))

    def funnel(self) -> FunnelResult:
        return self._once("funnel", lambda: self.ws.funnel())

    def attribution(self) -> AttributionResult:
        first, last = self.days(self.period) if self.period is not None else (None, None)
        return self._once("attribution", lambda: self.ws.attribution(model="all", ci=True, persist=False,
                                                                     date_from=first, date_to=last))

    def alignment(self) -> AlignmentResult:
        return self._once("alignment", lambda: self.ws.alignment())

    def sla(self) -> SlaResult:
        return self._once("sla", lambda: self.ws.sla())

    def work(self) -> WorkResult:
        return self._once("work", lambda: self.ws.work(by="kind", in_label=self.in_label))

    def calendar_window(self) -> tuple[date, date] | None:
        """``--in``'s days, else the twelve months up to the end of the data (None: all of it)."""
        if self.period is not None:
            return self.days(self.period)
        end = self.data_end()
        if end is None:
            return None
        last = self.local_day(end)
        return last - timedelta(days=364), last

    def calendar(self) -> CalendarResult:
        window = self.calendar_window()
        first, last = window if window is not None else (None, None)
        return self._once("calendar", lambda: self.ws.calendar(date_from=first, date_to=last))
