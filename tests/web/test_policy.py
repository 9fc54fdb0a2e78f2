"""Every route of the app refuses an anonymous request and every role the DESIGN "Faces" table does not allow,
found by enumerating the app's routes (so a route added without a policy fails here)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Mount
from tests.web.conftest import ROLES, Web

pytest.importorskip("fastapi")


def _routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                out.append((method, route.path))
    return out


def _sample(path: str, web: Web) -> str:
    campaigns = web.ws.table("campaigns").select("campaign_id", "channel").limit(1).to_pyarrow().to_pylist()[0]
    goal = web.ws.goals().as_json()[0]["id"]
    return (path.replace("/attribution/channel/{value}", f"/attribution/channel/{campaigns['channel']}")
            .replace("/attribution/campaign/{value}", f"/attribution/campaign/{campaigns['campaign_id']}")
            .replace("/goals/{value}", f"/goals/{goal}"))


def test_every_route_has_a_policy(web: Web) -> None:
    from wanamaker.web.app import POLICY, PUBLIC

    routes = _routes(web.app)
    assert len(routes) > 30
    unlisted = [r for r in routes if r not in POLICY and r not in PUBLIC]
    assert not unlisted, f"routes with no role policy: {unlisted}"
    stale = [r for r in POLICY if r not in routes]
    assert not stale, f"policy entries with no route: {stale}"
    # the DESIGN table: admin everywhere; sales never on the executive views or the work forms
    assert all("admin" in roles for roles in POLICY.values())
    for (_method, path), roles in POLICY.items():
        if path.startswith("/admin"):
            assert roles == ("admin",)
        if path in ("/", "/api/scorecard", "/api/waste", "/api/economics", "/work/log", "/work/hours"):
            assert "sales" not in roles or path == "/"


def test_every_route_refuses_anonymous_and_wrong_roles(web: Web, clients: dict[str, Any]) -> None:
    from wanamaker.web.app import POLICY

    checked = 0
    for (method, path), roles in sorted(POLICY.items()):
        url = _sample(path, web)
        api = path.startswith("/api/") or path == "/openapi.json"
        r = clients["anon"].request(method, url)
        if api:
            assert r.status_code == 401, (method, url, r.status_code)
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, url, r.status_code)
        for role in ROLES:
            if role in roles:
                continue
            r = clients[role].request(method, url)
            assert r.status_code == 403, (role, method, url, r.status_code, r.text[:200])
            checked += 1
    assert checked > 20


def test_allowed_roles_get_the_pages(web: Web, clients: dict[str, Any]) -> None:
    from wanamaker.web.app import POLICY

    for (method, path), roles in sorted(POLICY.items()):
        if method != "GET":
            continue
        url = _sample(path, web)
        for role in roles:
            r = clients[role].get(url)
            expected = 303 if (path == "/" and role == "sales") else 200
            assert r.status_code == expected, (role, url, r.status_code, r.text[:300])


def test_sales_home_is_the_leads(clients: dict[str, Any]) -> None:
    r = clients["sales"].get("/")
    assert r.status_code == 303 and r.headers["location"] == "/leads"
