"""schemathesis against the app's OpenAPI schema, signed in as an admin: no request makes a server error."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web.conftest import Web

schemathesis = pytest.importorskip("schemathesis")


def test_no_server_errors(web: Web, clients: dict[str, Any]) -> None:
    from hypothesis import HealthCheck, given, settings

    admin = clients["admin"]
    raw = admin.get("/openapi.json")
    assert raw.status_code == 200
    document = raw.json()
    assert {"/api/scorecard", "/api/leads", "/api/attribution/channel/{value}"} <= set(document["paths"])
    schema = schemathesis.openapi.from_dict(document)
    schema.app = web.app  # calls go to the app in-process (ASGI)
    cookies = {"wm_session": admin.cookies.get("wm_session")}
    failures: list[str] = []
    calls = 0

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            nonlocal calls
            response = case.call(cookies=cookies, timeout=300)
            calls += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        run()
    assert calls >= 50
    assert not failures, failures[:5]
