"""A workspace: a folder with ``wanamaker.yml``, ``plan.yml`` and (by default) the DuckDB file.

``wanamaker.open(path)`` returns a :class:`Workspace`; commands find the workspace in the current
directory or its nearest parent holding ``wanamaker.yml``, or the one ``--workspace`` /
``WANAMAKER_WORKSPACE`` names (DESIGN "Workspace").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

import wanamaker.triangulate  # noqa: F401 - registers the calibrated attribution model (a domain above attribution)
from wanamaker.config.loader import CONFIG_FILE, DEFAULT_CONFIG, DEFAULT_PLAN, PLAN_FILE, load_config
from wanamaker.config.models import Plan, WorkspaceConfig
from wanamaker.engine.base import Store
from wanamaker.engine.tables import SYSTEM_TABLES
from wanamaker.engine.url import Connection, parse_connection
from wanamaker.errors import UsageError, WorkspaceNotFound
from wanamaker.ingest.report import LoadResult
from wanamaker.schema.contracts import TABLES, contract

if TYPE_CHECKING:
    from wanamaker.attribution.api import AttributionResult
    from wanamaker.economics.balance import BalanceResult
    from wanamaker.economics.ltv import LtvResult
    from wanamaker.economics.pipeline import PipelineResult
    from wanamaker.economics.retention import RetentionResult
    from wanamaker.economics.scorecard import Scorecard
    from wanamaker.economics.unit_economics import EconomicsResult
    from wanamaker.experiments.analysis import ExperimentsResult
    from wanamaker.experiments.pricing import PricingResult
    from wanamaker.findings import Finding
    from wanamaker.funnel.alignment import AlignmentResult, SlaResult
    from wanamaker.funnel.api import FunnelResult
    from wanamaker.goals.api import MetricResult
    from wanamaker.goals.catalogue import MetricProblem
    from wanamaker.goals.progress import GoalsResult
    from wanamaker.goals.waterfall import WaterfallResult
    from wanamaker.metrics.catalogue import Catalogue
    from wanamaker.mmm.results import MmmResult
    from wanamaker.triangulate.waste import WasteResult
    from wanamaker.work.approvals import ApprovalsResult
    from wanamaker.work.calendar import CalendarResult
    from wanamaker.work.journey import JourneyResult
    from wanamaker.work.measures import WorkResult
    from wanamaker.work.priorities import AuditResult, QueueResult


def find_root(start: Path | None = None) -> Path:
    """The workspace for a command: ``WANAMAKER_WORKSPACE``, else ``start`` or its nearest parent."""
    env = os.environ.get("WANAMAKER_WORKSPACE")
    if start is None and env:
        start = Path(env)
        if not (start / CONFIG_FILE).exists():
            raise WorkspaceNotFound(
                f"WANAMAKER_WORKSPACE points to {start}, which holds no {CONFIG_FILE}.",
                fix="Set it to a folder made by `wanamaker init`, or unset it.",
            )
        return start.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).exists():
            return folder
    raise WorkspaceNotFound(
        f"no {CONFIG_FILE} in {here} or any folder above it.",
        fix="Run `wanamaker init DIR` to make a workspace, or pass --workspace DIR.",
    )


def init(path: str | Path, *, connection: str = "duckdb:///wanamaker.duckdb", force: bool = False) -> Path:
    """Create a workspace folder with the default ``wanamaker.yml`` and ``plan.yml``."""
    root = Path(path)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except (NotADirectoryError, FileExistsError) as exc:
        raise WorkspaceNotFound(f"cannot make the workspace folder {root}: {exc.filename or root} is a file, not a "
                                "folder.", fix="Choose a path whose parts are folders (or not there yet).") from exc
    except OSError as exc:
        from wanamaker.engine.faults import raise_fault

        raise_fault(exc, root)
        raise
    config = root / CONFIG_FILE
    if config.exists() and not force:
        raise UsageError(f"{config} already exists.", fix="Use another folder, or pass --force to overwrite it.")
    config.write_text(DEFAULT_CONFIG.format(connection=connection), encoding="utf-8")
    plan = root / PLAN_FILE
    if not plan.exists() or force:
        plan.write_text(DEFAULT_PLAN, encoding="utf-8")
    (root / "reports").mkdir(exist_ok=True)
    ws = open_workspace(root)
    ws.close()
    return root.resolve()


def _make_store(conn: Connection, read_only: bool, memory_limit: str | None) -> Store:
    if conn.engine == "duckdb":
        from wanamaker.engine.duckdb_store import DuckDBStore

        assert conn.path is not None
        if read_only and not conn.path.exists():
            read_only = False
        return DuckDBStore(conn.path, read_only=read_only, memory_limit=memory_limit)
    if conn.engine == "postgres":
        from wanamaker.engine.postgres_store import PostgresStore

        return PostgresStore(conn.url, memory_limit)
    from wanamaker.engine.spark_store import SparkStore

    assert conn.path is not None
    return SparkStore(conn.path, conn.master, memory_limit)


class Workspace:
    """An open workspace: its config, its plan and its engine."""

    def __init__(self, root: Path, *, read_only: bool = False, memory_limit: str | None = None) -> None:
        self.root = root.resolve()
        self.config: WorkspaceConfig
        self.plan: Plan
        self.config, self.plan = load_config(self.root)
        self.connection = parse_connection(self.config.connection, self.root)
        self.engine: Literal["duckdb", "postgres", "spark"] = self.connection.engine
        self.read_only = read_only
        self.store = _make_store(self.connection, read_only, memory_limit)
        if not read_only:
            self.store.ensure_tables()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, engine={self.engine!r})"

    def close(self) -> None:
        self.store.close()

    # ----------------------------------------------------------------- data access
    @property
    def con(self) -> Any:
        """The ibis backend (DuckDB, PostgreSQL or PySpark) for analyses."""
        return self.store.ibis()

    def table(self, name: str) -> Any:
        """A table as an ibis expression (contract, bookkeeping or result table)."""
        if name not in TABLES and name not in SYSTEM_TABLES and not self.has_table(name):
            contract(name)  # raises with the valid names
        return self.con.table(name)

    def has_table(self, name: str) -> bool:
        return name in self.store.list_tables()

    def tables(self) -> list[str]:
        return self.store.list_tables()

    def write_table(self, name: str, data: pa.Table, mode: Literal["append", "replace"] = "append") -> None:
        """Write a result table atomically (every engine; Spark through the manifest)."""
        if name in TABLES or name in SYSTEM_TABLES:
            raise UsageError(f"{name} is loaded with `wanamaker load`, not written directly.",
                             fix="Use Workspace.load or `wanamaker load`.")
        self.store.write_result(name, data, mode)

    def sql(self, query: str) -> pa.Table:
        """Run one read-only query in the engine's dialect (DuckDB SQL over the Parquet warehouse on Spark).

        Statements, table functions and functions that reach files or the server are refused
        (:mod:`wanamaker.sqlguard`); a role without a grant gets the GRANT to ask for.
        """
        from urllib.parse import urlparse

        from wanamaker.sqlguard import engine_refusal, ensure_read_only

        ensure_read_only(query, self.engine)
        try:
            return self.store.query_arrow(query)
        except Exception as exc:
            role = urlparse(self.connection.url).username if self.engine == "postgres" else None
            refusal = engine_refusal(exc, self.engine, role)
            if refusal is not None:
                raise refusal from exc
            if not _user_query_error(exc):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"the {self.engine} engine refused the query: {first}",
                             fix="Check the names with `wanamaker tables` (a name that is an SQL keyword "
                                 "needs AS before it or double quotes).") from exc

    # ----------------------------------------------------------------- ingest
    def load(
        self,
        files: Sequence[str | Path],
        *,
        table: str | None = None,
        mapping: str | Path | None = None,
        preset: str | None = None,
        upsert: bool = False,
        dry_run: bool = False,
        strict: bool = False,
        encoding: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> LoadResult:
        """Load files the way ``wanamaker load`` does (DESIGN "Ingest: nothing is lost"). With ``strict``, a load
        that quarantined any row raises :class:`~wanamaker.errors.DataError` after it (the rows that passed stay
        loaded, the quarantined ones are in ``_quarantine``)."""
        from wanamaker.ingest.mapping import resolve_mapping
        from wanamaker.ingest.pipeline import Loader

        self._writable()
        resolved = resolve_mapping(table, mapping, preset)
        with self.store.load_lock():
            loader = Loader(self.store, self.config, upsert=upsert, dry_run=dry_run, progress=progress,
                            encoding=encoding)
            result = loader.load_files(files, table, resolved)
        if strict and result.quarantined and not dry_run:
            from wanamaker.errors import DataError

            raise DataError(f"{result.quarantined} row(s) were quarantined (strict); the other rows were loaded as "
                            f"load {result.load_id}.",
                            fix="See `wanamaker quarantine`; fix the mapping or config, then `wanamaker load --retry`.")
        return result

    def retry(self, table: str | None = None, *, dry_run: bool = False,
              progress: Callable[[str], None] | None = None) -> LoadResult:
        """Re-read quarantined rows after the mapping or config was fixed."""
        from wanamaker.ingest.pipeline import Loader

        self._writable()
        with self.store.load_lock():
            loader = Loader(self.store, self.config, dry_run=dry_run, retry=True, progress=progress)
            return loader.retry_quarantine(table)

    # ----------------------------------------------------------------- analyses
    def funnel(self, **options: Any) -> FunnelResult:
        """The lifecycle funnel (``wanamaker funnel``); options as :func:`wanamaker.funnel.api.funnel`."""
        from wanamaker.funnel.api import funnel

        return funnel(self, **options)

    def sla(self, **options: Any) -> SlaResult:
        """Follow-up SLAs (``wanamaker sla``); options as :func:`wanamaker.funnel.alignment.sla`."""
        from wanamaker.funnel.alignment import sla

        return sla(self, **options)

    def alignment(self, **options: Any) -> AlignmentResult:
        """Sales-marketing alignment (``wanamaker alignment``)."""
        from wanamaker.funnel.alignment import alignment

        return alignment(self, **options)

    def attribution(self, **options: Any) -> AttributionResult:
        """Attribution (``wanamaker attribute``); options as :func:`wanamaker.attribution.api.attribute`."""
        from wanamaker.attribution.api import attribute

        return attribute(self, **options)

    def metrics(self) -> tuple[Catalogue, list[MetricProblem]]:
        """The metric catalogue (``wanamaker metrics``) and the problems of plan.yml's custom metrics."""
        from wanamaker.goals.api import catalogue

        return catalogue(self)

    def metric(self, metric_id: str, *, in_label: str | None = None, period: str | None = None,
               by: str | None = None, explain: bool = False) -> MetricResult:
        """One metric (``wanamaker metric ID``): over the period ``in_label`` (default all the data), per
        ``period`` (month | quarter | year) and ``by`` key; ``explain`` adds the SQL."""
        from wanamaker.goals.api import metric

        return metric(self, metric_id, in_label=in_label, period=period, by=by, explain_sql=explain)

    def goals(self, *, as_of: datetime | None = None) -> GoalsResult:
        """The goal tree of plan.yml with progress against pace (``wanamaker goals``)."""
        from wanamaker.goals.api import goals

        return goals(self, as_of=as_of)

    def waterfall(self, *, revenue: float | None = None, won: float | None = None,
                  start: tuple[str, float] | None = None, in_label: str | None = None, share: float = 1.0,
                  by: str | None = None, level: str = "person", as_of: datetime | None = None) -> WaterfallResult:
        """The reverse demand waterfall (``wanamaker waterfall``): backward from ``won`` deals or ``revenue``
        (x marketing's ``share``) in the period ``in_label``, or forward from ``start`` = (stage, volume); with
        the probability that the plan's own stage targets for the period reach the revenue they serve."""
        from wanamaker.goals.api import waterfall

        return waterfall(self, revenue=revenue, won=won, start=start, in_label=in_label, share=share, by=by,
                         level=level, as_of=as_of)

    def pipeline(self, *, by: str | None = None, period: str | None = None, date_from: str | date | datetime | None = None,
                 date_to: str | date | datetime | None = None, min_n: int = 30) -> PipelineResult:
        """Pipeline created, won and lost, win rate and cycle days (``wanamaker pipeline``)."""
        from wanamaker.economics.pipeline import pipeline

        return pipeline(self, by=by, period=period, date_from=date_from, date_to=date_to, min_n=min_n)

    def ltv(self, *, model: str | None = None, calibration_end: date | None = None, unit: str | None = None,
            by: str | None = None, horizon: float | None = None) -> LtvResult:
        """Customer lifetime value (``wanamaker ltv``): historical cohort curves, sBG retention, BG/NBD,
        Pareto/NBD or Gamma-Gamma (``model`` defaults to ``economics.ltv_model``)."""
        from wanamaker.economics.ltv import ltv

        return ltv(self, model=model or self.config.economics.ltv_model, calibration_end=calibration_end,  # type: ignore[arg-type]
                   unit=unit, by=by, horizon=horizon)  # type: ignore[arg-type]

    def balance(self, *, period: str = "quarter") -> BalanceResult:
        """Spend and work hours by campaign horizon against plan.yml's long-term share (``wanamaker balance``)."""
        from wanamaker.economics.balance import balance

        return balance(self, period=period)

    def economics(self, *, by: str | None = None, model: str | None = None, in_label: str | None = None,
                  replicates: int = 200, seed: int = 0) -> EconomicsResult:
        """CAC, LTV, LTV:CAC, payback months and ROMI with intervals (``wanamaker economics``)."""
        from wanamaker.economics.unit_economics import economics

        return economics(self, by=by, model=model, in_label=in_label, replicates=replicates, seed=seed)

    def retention(self, *, by: str | None = None) -> RetentionResult:
        """Revenue by kind and net revenue retention per acquisition cohort (``wanamaker economics --retention``)."""
        from wanamaker.economics.retention import retention

        return retention(self, by=by)

    def scorecard(self, *, in_label: str | None = None) -> Scorecard:
        """Outcome and efficiency metrics side by side (``wanamaker economics --scorecard``)."""
        from wanamaker.economics.scorecard import scorecard

        return scorecard(self, in_label=in_label)

    def calendar(self, *, date_from: str | date | None = None, date_to: str | date | None = None,
                 segment: str | None = None, as_of: datetime | None = None) -> CalendarResult:
        """Campaigns by segment on a timeline, with conflicting offers, promotion gaps and missed launches
        (``wanamaker calendar``)."""
        from wanamaker.work.calendar import calendar

        return calendar(self, date_from=date_from, date_to=date_to, segment=segment, as_of=as_of)

    def work(self, *, by: str | None = None, period: str | None = None, in_label: str | None = None,
             as_of: datetime | None = None, min_n: int = 30) -> WorkResult:
        """The team's work: items, hours, cycle times, on-time rate, repeatable share, WIP and unlinked hours
        (``wanamaker work``)."""
        from wanamaker.work.measures import work

        return work(self, by=by, period=period, in_label=in_label, as_of=as_of, min_n=min_n)

    def approvals(self, *, by: str | None = None) -> ApprovalsResult:
        """Approval rounds per item, review time and first-pass rate (``wanamaker work --approvals``)."""
        from wanamaker.work.approvals import approvals

        return approvals(self, by=by)

    def work_audit(self) -> AuditResult:
        """Per quarter: was work done in order of return or of deadline (``wanamaker work --audit``)."""
        from wanamaker.work.priorities import audit

        return audit(self)

    def queue(self) -> QueueResult:
        """Open requests ranked by expected return per hour (``wanamaker queue``)."""
        from wanamaker.work.priorities import queue

        return queue(self)

    def journey(self, *, as_of: str | date | datetime | None = None) -> JourneyResult:
        """Journey ownership (``wanamaker journey``): each plan.yml journey stage's owner, conversion, velocity,
        deliverable status and the stage where the journey leaks."""
        from wanamaker.work.journey import journey

        return journey(self, as_of=as_of)

    def experiments(self, *, experiment: str | None = None, level: float = 0.9) -> ExperimentsResult:
        """Every experiment's variants against its control (``wanamaker experiments``)."""
        from wanamaker.experiments import experiments

        return experiments(self, experiment=experiment, level=level)

    def pricing(self, *, experiment: str | None = None, level: float = 0.9) -> PricingResult:
        """Pricing tests: conversion, revenue and gross profit per visitor, the chance each price is best
        (``wanamaker pricing``)."""
        from wanamaker.experiments import pricing

        return pricing(self, experiment=experiment, level=level)

    def mmm(self, *, outcome: str = "opportunities", in_label: str | None = None, channels: Sequence[str] | None = None,
            method: str = "fast", saturation: str = "logistic", replicates: int = 200, seed: int = 0,
            calibration: Sequence[Any] | None = None, on_replicate: Callable[[int, int], None] | None = None
            ) -> MmmResult:
        """The marketing-mix model on weekly spend and a weekly outcome (``wanamaker mmm``)."""
        from wanamaker.mmm.api import mmm_from_workspace

        return mmm_from_workspace(self, outcome, in_label=in_label, channels=channels, method=method,
                                  saturation=saturation, replicates=replicates, seed=seed, calibration=calibration,
                                  on_replicate=on_replicate)

    def waste(self, *, by: str = "channel", in_label: str | None = None, replicates: int = 200,
              seed: int = 0) -> WasteResult:
        """Which half is wasted (``wanamaker waste``): spend, incremental value, ROI with interval and a verdict."""
        from wanamaker.triangulate.waste import waste

        return waste(self, by=by, in_label=in_label, replicates=replicates, seed=seed)

    def check(self, *, as_of: datetime | None = None) -> list[Finding]:
        """Everything ``wanamaker check`` finds: the plan checks and the data checks."""
        from wanamaker.check import check

        return check(self, as_of=as_of)

    def _writable(self) -> None:
        if self.read_only:
            raise UsageError("this workspace was opened read-only.", fix="Open it with read_only=False.")


def open_workspace(path: str | Path | None = None, *, read_only: bool = False,
                   memory_limit: str | None = None) -> Workspace:
    """Open the workspace at ``path`` (or the one found from the current directory); ``memory_limit`` caps
    each of its DuckDB connections (e.g. ``"2GB"``; default ``WANAMAKER_DUCKDB_MEMORY`` or 3 GB)."""
    root = find_root(Path(path) if path is not None else None)
    return Workspace(root, read_only=read_only, memory_limit=memory_limit)


def _user_query_error(exc: Exception) -> bool:
    """Whether the engine rejected the query itself (syntax, names, types, values), not failed underneath."""
    import duckdb

    if isinstance(exc, duckdb.ParserException | duckdb.BinderException | duckdb.CatalogException
                  | duckdb.ConversionException | duckdb.InvalidInputException | duckdb.OutOfRangeException
                  | duckdb.NotImplementedException):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return False
    # SQLSTATE classes: 42 syntax error or unknown name, 22 bad data, 0A not supported (a cursor over a
    # data-modifying WITH); a missing grant (42501) is answered before this by sqlguard.engine_refusal.
    sqlstate = (exc.sqlstate or "") if isinstance(exc, psycopg.Error) else ""
    return sqlstate[:2] in {"42", "22", "0A"}
