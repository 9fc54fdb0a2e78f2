"""Results are computed once per data version: a second request is served from the cache, a load moves the
version, and while a load holds the workspace pages answer with the last result instead of waiting."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from tests.web.conftest import Web

pytest.importorskip("fastapi")


def test_pages_answer_while_a_load_holds_the_workspace(web: Web, clients: dict[str, Any]) -> None:
    state = web.app.state.wm.state
    exec_ = clients["exec"]
    assert exec_.get("/api/goals").status_code == 200  # computed (or already cached)
    start = time.perf_counter()
    first = exec_.get("/api/goals")
    assert first.status_code == 200 and time.perf_counter() - start < 2.0  # from the cache
    held, release = threading.Event(), threading.Event()

    def load() -> None:  # stands in for a long load: it holds the workspace
        with state.lock:
            held.set()
            release.wait(30)

    worker = threading.Thread(target=load)
    worker.start()
    held.wait(10)
    state.bump()  # as a load ends: the next request looks for a new version
    try:
        start = time.perf_counter()
        during = exec_.get("/api/goals")
        waited = time.perf_counter() - start
    finally:
        release.set()
        worker.join()
    assert during.status_code == 200 and waited < 2.0
    assert during.json() == first.json()


def test_a_new_load_moves_the_version(web: Web) -> None:
    state = web.app.state.wm.state
    before = state.version()
    calls: list[int] = []
    state.get(("probe",), lambda: calls.append(1) or len(calls))
    state.get(("probe",), lambda: calls.append(1) or len(calls))
    assert calls == [1]  # once per version
    path = web.root / "one_more_survey.csv"
    path.write_text("response_id,respondent_id,team,submitted_at,period,question,score\n"
                    "cache-probe-1,someone,sales,2026-05-01 10:00:00,FY2026-Q2,Lead quality from marketing,4\n")
    with state.lock:
        web.ws.load([path], table="survey_responses")
    state.bump()
    assert state.version() == before + 1
    state.get(("probe",), lambda: calls.append(1) or len(calls))
    assert calls == [1, 1]
