"""Twenty people send a form at the same moment: every submission lands, each exactly once (and a submission
sent twice at once still lands once), through a real server."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from tests.web.conftest import PASSWORD, Live, Web, csrf_of

httpx = pytest.importorskip("httpx")

CLIENTS = 20


def test_twenty_concurrent_surveys_each_land_once(web: Web, live: Live) -> None:
    def client() -> Any:
        c = httpx.Client(base_url=live.url, follow_redirects=False, timeout=120)
        page = c.get("/login")
        r = c.post("/login", data={"username": "sales1", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                   "next": "/"})
        assert r.status_code == 303, r.text[:300]
        return c

    clients = [client() for _ in range(CLIENTS)]
    forms = []
    for c in clients:
        page = c.get("/survey").text
        scores = {q: "5" for q in set(re.findall(r'name="(score_\d+)"', page))}
        sid = re.search(r'name="submission_id" value="([0-9a-f]{32})"', page).group(1)  # type: ignore[union-attr]
        forms.append(scores | {"csrf_token": csrf_of(page), "submission_id": sid, "comment": f"from {sid[:6]}"})
    n_questions = len([k for k in forms[0] if k.startswith("score_")])
    t = web.ws.table("survey_responses")
    before_rows, before_loads = t.count().execute(), web.ws.table("_loads").count().execute()
    barrier = threading.Barrier(CLIENTS + 3)
    results: list[int] = []
    errors: list[BaseException] = []

    def send(c: Any, data: dict[str, str]) -> None:
        try:
            barrier.wait()
            r = c.post("/survey", data=data)
            results.append(r.status_code)
            assert "Recorded" in r.text or "Already recorded" in r.text, r.text[:300]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(c, f)) for c, f in zip(clients, forms, strict=True)]
    # three submissions sent a second time, at the same moment
    threads += [threading.Thread(target=send, args=(clients[i], forms[i])) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not errors, errors[:3]
    assert results == [200] * (CLIENTS + 3)
    assert web.ws.table("_loads").count().execute() == before_loads + CLIENTS
    assert t.count().execute() == before_rows + CLIENTS * n_questions
    for f in forms:
        assert t.filter(t.response_id.startswith(f["submission_id"])).count().execute() == n_questions
    for c in clients:
        c.close()
