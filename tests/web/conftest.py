"""The web app on a copy of the session's demo workspace (forms write to it, so the other tests' demo stays as
generated), with one user per role, a test client per role and a live server for the browser tests."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from support.servers import missing

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "exec", "marketing", "sales")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Web:
    root: Path
    ws: Any
    app: Any


@pytest.fixture(scope="session")
def web(small_demo: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    pytest.importorskip("fastapi", reason="the web app needs the [web] extra")
    from wanamaker.web import create_app
    from wanamaker.web.users import add_user

    assert small_demo.exit_code == 0, small_demo.output
    root = tmp_path_factory.mktemp("web") / "ws"
    shutil.copytree(small_demo.root, root, ignore=shutil.ignore_patterns("demo-data", "reports"))
    ws = wanamaker.open(root)
    for role in ROLES:
        add_user(ws, f"{role}1", role, PASSWORD, member_id=None)
    _hand_over_leads(ws, root / "new_mqls.csv", 24)
    app = create_app(ws, secure_cookies=False, warm=False)
    yield Web(root, ws, app)
    ws.close()


def _hand_over_leads(ws: Any, path: Path, n: int) -> None:
    """Marketing hands ``n`` more leads to sales an hour ago (loaded like any export), so the lead forms have work."""
    from datetime import UTC, datetime, timedelta

    ev = ws.table("stage_events")
    reached = ev.filter(ev.stage != "lead").select("subject_id").distinct()
    people = ws.table("people").select("person_id").anti_join(reached, ws.table("people").person_id == reached.subject_id)
    ids = people.order_by("person_id").limit(n).to_pyarrow().column("person_id").to_pylist()
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    path.write_text("subject_type,subject_id,stage,ts\n" + "".join(f"person,{i},mql,{when}\n" for i in ids))
    result = ws.load([path], table="stage_events")
    assert result.quarantined == 0 and len(ids) == n


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text),
                                       "next": "/"})


@pytest.fixture(scope="session")
def clients(web: Web) -> Iterator[dict[str, Any]]:
    """A signed-in test client per role (and ``anon``)."""
    from fastapi.testclient import TestClient

    out: dict[str, Any] = {"anon": TestClient(web.app, follow_redirects=False)}
    for role in ROLES:
        client = TestClient(web.app, follow_redirects=False)
        response = sign_in(client, f"{role}1")
        assert response.status_code == 303, response.text[:500]
        out[role] = client
    yield out
    for client in out.values():
        client.close()


@dataclass
class Live:
    url: str
    server: Any


@pytest.fixture(scope="session")
def live(web: Web) -> Iterator[Live]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", server)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    missing("Chromium is not installed (apt-get install chromium)")
    raise AssertionError  # unreachable


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
