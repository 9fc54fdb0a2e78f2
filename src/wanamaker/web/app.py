"""``wanamaker serve``: the FastAPI application (DESIGN "Faces"; OWASP ASVS level 1 is the checklist).

Server-rendered Jinja pages and a JSON API over the same views (:mod:`wanamaker.report.views`), forms for
sales and marketers written as loads (:mod:`.forms`), and the role x route policy of DESIGN "Faces" enforced
on every route by one dependency (:func:`need`): pages send an anonymous visitor to ``/login`` and answer a
wrong role with 403; the API answers 401 and 403. :data:`POLICY` lists every protected route with its roles,
so a test can enumerate the app's routes and prove none is forgotten.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from wanamaker.errors import WanamakerError
from wanamaker.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, LoginLimiter, Session, Sessions, same
from wanamaker.web.state import WebState

# (method, path) -> roles allowed; filled by the route modules as they register
POLICY: dict[tuple[str, str], tuple[str, ...]] = {}
# routes anyone may call: the login form, static files and the chart script
PUBLIC: set[tuple[str, str]] = {("GET", "/login"), ("POST", "/login"), ("GET", "/vendor/vega.js")}
PUBLIC_PREFIXES = ("/static",)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}


_RAW_HEADERS = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: no per-request task or stream)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(("/static", "/vendor"))

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _RAW_HEADERS if k not in present]
                if not cacheable and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class NotSignedIn(Exception):
    def __init__(self, api: bool, path: str) -> None:
        self.api, self.path = api, path


class WrongRole(Exception):
    def __init__(self, api: bool, role: str) -> None:
        self.api, self.role = api, role


class BadCsrf(Exception):
    pass


@dataclass
class App:
    """What the routes share: the state, sessions, limiter, templates and cookie policy."""

    state: WebState
    sessions: Sessions
    limiter: LoginLimiter
    templates: Environment
    secure_cookies: bool
    users: list[dict[str, Any]] = field(default_factory=list)  # a snapshot of _users, for sign-in

    def user_rows(self) -> list[dict[str, Any]]:
        """The users, re-read when the workspace is free within a moment, else the last snapshot (so signing in
        never waits for a view being computed or a load)."""
        from wanamaker.web.users import rows

        if self.state.lock.acquire(timeout=0.25):
            try:
                self.users = rows(self.state.ws)
            finally:
                self.state.lock.release()
        return self.users

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session = self.session(request)
        html = self.templates.get_template(template).render(
            request=request, session=session, currency=self.state.ws.config.currency,
            workspace=self.state.ws.root.name, **context)
        return HTMLResponse(html, status_code=status)


def need(roles: tuple[str, ...], *, api: bool = False) -> Callable[[Request], Awaitable[Session]]:
    """A dependency: the signed-in session when its role is one of ``roles`` (async: it only reads memory, so it
    runs on the event loop without a thread hop)."""

    async def dependency(request: Request) -> Session:
        app: App = request.app.state.wm
        session = app.session(request)
        if session is None:
            raise NotSignedIn(api, request.url.path)
        if session.role not in roles:
            raise WrongRole(api, session.role)
        return session

    return dependency


def check_csrf(session: Session, token: str | None) -> None:
    if not same(session.csrf, token):
        raise BadCsrf()


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site (no open redirect), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def create_app(ws: Any, *, secure_cookies: bool = True, warm: bool = True) -> FastAPI:
    """The app for the open workspace ``ws``. ``secure_cookies`` is False only for plain http on loopback."""
    from wanamaker.web import routes_forms, routes_views

    api = FastAPI(title="wanamaker", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  description="Marketing accountable for revenue: the views of the web app as JSON. Sign in at "
                              "/login; every route needs a session cookie of a role allowed to read it.")
    templates = Environment(loader=PackageLoader("wanamaker.web", "templates"),
                            autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    from wanamaker.web.render import install_filters

    install_filters(templates, ws.config.currency)
    wm = App(WebState(ws), Sessions(), LoginLimiter(), templates, secure_cookies)
    wm.user_rows()  # before the warm-up thread takes the workspace
    api.state.wm = wm
    static = resources.files("wanamaker.web") / "static"
    api.mount("/static", StaticFiles(directory=str(static)), name="static")

    @api.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if exc.api:
            return JSONResponse({"error": "not signed in", "fix": "POST /login first; send the session cookie."},
                                status_code=401)
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    @api.exception_handler(WrongRole)
    async def wrong_role(request: Request, exc: WrongRole) -> Response:
        message = f"the {exc.role} role cannot open this page."
        if exc.api:
            return JSONResponse({"error": message, "fix": "Ask an admin for a role that may."}, status_code=403)
        return wm.page(request, "message.html", status=403, title="Not allowed", message=message,
                       fix="Ask an admin for a role that may, or go back to your home page.")

    @api.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return wm.page(request, "message.html", status=403, title="Form expired",
                       message="the form's security token is missing or out of date.",
                       fix="Reload the page and submit the form again.")

    @api.exception_handler(WanamakerError)
    async def wanamaker_error(request: Request, exc: WanamakerError) -> Response:
        fix = getattr(exc, "fix", None)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc), "fix": fix}, status_code=400)
        return wm.page(request, "message.html", status=400, title="Cannot show this", message=str(exc), fix=fix)

    api.add_middleware(SecurityHeaders)
    routes_views.register(api, wm)
    routes_forms.register(api, wm)
    _openapi(api, wm)
    if warm:
        wm.state.warm(routes_views.warm_keys(wm))
    return api


def _openapi(api: FastAPI, wm: App) -> None:
    from fastapi import Depends

    from wanamaker.web.auth import ANY

    @api.get("/openapi.json", include_in_schema=False)
    def openapi(session: Session = Depends(need(ANY, api=True))) -> JSONResponse:  # noqa: B008
        return JSONResponse(api.openapi())

    POLICY[("GET", "/openapi.json")] = ANY


__all__ = ["App", "LOGIN_CSRF_COOKIE", "POLICY", "PUBLIC", "create_app", "need"]
