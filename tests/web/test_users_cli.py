"""`wanamaker users add|list|remove|passwd`: passwords from standard input, argon2 hashes in `_users`, clear errors."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("argon2")


class _Result:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.exit_code = done.returncode
        self.output = done.stdout + done.stderr


def _run(ws: Any, *args: str, stdin: str | None = None) -> _Result:
    """The real command in a subprocess; standard input is a pipe, not a terminal."""
    return _Result(subprocess.run([sys.executable, "-m", "wanamaker.cli.app", *args, "--workspace", str(ws.root)],
                                  input=stdin or "", capture_output=True, text=True, timeout=120,
                                  env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}))


def test_users_lifecycle(workspace: Any) -> None:
    from wanamaker.web.users import rows, verify

    root = workspace.root
    workspace.close()
    ws = type("W", (), {"root": root})
    r = _run(ws, "users", "add", "carla", "--role", "exec", stdin="a long enough passphrase\n")
    assert r.exit_code == 0, r.output
    r = _run(ws, "users", "add", "Carla", "--role", "sales", stdin="another long passphrase\n")
    assert r.exit_code == 2 and "already exists" in r.output
    r = _run(ws, "users", "add", "dan", "--role", "boss", stdin="a long enough passphrase\n")
    assert r.exit_code == 2 and "not a role" in r.output
    r = _run(ws, "users", "add", "dan", "--role", "sales", stdin="short\n")
    assert r.exit_code == 2 and "too short" in r.output
    r = _run(ws, "users", "list")
    assert r.exit_code == 0 and "carla" in r.output and "exec" in r.output and "dan" not in r.output
    r = _run(ws, "users", "passwd", "carla", stdin="a brand new passphrase\n")
    assert r.exit_code == 0, r.output
    import wanamaker

    with wanamaker.open(root) as opened:
        stored = opened.table("_users").to_pyarrow().to_pylist()
        assert stored[0]["password_hash"].startswith("$argon2id$")
        assert "passphrase" not in stored[0]["password_hash"]
        assert verify(rows(opened), "carla", "a brand new passphrase") is not None
        assert verify(rows(opened), "carla", "a long enough passphrase") is None
        assert verify(rows(opened), "nobody", "a brand new passphrase") is None
    r = _run(ws, "users", "remove", "nobody")
    assert r.exit_code == 2 and "no user" in r.output
    r = _run(ws, "users", "remove", "carla")
    assert r.exit_code == 0
    r = _run(ws, "users", "list")
    assert "No web users yet" in r.output


def test_serve_refuses_without_users(workspace: Any) -> None:
    root = workspace.root
    workspace.close()
    ws = type("W", (), {"root": root})
    r = _run(ws, "serve", "--port", "8765")
    assert r.exit_code == 2 and "no web user" in r.output
    r = _run(ws, "serve", "--port", "70000")
    assert r.exit_code == 2 and "--port" in r.output
