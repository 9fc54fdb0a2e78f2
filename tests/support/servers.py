"""Real engines for the tests: a throw-away PostgreSQL server and one Spark session per run.

Without the binaries these skip with a reason, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    datadir: Path
    port: int
    bindir: Path
    proc_user: str | None

    @property
    def base_url(self) -> str:
        return f"postgresql://wanamaker@127.0.0.1:{self.port}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base_url}/{name}"

    def is_superuser(self, url: str) -> bool:
        import psycopg

        with psycopg.connect(url) as con:
            row = con.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        return bool(row and row[0])

    def create_app_database(self, name: str) -> str:
        """A database owned by the superuser and the URL of a role that is NOT a superuser, with exactly the
        grants docs/security.md gives a workspace: CONNECT and TEMPORARY on the database, USAGE and CREATE
        on its schema (the role creates, and so owns, the workspace's tables)."""
        import psycopg

        role = f"{name}_app"
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
            con.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
            con.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO "{role}"')
        with psycopg.connect(f"{self.base_url}/{name}", autocommit=True) as con:
            con.execute(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
        return f"postgresql://{role}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        cmd = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"]
        _run(cmd, self.proc_user, check=False)
        shutil.rmtree(self.datadir, ignore_errors=True)


def _run(cmd: list[str], user: str | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def start_postgres() -> PostgresServer:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = shutil.which("initdb") or (candidates[-1] if candidates else None)
    if not initdb:
        missing("PostgreSQL server binaries (initdb) are not installed: apt-get install postgresql")
    bindir = Path(str(initdb)).parent
    user = "postgres" if os.geteuid() == 0 else None
    datadir = Path(tempfile.mkdtemp(prefix="wanamaker-pg-"))
    if user:
        shutil.chown(datadir, user=user)
    _run([str(bindir / "initdb"), "-D", str(datadir), "-U", "wanamaker", "--auth=trust", "-E", "UTF8",
          "--no-locale"], user)
    port = _free_port()
    sockdir = datadir
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockdir} -c fsync=off " \
           f"-c synchronous_commit=off -c full_page_writes=off"
    _run([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", opts, "-w", "-l", str(datadir / "log.txt"), "start"], user)
    server = PostgresServer(datadir, port, bindir, user)
    for _ in range(50):
        try:
            import psycopg

            psycopg.connect(f"{server.base_url}/postgres").close()
            break
        except Exception:
            time.sleep(0.2)
    return server


def java_available() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))
