"""``wanamaker load``: read, map, validate, classify, then commit every bucket in one step.

Steps (each a small function; all heavy work is SQL in the DuckDB staging connection):
prepare files -> read raw -> candidates per table -> skipped -> duplicates of quarantined rows ->
typed + reasons -> orphans -> keys within the command -> against the target -> buckets -> commit.
Every candidate ends in exactly one bucket; the buckets are counted from their own tables and the
load fails loudly if ``read != loaded + quarantined + duplicates + skipped`` for any file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from wanamaker.config.models import WorkspaceConfig
from wanamaker.engine.base import CommitPlan, Store, TableWrite
from wanamaker.engine.faults import raise_fault
from wanamaker.engine.tables import quote
from wanamaker.errors import InputFileError, IntegrityError, UsageError
from wanamaker.ingest import sqlgen
from wanamaker.ingest.mapping import (
    Mapping,
    TableMapping,
    check_sources,
    mapping_from_origin,
    table_mapping,
    unmatched_headers,
)
from wanamaker.ingest.readers import PreparedFile, RawRead, prepare, read_raw
from wanamaker.ingest.report import FileCounts, LoadResult, TableReport
from wanamaker.ingest.retry import raw_from_retry, resolve
from wanamaker.schema.contracts import TABLES, contract

Progress = Callable[[str], None]
# reason codes of lines the reader could not turn into a row: --retry has no columns to map again
READER_CODES = ("malformed_row", "bad_encoding", "line_too_long")


@dataclass
class Source:
    """One input to a command: a prepared file, or rows of quarantine being retried."""

    display: str
    sha: str
    prepared: PreparedFile | None = None
    retry_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (line, part, raw json)


def _order(tables: list[str]) -> list[str]:
    """Parents before children so orphan checks see rows loaded by the same command."""
    rank = {name: i for i, name in enumerate(TABLES)}
    parents = {"people": -2, "accounts": -3, "work_items": -1}
    return sorted(tables, key=lambda t: (parents.get(t, 0), rank[t]))


class Loader:
    def __init__(self, store: Store, config: WorkspaceConfig, *, upsert: bool = False, dry_run: bool = False,
                 retry: bool = False, progress: Progress | None = None, encoding: str | None = None) -> None:
        self.store = store
        self.config = config
        self.upsert = upsert
        self.dry_run = dry_run
        self.retry = retry
        self.encoding = encoding
        self.con: duckdb.DuckDBPyConnection = store.staging()
        self.progress = progress or (lambda _msg: None)
        self.load_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        self.warnings: list[str] = []
        now = datetime.now(UTC).replace(tzinfo=None)
        limit = now + config.ingest.future_tolerance
        self.rules = sqlgen.Rules(
            timezone=config.timezone,
            future_limit=sqlgen.lit(limit.isoformat(sep=" ")),
            min_date=sqlgen.lit(config.ingest.min_date.isoformat()),
        )
        self.started = now
        self.utm = tuple((r.source, r.medium, r.campaign, r.channel) for r in config.utm_rules)

    # ------------------------------------------------------------------ entry points
    def load_files(self, files: Sequence[str | Path], table: str | None, mapping: Mapping | None) -> LoadResult:
        if not files:
            raise UsageError("no files to load.", fix="Name one or more files, or use --retry.")
        sources: list[Source] = []
        try:
            encoding = self.encoding or (mapping.encoding if mapping else None)
            for path in files:
                self.progress(f"reading {path}")
                prepared = prepare(Path(path), encoding)
                sources.append(Source(str(path), prepared.sha256, prepared=prepared))
                self.warnings.extend(prepared.notes)
            origin = f"table:{table}" if table else (mapping.origin if mapping else "")
            return self._run(sources, table, mapping, origin)
        finally:
            for source in sources:
                if source.prepared:
                    source.prepared.cleanup()

    def retry_quarantine(self, table: str | None) -> LoadResult:
        """Re-read the rows now in quarantine with the current mapping and config."""
        self.store.expose("_quarantine", "wm_q_all")
        # lines that never parsed as a row have no columns to map again
        where = f"resolved_by IS NULL AND reason_code NOT IN ({', '.join(sqlgen.lit(c) for c in READER_CODES)})"
        if table:
            contract(table)
            where += f" AND table_name = {sqlgen.lit(table)}"
        groups = self.con.execute(
            f"SELECT DISTINCT source_spec FROM wm_q_all WHERE {where} ORDER BY 1"
        ).fetchall()
        results: list[TableReport] = []
        resolved = 0
        for (origin,) in groups:
            target, mapping = mapping_from_origin(str(origin))
            rows = self.con.execute(
                f"SELECT file, file_sha, line, part, raw FROM wm_q_all WHERE {where} AND source_spec = ? "
                "ORDER BY file, line, part",
                [origin],
            ).fetchall()
            by_file: dict[tuple[str, str], Source] = {}
            for file, sha, line, part, raw in rows:
                src = by_file.setdefault((file, sha), Source(str(file), str(sha)))
                src.retry_rows.append((int(line), str(part or ""), str(raw)))
            res = self._run(list(by_file.values()), target, mapping, str(origin), retry_table=table)
            results.extend(res.tables)
            resolved += res.resolved
        return LoadResult(self.load_id, results, self.dry_run, self.warnings, resolved)

    # ------------------------------------------------------------------ the run
    def _run(self, sources: list[Source], table: str | None, mapping: Mapping | None, origin: str,
             retry_table: str | None = None) -> LoadResult:
        con = self.con
        reads: list[RawRead] = []
        files_rows = []
        for index, source in enumerate(sources):
            raw_name = f"wm_raw_{index}"
            if source.prepared is not None:
                reads.append(read_raw(con, source.prepared, raw_name, index))
            else:
                reads.append(raw_from_retry(self.con, source.retry_rows, raw_name, index))
            files_rows.append((index, source.display, source.sha))
        con.execute("CREATE OR REPLACE TEMP TABLE wm_files (_file INTEGER, display VARCHAR, sha VARCHAR)")
        con.executemany("INSERT INTO wm_files VALUES (?, ?, ?)", files_rows)

        mappings = self._table_mappings(sources, reads, table, mapping)
        if retry_table:
            mappings = [m for m in mappings if m.table == retry_table]
        self.store.expose("_quarantine", "wm_quarantine", ["qid", "table_name", "file_sha", "line", "part", "resolved_by"])
        reports: list[TableReport] = []
        writes: list[TableWrite] = []
        resolved = 0
        ordered = sorted(mappings, key=lambda m: _order([x.table for x in mappings]).index(m.table))
        for tm in ordered:
            self.progress(f"validating {tm.table}")
            report, table_writes, n_resolved = self._table(tm, sources, reads, origin)
            reports.append(report)
            writes.extend(table_writes)
            resolved += n_resolved
        result = LoadResult(self.load_id, reports, self.dry_run, self.warnings, resolved)
        for rep in reports:
            for fc in rep.files:
                if not fc.balanced:
                    raise IntegrityError(
                        f"bookkeeping does not balance for {rep.table} from {fc.path}: read {fc.read} != loaded "
                        f"{fc.loaded} + quarantined {fc.quarantined} + duplicates {fc.duplicates} + skipped {fc.skipped}.",
                        fix="Nothing was loaded. Please report this bug with the file.",
                    )
        if self.dry_run:
            return result
        finished = datetime.now(UTC).replace(tzinfo=None)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE wm_load_row AS SELECT ?::VARCHAR AS load_id, ?::TIMESTAMP AS started_at, "
            "?::TIMESTAMP AS finished_at, 'completed' AS status, ?::VARCHAR AS command, ?::VARCHAR AS files, "
            "?::VARCHAR AS counts",
            [self.load_id, self.started, finished,
             json.dumps({"origin": origin, "upsert": self.upsert, "retry": self.retry}),
             json.dumps([s.display for s in sources]), json.dumps(result.as_json())],
        )
        writes.append(TableWrite("_loads", insert_from="wm_load_row"))
        self.progress("committing")
        self.store.commit(CommitPlan(writes, load_id=self.load_id))
        return result

    def _table_mappings(self, sources: list[Source], reads: list[RawRead], table: str | None,
                        mapping: Mapping | None) -> list[TableMapping]:
        if mapping is not None:
            for source, read in zip(sources, reads, strict=False):
                for tm in mapping.tables:
                    self.warnings.extend(check_sources(tm, read.headers, source.display))
            return list(mapping.tables)
        assert table is not None
        merged: dict[str, Any] = {}
        for source, read in zip(sources, reads, strict=False):
            tm = table_mapping(table, read.headers, source.display)
            for extra in unmatched_headers(table, read.headers):
                self.warnings.append(f"{source.display}: column {extra} matches no {table} column and is not loaded.")
            merged.update(tm.columns)
        return [TableMapping(table, merged)]

    # ------------------------------------------------------------------ one table
    def _table(self, tm: TableMapping, sources: list[Source], reads: list[RawRead], origin: str
               ) -> tuple[TableReport, list[TableWrite], int]:
        """Candidates, types, reasons, hashes and first occurrences in one pass; then the
        checks that need other tables (orphans, the target) only where they can matter."""
        con = self.con
        t = tm.table
        c = TABLES[t]
        typed = f"wm_typed_{t}"
        selects: list[str] = []
        for index, read in enumerate(reads):
            raw = f"wm_raw_{index}"
            if tm.unpivot:
                for src_col, label in tm.unpivot:
                    if src_col in read.headers:
                        selects.append(sqlgen.candidate_select(tm, read.columns, raw, label, src_col, self.utm))
            else:
                selects.append(sqlgen.candidate_select(tm, read.columns, raw, None, None, self.utm))
        if not selects:
            selects.append(f"SELECT * FROM ({sqlgen.candidate_select(tm, {}, 'wm_raw_0', None, None)}) WHERE false")
        cand = f"({' UNION ALL '.join(selects)})"
        retry_set = ""
        if self.retry:
            # only the candidates that were themselves in quarantine are read again
            pairs = [(i, line, part) for i, s in enumerate(sources) for line, part, _ in s.retry_rows]
            con.execute("CREATE OR REPLACE TEMP TABLE wm_retry_set (_file INTEGER, _line BIGINT, _part VARCHAR)")
            con.executemany("INSERT INTO wm_retry_set VALUES (?, ?, ?)", pairs)
            cand = (f"(SELECT * FROM {cand} c WHERE EXISTS (SELECT 1 FROM wm_retry_set r WHERE r._file = c._file "
                    f"AND r._line = c._line AND r._part = c._part))")
            retry_set = "wm_retry_set"
        # malformed lines: one candidate for this table each
        rejects = [(i, line, text, msg, code) for i, read in enumerate(reads) for line, text, msg, code in read.rejects]
        con.execute("CREATE OR REPLACE TEMP TABLE wm_rejects (_file INTEGER, _line BIGINT, raw VARCHAR, msg VARCHAR, "
                    "code VARCHAR)")
        if rejects:
            con.executemany("INSERT INTO wm_rejects VALUES (?, ?, ?, ?, ?)", rejects)

        # previously quarantined from the same file content and line (not on retry)
        any_q = not self.retry and bool(con.execute(
            f"SELECT count(*) FROM wm_quarantine q JOIN wm_files f ON q.file_sha = f.sha "
            f"WHERE q.table_name = {sqlgen.lit(t)} AND q.resolved_by IS NULL").fetchone()[0])  # type: ignore[index]
        qdup = (
            f"EXISTS (SELECT 1 FROM wm_quarantine q JOIN wm_files f ON q.file_sha = f.sha WHERE f._file = x._file "
            f"AND q.line = x._line AND q.part = x._part AND q.table_name = {sqlgen.lit(t)} AND q.resolved_by IS NULL)"
            if any_q else "false"
        )
        key_col = c.key[0]
        derive = c.derived_key and not any(k in tm.columns for k in c.key)
        key_expr = (f"CASE WHEN _pre IS NULL THEN {sqlgen.derived_key_expr(t)} END" if derive
                    else quote("__t_" + key_col))
        step1 = (
            f"SELECT x.*, CASE WHEN NOT _keep THEN 'skipped' WHEN {qdup} THEN 'dup_quarantined' "
            f"WHEN _code IS NOT NULL THEN 'quarantined' END AS _pre FROM ({sqlgen.typed_select(tm, self.rules, cand)}) x"
        )
        step2 = (f"SELECT * EXCLUDE ({quote('__t_' + key_col)}), {key_expr} AS {quote('__t_' + key_col)} FROM ({step1})"
                 if derive else f"SELECT * FROM ({step1})")
        tkeys = ", ".join(quote("__t_" + k) for k in c.key)
        step3 = f"SELECT *, CASE WHEN _pre IS NULL THEN {sqlgen.row_hash_expr(t, '__t_')} END AS _row_hash FROM ({step2})"
        key_txt = sqlgen.key_text_expr(t, "__t_")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {typed} AS SELECT * EXCLUDE (_pre), _pre AS _bucket FROM ({step3})")
        except duckdb.Error as exc:
            raise_fault(exc)  # out of memory, disk full ...
            if tm.where is None and not any(spec.expr is not None for spec in tm.columns.values()):
                raise  # no expression of the user's ran: a defect of ours
            raise _expression_failed(tm, exc) from exc
        # a key seen twice in this load: the first occurrence wins (found by a hash aggregate, then
        # ordered only where it matters)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE wm_twice_{t} AS SELECT {tkeys} FROM {typed} WHERE _bucket IS NULL "
            f"GROUP BY {tkeys} HAVING count(*) > 1"
        )
        if con.execute(f"SELECT 1 FROM wm_twice_{t} LIMIT 1").fetchall():
            same = " AND ".join(f"d.{quote('__t_' + k)} = x.{quote('__t_' + k)}" for k in c.key)
            con.execute(
                f"UPDATE {typed} AS x SET _bucket = CASE WHEN r._row_hash = r._fh THEN 'dup_command' ELSE 'quarantined' END, "
                f"_code = CASE WHEN r._row_hash = r._fh THEN NULL ELSE 'key_conflict' END, "
                f"_reason = CASE WHEN r._row_hash = r._fh THEN NULL ELSE 'key ' || {key_txt.replace(chr(34) + '__t_', 'x.' + chr(34) + '__t_')} || "
                f"' appears earlier in this load with different content' END "
                f"FROM (SELECT x._file, x._line, x._part, x._row_hash, row_number() OVER w AS _rk, "
                f"first_value(x._row_hash) OVER w AS _fh FROM {typed} x WHERE x._bucket IS NULL AND EXISTS "
                f"(SELECT 1 FROM wm_twice_{t} d WHERE {same}) "
                f"WINDOW w AS (PARTITION BY {', '.join('x.' + quote('__t_' + k) for k in c.key)} "
                f"ORDER BY x._file, x._line, x._part)) r "
                f"WHERE r._rk > 1 AND x._file = r._file AND x._line = r._line AND x._part = r._part"
            )
        self._orphans(tm, typed)
        self._against_target(tm, typed)
        return self._buckets(tm, typed, sources, reads, origin, retry_set)

    def _orphans(self, tm: TableMapping, typed: str) -> None:
        con = self.con
        for col in TABLES[tm.table].columns:
            if not col.references:
                continue
            ref_table, ref_col = col.references.split(".")
            self.store.expose(ref_table, f"wm_ref_{ref_table}", [ref_col])
            existing = int(con.execute(f"SELECT count(*) FROM wm_ref_{ref_table}").fetchone()[0])  # type: ignore[index]
            new_rows = f"wm_typed_{ref_table}"
            has_new = bool(con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [new_rows]).fetchone()[0])  # type: ignore[index]
            if existing == 0 and not has_new:
                self.warnings.append(
                    f"{tm.table}.{col.name}: {ref_table} is empty, so references to it were not checked; "
                    f"load {ref_table} first to check them."
                )
                continue
            union = f"SELECT {quote(ref_col)} AS k FROM wm_ref_{ref_table}"
            if has_new:
                union += f" UNION ALL SELECT {quote('__t_' + ref_col)} FROM {new_rows} WHERE _bucket IS NULL OR _bucket = 'upsert'"
            cond = (f"{quote('__t_' + col.name)} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM ({union}) r WHERE r.k = {quote('__t_' + col.name)})")
            if self.config.ingest.orphans == "warn":
                n = int(con.execute(f"SELECT count(*) FROM {typed} WHERE _bucket IS NULL AND {cond}").fetchone()[0])  # type: ignore[index]
                if n:
                    self.warnings.append(f"{tm.table}: {n} row(s) reference a {ref_table}.{ref_col} that is not loaded.")
                continue
            con.execute(
                f"UPDATE {typed} SET _bucket = 'quarantined', _code = 'orphan_reference', _reason = "
                f"{sqlgen.lit(col.name + ' ')} || {quote('__t_' + col.name)} || "
                f"{sqlgen.lit(f' is not a known {ref_table}.{ref_col}')} WHERE _bucket IS NULL AND {cond}"
            )

    def _against_target(self, tm: TableMapping, typed: str) -> None:
        """Compare with rows already loaded: equal is a duplicate, different a conflict (or upsert)."""
        con = self.con
        t = tm.table
        keys = TABLES[t].key
        self.store.expose(t, f"wm_existing_{t}", [*keys, "_row_hash"])
        if not con.execute(f"SELECT 1 FROM wm_existing_{t} LIMIT 1").fetchall():
            return
        key_txt = sqlgen.key_text_expr(t, "__t_")
        match = " AND ".join(f"e.{quote(k)} = x.{quote('__t_' + k)}" for k in keys)
        up = "true" if self.upsert else "false"
        con.execute(
            f"UPDATE {typed} AS x SET _bucket = CASE WHEN e._row_hash = x._row_hash THEN 'dup_loaded' "
            f"WHEN {up} THEN 'upsert' ELSE 'quarantined' END, "
            f"_code = CASE WHEN e._row_hash = x._row_hash OR {up} THEN NULL ELSE 'key_conflict' END, "
            f"_reason = CASE WHEN e._row_hash = x._row_hash OR {up} THEN NULL "
            f"ELSE 'key ' || {key_txt} || ' is already loaded with different content (use --upsert to replace it)' END "
            f"FROM wm_existing_{t} AS e WHERE x._bucket IS NULL AND {match}"
        )

    def _buckets(self, tm: TableMapping, typed: str, sources: list[Source], reads: list[RawRead], origin: str,
                 retry_set: str
                 ) -> tuple[TableReport, list[TableWrite], int]:
        con = self.con
        t = tm.table
        lid = sqlgen.lit(self.load_id)
        source_expr = "f.display || ':' || CAST(x._line AS VARCHAR)"
        contract_cols = ", ".join(f"x.{quote('__t_' + c)} AS {quote(c)}" for c in TABLES[t].column_names)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW wm_load_{t} AS SELECT {contract_cols}, {lid} AS _load_id, "
            f"{source_expr} AS _source, x._row_hash, x._file AS _wm_file FROM {typed} x JOIN wm_files f USING (_file) "
            f"WHERE x._bucket IS NULL OR x._bucket = 'upsert'"
        )
        keys = ", ".join(quote(k) for k in TABLES[t].key)
        if self.upsert:
            con.execute(f"CREATE OR REPLACE TEMP TABLE wm_del_{t} AS SELECT DISTINCT {keys} FROM wm_load_{t}")
        # quarantine: invalid candidates and malformed lines; raw = the source row as JSON
        any_bad = bool(con.execute(f"SELECT 1 FROM {typed} WHERE _bucket = 'quarantined' LIMIT 1").fetchall())
        raw_json = (self._raw_json_sql(typed, reads) if any_bad
                    else "SELECT CAST(NULL AS INTEGER) AS _file, CAST(NULL AS BIGINT) AS _line, "
                         "CAST(NULL AS VARCHAR) AS raw WHERE false")
        spec = sqlgen.lit(origin)
        qid = f"md5({lid} || {sqlgen.lit(t)} || f.sha || CAST(q._line AS VARCHAR) || q._part)"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE wm_quar_{t} AS SELECT {qid} AS qid, {lid} AS load_id, {sqlgen.lit(t)} AS table_name, "
            f"f.display AS file, f.sha AS file_sha, q._line AS line, q._part AS part, q._code AS reason_code, "
            f"q._reason AS reason, q.raw, {spec} AS source_spec, CAST(NULL AS VARCHAR) AS resolved_by, q._file AS _wm_file FROM ("
            f"SELECT x._file, x._line, x._part, x._code, x._reason, r.raw FROM {typed} x LEFT JOIN ({raw_json}) r "
            f"ON r._file = x._file AND r._line = x._line WHERE x._bucket = 'quarantined' "
            f"UNION ALL SELECT _file, _line, '', code, 'the line cannot be read as a row: ' || msg, raw "
            f"FROM wm_rejects rj WHERE NOT {'false' if self.retry else self._q_exists('rj', t)}"
            f") q JOIN wm_files f USING (_file)"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE wm_dup_{t} AS SELECT {lid} AS load_id, {sqlgen.lit(t)} AS table_name, "
            f"f.display AS file, x._line AS line, x._part AS part, CASE x._bucket WHEN 'dup_loaded' THEN 'loaded' "
            f"WHEN 'dup_command' THEN 'this load' ELSE 'quarantine' END AS duplicate_of, x._file AS _wm_file FROM ("
            f"SELECT _file, _line, _part, _bucket FROM {typed} WHERE _bucket LIKE 'dup_%' "
            f"UNION ALL SELECT _file, _line, '', 'dup_quarantined' FROM wm_rejects rj WHERE "
            f"{'false' if self.retry else self._q_exists('rj', t)}) x JOIN wm_files f USING (_file)"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE wm_skip_{t} AS SELECT {lid} AS load_id, {sqlgen.lit(t)} AS table_name, "
            f"f.display AS file, x._line AS line, x._part AS part, x._file AS _wm_file FROM {typed} x "
            f"JOIN wm_files f USING (_file) WHERE x._bucket = 'skipped'"
        )
        report = self._count(t, sources)
        writes = [
            TableWrite(t, insert_from=f"wm_load_{t}", delete_from=f"wm_del_{t}" if self.upsert else None),
            TableWrite("_quarantine", insert_from=f"wm_quar_{t}"),
            TableWrite("_duplicates", insert_from=f"wm_dup_{t}"),
            TableWrite("_skipped", insert_from=f"wm_skip_{t}"),
        ]
        resolved = 0
        if retry_set:
            resolved = resolve(self.con, self.load_id, t, typed, writes)
        return report, writes, resolved

    def _q_exists(self, alias: str, table: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM wm_quarantine q JOIN wm_files f ON q.file_sha = f.sha WHERE f._file = {alias}._file "
            f"AND q.line = {alias}._line AND q.part = '' AND q.table_name = {sqlgen.lit(table)} AND q.resolved_by IS NULL)"
        )

    def _raw_json_sql(self, typed: str, reads: list[RawRead]) -> str:
        """The source row of each quarantined candidate as JSON, keyed by the file's own column names."""
        parts = []
        for index, read in enumerate(reads):
            raw = f"wm_raw_{index}"
            pairs = ", ".join(f"{sqlgen.lit(h)}, {quote(c)}" for h, c in read.columns.items())
            body = f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "'{}'"
            parts.append(
                f"SELECT _file, _line, {body} AS raw FROM {raw} r WHERE EXISTS (SELECT 1 FROM {typed} x "
                f"WHERE x._file = r._file AND x._line = r._line AND x._bucket = 'quarantined')"
            )
        return " UNION ALL ".join(parts)

    def _count(self, t: str, sources: list[Source]) -> TableReport:
        con = self.con
        report = TableReport(t)
        counts: dict[str, dict[int, int]] = {}
        queries = {
            "read": f"SELECT _file, count(*) FROM (SELECT _file FROM wm_typed_{t} UNION ALL SELECT _file FROM wm_rejects) GROUP BY 1",
            "loaded": f"SELECT _wm_file, count(*) FROM wm_load_{t} GROUP BY 1",
            "quarantined": f"SELECT _wm_file, count(*) FROM wm_quar_{t} GROUP BY 1",
            "duplicates": f"SELECT _wm_file, count(*) FROM wm_dup_{t} GROUP BY 1",
            "skipped": f"SELECT _wm_file, count(*) FROM wm_skip_{t} GROUP BY 1",
        }
        for bucket, sql in queries.items():
            counts[bucket] = {int(k): int(v) for k, v in con.execute(sql).fetchall()}
        if self.retry:  # retried rows still failing keep their old entry: count them as quarantined again
            still = {int(k): int(v) for k, v in con.execute(
                f"SELECT f._file, count(*) FROM wm_qnew_{t} n JOIN wm_files f ON n.file_sha = f.sha AND n.file = f.display "
                f"WHERE n.resolved_by IS NULL GROUP BY 1").fetchall()} if _exists(con, f"wm_qnew_{t}") else {}
            for k, v in still.items():
                counts["quarantined"][k] = counts["quarantined"].get(k, 0) + v
        for index, source in enumerate(sources):
            report.files.append(FileCounts(
                path=source.display,
                **{bucket: counts[bucket].get(index, 0) for bucket in queries},
            ))
        reasons = con.execute(f"SELECT reason_code, count(*) FROM wm_quar_{t} GROUP BY 1 ORDER BY 1").fetchall()
        report.quarantine_reasons = {str(k): int(v) for k, v in reasons}
        return report


def _expression_failed(tm: TableMapping, exc: duckdb.Error) -> InputFileError:
    """A mapping's expression that the engine could not run on the data (a type error, a bad cast ...)."""
    lines = [f"{name}: line {spec.line}" for name, spec in tm.columns.items() if spec.expr is not None]
    if tm.where is not None:
        lines.append(f"where: line {tm.where_line}")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = f" (the expressions of {tm.table} in {tm.path}: {', '.join(lines)})" if lines else ""
    return InputFileError(
        f"the mapping's expressions for {tm.table} cannot be computed on this file: {first}{where}",
        fix="Fix the expression the message names: e.g. use TRY_CAST instead of CAST, compare text with text, "
            "and give where: a true/false condition.",
        code="bad_expression",
    )


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])  # type: ignore[index]
