"""`wanamaker sql` / ``Workspace.sql`` only read: every statement, table function, file name and server function
below is refused with the named error and changes nothing, on DuckDB, PostgreSQL (as a superuser and as the
documented non-superuser role) and Spark; plain queries still run. Behind the parser, the engines refuse too."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import wanamaker
from support.data import write_csv
from support.servers import PostgresServer
from wanamaker.errors import EngineError, UsageError

VARIANTS = ["duckdb", "postgres_superuser", "postgres_role", "spark"]

# (query, what the message names); {tmp} is an empty folder that must stay empty.
REFUSED = [
    ("SELECT content FROM read_text('/etc/shadow')", "read_text()"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv"),
    ("SELECT * FROM glob('/root/.*')", "glob()"),
    ("SELECT * FROM read_parquet('{tmp}/x.parquet')", "read_parquet()"),
    ("SELECT * FROM read_json('/etc/passwd')", "read_json"),
    ("SELECT * FROM read_blob('/etc/passwd')", "read_blob()"),
    ("SELECT * FROM '/etc/passwd'", "names a file"),
    ('SELECT * FROM "{tmp}/data.csv"', "names a file"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings()"),
    ("SELECT * FROM query('SELECT 1')", "query()"),
    ("SELECT * FROM generate_series(1, 3)", "generate_series()"),
    ("SELECT (SELECT content FROM read_text('/etc/passwd')) AS x", "read_text()"),
    ("SELECT * FROM people WHERE person_id IN (SELECT content FROM read_text('/etc/hostname'))", "read_text()"),
    ("SELECT * FROM people, LATERAL read_csv('/etc/passwd')", "read_csv()"),
    ("INSTALL httpfs FROM 'http://127.0.0.1:9/'", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("PRAGMA profiling_output = '{tmp}/profile.json'", "PRAGMA"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("SET enable_external_access = true", "SET"),
    ("SET memory_limit = '1MB'", "SET"),
    ("RESET memory_limit", "RESET"),
    ("ATTACH '{tmp}/attached.duckdb' AS x", "ATTACH"),
    ("DETACH x", "DETACH"),
    ("COPY people TO '{tmp}/copy.csv'", "COPY"),
    ("COPY (SELECT 1) TO '{tmp}/copy2.csv'", "COPY"),
    ("EXPORT DATABASE '{tmp}/export'", "EXPORT"),
    ("CALL pragma_version()", "CALL"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("BEGIN", "BEGIN"),
    ("DESCRIBE people", "DESCRIBE"),
    ("SHOW TABLES", "SHOW"),
    ("SUMMARIZE people", "SUMMARIZE"),
    ("USE memory", "USE"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file()"),
    ("SELECT pg_catalog.pg_read_binary_file('/etc/passwd')", "pg_read_binary_file()"),
    ("SELECT * FROM pg_ls_dir('/')", "pg_ls_dir()"),
    ("SELECT * FROM pg_ls_waldir()", "pg_ls_waldir()"),
    ("SELECT pg_stat_file('/etc/passwd')", "pg_stat_file()"),
    ("SELECT lo_import('/etc/passwd')", "lo_import()"),
    ("SELECT lo_export(1, '{tmp}/lo.bin')", "lo_export()"),
    ("SELECT set_config('search_path', 'x', false)", "set_config()"),
    ("SELECT current_setting('data_directory')", "current_setting()"),
    ("SELECT query_to_xml('SELECT pg_read_file(''/etc/passwd'')', true, true, '')", "query_to_xml()"),
    ("SELECT * FROM dblink('host=127.0.0.1', 'SELECT 1') AS t(a int)", "dblink()"),
    ("SELECT pg_terminate_backend(1)", "pg_terminate_backend()"),
    ("SELECT pg_reload_conf()", "pg_reload_conf()"),
    ("SELECT pg_advisory_lock(1)", "pg_advisory_lock()"),
    ("SELECT 1; DELETE FROM people", "exactly one"),
    ("SELECT 1; SELECT 2", "exactly one"),
    ("SELECT 1 /* a /* b */ */ ; PRAGMA version", "exactly one"),
    ("", "exactly one"),
    ("WITH gone AS (DELETE FROM people RETURNING *) SELECT * FROM gone", "DELETE"),
    ("DELETE FROM people", "DELETE"),
    ("DROP TABLE people", "DROP"),
    ("CREATE TABLE stolen AS SELECT 1 AS a", "CREATE"),
    ("INSERT INTO people (person_id) VALUES ('x')", "INSERT"),
    ("UPDATE people SET segment = 'x'", "UPDATE"),
    ("TRUNCATE people", "TRUNCATE"),
    ("SELECT * INTO stolen FROM people", "INTO"),
    ("SELECT * FROM people FOR UPDATE", "FOR UPDATE"),
    ("DO $$ BEGIN DELETE FROM people; END $$", "DO"),
    ("GRANT ALL ON people TO PUBLIC", "GRANT"),
    ("TABLE people", "TABLE"),
]

READS = [  # (query, rows) over the three people and four touches loaded below
    ("SELECT count(*) AS n FROM people", 1),
    ("SELECT person_id FROM people WHERE person_id LIKE 'p%' ORDER BY person_id", 3),
    ("WITH p AS (SELECT person_id FROM people) SELECT count(*) AS n FROM p", 1),
    ("SELECT person_id FROM people UNION SELECT person_id FROM touchpoints", 3),
    ("SELECT person_id FROM people INTERSECT SELECT person_id FROM touchpoints", 2),
    ("SELECT person_id FROM people EXCEPT SELECT person_id FROM touchpoints", 1),
    ("SELECT touch_id, row_number() OVER (PARTITION BY person_id ORDER BY ts) AS k FROM touchpoints", 4),
    ("SELECT p.person_id, count(t.touch_id) AS n FROM people p LEFT JOIN touchpoints t "
     "ON p.person_id = t.person_id GROUP BY p.person_id", 3),
    ("SELECT * FROM (SELECT person_id FROM people) AS s WHERE s.person_id IN (SELECT person_id FROM touchpoints)", 2),
    ("VALUES (1, 'a'), (2, 'b')", 2),
    ("(SELECT 1 AS a)", 1),
]


def _counts(ws: wanamaker.Workspace) -> dict[str, int]:
    return {t: int(ws.sql(f"SELECT count(*) AS n FROM {t}").to_pylist()[0]["n"]) for t in ("people", "touchpoints", "_loads")}


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def sql_ws(variant: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[wanamaker.Workspace]:
    """One loaded workspace per variant, shared by the cases (each must leave it as it was)."""
    folder = tmp_path_factory.mktemp(variant)
    if variant == "duckdb":
        url = "duckdb:///wanamaker.duckdb"
    elif variant.startswith("postgres"):
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = f"sqlro_{os.getpid()}_{variant}"
        url = server.create_app_database(name) if variant == "postgres_role" else server.create_database(name)
        assert server.is_superuser(url) == (variant == "postgres_superuser")
    else:
        request.getfixturevalue("spark_ready")
        url = f"spark:///{folder / 'warehouse'}"
    ws = wanamaker.open(wanamaker.init(folder / "ws", connection=url))
    ws.load([write_csv(folder / "p.csv", [{"person_id": f"p{i}"} for i in (1, 2, 3)])], table="people")
    ws.load([write_csv(folder / "t.csv", [
        {"touch_id": f"t{i}", "person_id": p, "ts": f"2026-01-0{i}", "channel": "email"}
        for i, p in ((1, "p1"), (2, "p1"), (3, "p2"), (4, "p2"))
    ])], table="touchpoints")
    yield ws
    ws.close()


@pytest.mark.parametrize(("query", "named"), REFUSED, ids=[q[:40] or "empty" for q, _ in REFUSED])
def test_refused_and_nothing_changes(sql_ws: wanamaker.Workspace, query: str, named: str, tmp_path: Path) -> None:
    before = _counts(sql_ws)
    tables = sql_ws.tables()
    with pytest.raises(UsageError) as refused:
        sql_ws.sql(query.replace("{tmp}", str(tmp_path)))
    assert refused.value.code == "sql_refused"
    assert named in refused.value.message
    assert refused.value.fix
    assert list(tmp_path.iterdir()) == []
    assert _counts(sql_ws) == before
    assert sql_ws.tables() == tables


@pytest.mark.parametrize(("query", "rows"), READS, ids=[q[:40] for q, _ in READS])
def test_reads_still_work(sql_ws: wanamaker.Workspace, query: str, rows: int) -> None:
    assert sql_ws.sql(query).num_rows == rows


def test_results_are_right(sql_ws: wanamaker.Workspace) -> None:
    assert sql_ws.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 3}]
    ranked = sql_ws.sql("SELECT touch_id, row_number() OVER (PARTITION BY person_id ORDER BY ts) AS k "
                        "FROM touchpoints ORDER BY touch_id").to_pylist()
    assert [r["k"] for r in ranked] == [1, 2, 1, 2]


def test_the_engine_rejecting_a_query_is_a_usage_error(sql_ws: wanamaker.Workspace) -> None:
    with pytest.raises(UsageError, match="refused the query"):
        sql_ws.sql("SELECT * FROM no_such_table")
    with pytest.raises(UsageError, match="refused the query"):
        sql_ws.sql("SELECT no_such_column FROM people")


# ---------------------------------------------------------------- the engine's own wall, behind the parser
def test_duckdb_engine_refuses_files_and_settings(sql_ws: wanamaker.Workspace, variant: str, tmp_path: Path) -> None:
    if variant not in ("duckdb", "spark"):
        pytest.skip("DuckDB answers `wanamaker sql` on DuckDB and Spark only")
    for query in ("SELECT content FROM read_text('/etc/passwd')", "SELECT * FROM read_csv('/etc/passwd')",
                  "SELECT * FROM glob('/etc/*')", "SET enable_external_access = true",
                  f"PRAGMA profiling_output = '{tmp_path}/profile.json'", f"COPY (SELECT 1) TO '{tmp_path}/x.csv'",
                  f"ATTACH '{tmp_path}/x.duckdb' AS x", "INSTALL httpfs"):
        with pytest.raises(duckdb.Error):
            sql_ws.store.query_arrow(query)
    assert list(tmp_path.iterdir()) == []


def test_postgres_engine_takes_one_query_that_does_not_write(sql_ws: wanamaker.Workspace, variant: str) -> None:
    import psycopg

    if not variant.startswith("postgres"):
        pytest.skip("PostgreSQL only")
    for query in ("WITH gone AS (DELETE FROM people RETURNING *) SELECT * FROM gone",
                  "SELECT 1; DELETE FROM people", "DELETE FROM people", "SELECT * INTO stolen FROM people"):
        with pytest.raises(psycopg.Error):
            sql_ws.store.query_arrow(query)
    assert _counts(sql_ws)["people"] == 3
    assert "stolen" not in sql_ws.tables()


def test_postgres_role_cannot_reach_server_files(sql_ws: wanamaker.Workspace, variant: str, tmp_path: Path) -> None:
    import psycopg

    if variant != "postgres_role":
        pytest.skip("the documented non-superuser role only (a superuser passes this wall: `check` warns)")
    for query in ("SELECT pg_read_file('/etc/passwd')", "SELECT * FROM pg_ls_dir('/')",
                  "SELECT lo_import('/etc/passwd')", f"SELECT lo_export(lo_from_bytea(0, 'x'), '{tmp_path}/lo.bin')"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sql_ws.store.query_arrow(query)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_grant_is_a_clear_error(sql_ws: wanamaker.Workspace, variant: str,
                                          postgres_server: PostgresServer) -> None:
    import psycopg

    if variant != "postgres_role":
        pytest.skip("the documented non-superuser role only")
    database = sql_ws.connection.url.rsplit("/", 1)[1]
    role = sql_ws.connection.url.split("//", 1)[1].split("@", 1)[0]
    with psycopg.connect(f"{postgres_server.base_url}/{database}", autocommit=True) as admin:
        admin.execute("CREATE TABLE IF NOT EXISTS salaries (who text, amount int)")
    with pytest.raises(EngineError) as denied:
        sql_ws.sql("SELECT * FROM salaries")
    assert denied.value.code == "permission_denied"
    assert f"role {role} may not read table salaries" in denied.value.message
    assert f"GRANT SELECT ON salaries TO {role};" in denied.value.fix


def test_cli_refuses_with_exit_2_and_a_fix(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("WANAMAKER_WORKSPACE", None)
    out = tmp_path / "out"
    out.mkdir()
    for query, named in (("SELECT content FROM read_text('/etc/shadow')", "read_text()"),
                         (f"PRAGMA profiling_output = '{out}/profile.json'", "PRAGMA"),
                         (f"COPY (SELECT 1) TO '{out}/x.csv'", "COPY")):
        res = subprocess.run([sys.executable, "-m", "wanamaker.cli.app", "sql", query], cwd=root,
                             capture_output=True, text=True, env=env)
        assert res.returncode == 2, res.stderr
        assert named in res.stderr and "fix:" in res.stderr
        assert "unexpected" not in res.stderr.lower()
    assert list(out.iterdir()) == []
