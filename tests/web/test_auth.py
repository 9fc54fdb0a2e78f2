"""Sign-in, sessions, CSRF, the login rate limit and the security headers (OWASP ASVS level 1 items)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web.conftest import PASSWORD, Web, csrf_of, sign_in

pytest.importorskip("fastapi")


def _client(web: Web) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(web.app, follow_redirects=False)


def test_sign_in_sets_a_session_cookie_with_the_flags(web: Web) -> None:
    with _client(web) as c:
        r = sign_in(c, "exec1")
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"].lower()
        assert "wm_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # plain http on loopback (the test app)
        assert c.get("/").status_code == 200


def test_cookies_are_secure_off_loopback(web: Web) -> None:
    from fastapi.testclient import TestClient

    from wanamaker.web.app import create_app

    app = create_app(web.ws, secure_cookies=True, warm=False)
    with TestClient(app, follow_redirects=False, base_url="https://testserver") as c:
        r = sign_in(c, "exec1")
        assert r.status_code == 303
        assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_and_missing_csrf_are_refused(web: Web) -> None:
    with _client(web) as c:
        assert sign_in(c, "exec1", "not the password").status_code == 401
        assert sign_in(c, "nobody", PASSWORD).status_code == 401
        c.get("/login")
        r = c.post("/login", data={"username": "exec1", "password": PASSWORD, "csrf_token": "forged", "next": "/"})
        assert r.status_code == 403
        assert "wm_session" not in r.headers.get("set-cookie", "")


def test_login_is_rate_limited(web: Web) -> None:
    from fastapi.testclient import TestClient

    from wanamaker.web.app import create_app

    app = create_app(web.ws, secure_cookies=False, warm=False)
    with TestClient(app, follow_redirects=False) as c:
        codes = [sign_in(c, "marketing1", f"guess number {i}").status_code for i in range(6)]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        r = sign_in(c, "marketing1")  # even the right password waits
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_next_cannot_redirect_off_site(web: Web) -> None:
    with _client(web) as c:
        page = c.get("/login?next=//evil.example/x")
        r = c.post("/login", data={"username": "exec1", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                   "next": "//evil.example/x"})
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_logout_ends_the_session_and_needs_csrf(web: Web) -> None:
    with _client(web) as c:
        sign_in(c, "exec1")
        assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        token = csrf_of(c.get("/goals").text)
        cookie = c.cookies.get("wm_session")
        assert c.post("/logout", data={"csrf_token": token}).status_code == 303
        c.cookies.set("wm_session", cookie)  # the old cookie no longer works
        assert c.get("/goals").status_code == 303


def test_sessions_expire() -> None:
    import time

    from wanamaker.web.auth import Sessions

    sessions = Sessions(idle=0.05)
    s = sessions.create("a", "exec")
    assert sessions.get(s.token) is s
    time.sleep(0.1)
    assert sessions.get(s.token) is None


def test_security_headers(clients: dict[str, Any]) -> None:
    for client, path in ((clients["anon"], "/login"), (clients["exec"], "/"), (clients["exec"], "/api/goals")):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["cache-control"] == "no-store"


def test_form_without_csrf_writes_nothing(web: Web, clients: dict[str, Any]) -> None:
    before = web.ws.table("_loads").count().execute()
    r = clients["sales"].post("/survey", data={"submission_id": "0" * 32, "score_0": "3"})
    assert r.status_code == 403
    assert web.ws.table("_loads").count().execute() == before


def test_pages_escape_what_people_typed(web: Web, clients: dict[str, Any]) -> None:
    r = clients["exec"].get("/goals/<script>alert(1)</script>")
    assert r.status_code in (400, 404)
    assert "<script>alert(1)" not in r.text
