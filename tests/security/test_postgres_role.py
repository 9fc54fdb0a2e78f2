"""`wanamaker check` warns when a PostgreSQL workspace connects as a superuser or as a role that reaches
server files, and stays quiet for the documented role (docs/security.md) and on DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

import wanamaker
from support.servers import PostgresServer
from wanamaker.check import check
from wanamaker.errors import EngineError

_ROLE_CHECKS = {"postgres_superuser", "postgres_server_files"}


def _role_findings(ws: wanamaker.Workspace) -> dict[str, tuple[str, str, str]]:
    return {f.code: (f.subject, f.message, f.fix) for f in check(ws) if f.code in _ROLE_CHECKS}


def test_superuser_is_warned_with_the_grants_to_use(postgres_server: PostgresServer, tmp_path: Path) -> None:
    url = postgres_server.create_database(f"role_su_{os.getpid()}")
    assert postgres_server.is_superuser(url)
    with wanamaker.open(wanamaker.init(tmp_path / "ws", connection=url)) as ws:
        found = _role_findings(ws)
        assert set(found) == {"postgres_superuser"}
        subject, message, fix = found["postgres_superuser"]
        assert subject == "wanamaker" and "superuser" in message
        assert "GRANT USAGE, CREATE ON SCHEMA" in fix and "CREATE ROLE" in fix
        assert next(f for f in check(ws) if f.code == "postgres_superuser").severity == "warning"


def test_documented_role_is_not_warned_until_it_can_read_server_files(postgres_server: PostgresServer,
                                                                       tmp_path: Path) -> None:
    url = postgres_server.create_app_database(f"role_app_{os.getpid()}")
    role = url.split("//", 1)[1].split("@", 1)[0]
    with wanamaker.open(wanamaker.init(tmp_path / "ws", connection=url)) as ws:
        assert _role_findings(ws) == {}
        with psycopg.connect(f"{postgres_server.base_url}/postgres", autocommit=True) as admin:
            admin.execute(f'GRANT pg_read_server_files TO "{role}"')
        try:
            found = _role_findings(ws)
        finally:
            with psycopg.connect(f"{postgres_server.base_url}/postgres", autocommit=True) as admin:
                admin.execute(f'REVOKE pg_read_server_files FROM "{role}"')
        assert set(found) == {"postgres_server_files"}
        subject, message, fix = found["postgres_server_files"]
        assert subject == role and "pg_read_server_files" in message
        assert f"REVOKE pg_read_server_files FROM {role}" in fix


def test_duckdb_has_no_role_findings(workspace: wanamaker.Workspace) -> None:
    assert _role_findings(workspace) == {}


def test_a_missing_grant_fails_a_load_clearly_and_changes_nothing(postgres_server: PostgresServer,
                                                                   tmp_path: Path) -> None:
    name = f"role_nogrant_{os.getpid()}"
    url = postgres_server.create_app_database(name)
    role = url.split("//", 1)[1].split("@", 1)[0]
    with psycopg.connect(f"{postgres_server.base_url}/{name}", autocommit=True) as admin:
        admin.execute(f'REVOKE CREATE ON SCHEMA public FROM "{role}"')
    with pytest.raises(EngineError) as denied:
        wanamaker.init(tmp_path / "ws", connection=url)  # the role cannot create the workspace's tables
    assert denied.value.code == "permission_denied"
    assert f"role {role} lacks a grant" in denied.value.message
    assert "permission denied for schema public" in denied.value.message
    assert f"GRANT USAGE, CREATE ON SCHEMA public (or the workspace's schema) TO {role}" in denied.value.fix

    with psycopg.connect(f"{postgres_server.base_url}/{name}", autocommit=True) as admin:
        admin.execute(f'GRANT CREATE ON SCHEMA public TO "{role}"')
    wanamaker.open(tmp_path / "ws").close()  # the role makes its tables; then people passes to another owner
    with psycopg.connect(f"{postgres_server.base_url}/{name}", autocommit=True) as admin:
        admin.execute("ALTER TABLE people OWNER TO wanamaker")
        admin.execute(f'GRANT SELECT ON people TO "{role}"')
    people = tmp_path / "p.csv"
    people.write_text("person_id\np1\n", encoding="utf-8")
    with wanamaker.open(tmp_path / "ws") as ws:
        with pytest.raises(EngineError, match="permission denied for table people") as denied:
            ws.load([people], table="people")
        assert denied.value.code == "permission_denied"
        assert ws.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 0}]
        assert ws.sql("SELECT count(*) AS n FROM _loads").to_pylist() == [{"n": 0}]
