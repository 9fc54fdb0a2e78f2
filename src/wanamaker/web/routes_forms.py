"""Sign-in, the forms of sales (lead decisions, the survey) and marketers (hours, approvals), and the admin's
user page. Every POST checks the CSRF token; every form is written as a load (:mod:`.forms`)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from wanamaker.errors import UsageError
from wanamaker.web import forms, users
from wanamaker.web.auth import ADMIN, ANY, LOGIN_CSRF_COOKIE, MARKETING_ACT, SALES_ACT, SESSION_COOKIE, Session, same
from wanamaker.web.routes_views import nav

if TYPE_CHECKING:
    from wanamaker.web.app import App


def _who(wm: App, session: Session) -> str:
    """The team member a signed-in user acts as (their member id, else their username)."""
    row = next((r for r in wm.user_rows() if str(r["username"]).lower() == session.username.lower()), None)
    return str(row["member_id"]) if row and row.get("member_id") else session.username


def register(api: FastAPI, wm: App) -> None:  # noqa: C901 - one route per form, each short
    from wanamaker.web.app import POLICY, check_csrf, local_path, need

    def cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, secure=wm.secure_cookies,
                            samesite="strict" if name == LOGIN_CSRF_COOKIE else "lax", path="/")

    # ------------------------------------------------------------------ sign in and out
    @api.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str | None = Query(None, max_length=500)) -> Response:  # noqa: A002
        token = secrets.token_urlsafe(32)
        response = wm.page(request, "login.html", csrf_token=token, next=local_path(next), error=None)
        cookie(response, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    @api.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form("", max_length=64),
              password: str = Form("", max_length=users.MAX_PASSWORD), csrf_token: str = Form(""),
              next: str = Form("/", max_length=500)) -> Response:  # noqa: A002
        def again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
            token = secrets.token_urlsafe(32)
            response = wm.page(request, "login.html", status=status, csrf_token=token, next=local_path(next),
                               error=error)
            cookie(response, LOGIN_CSRF_COOKIE, token, max_age=3600)
            for k, v in (headers or {}).items():
                response.headers[k] = v
            return response

        if not same(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
            return again("The sign-in form expired. Please sign in again.", 403)
        client = request.client.host if request.client else "unknown"
        keys = (f"user:{username.lower()}", f"ip:{client}")
        wait = wm.limiter.retry_after(*keys)
        if wait:
            return again(f"Too many failed sign-ins. Try again in {wait} seconds.", 429, {"Retry-After": str(wait)})
        user = users.verify(wm.user_rows(), username, password)
        if user is None:
            wm.limiter.failed(*keys)
            return again("Wrong username or password.", 401)
        wm.limiter.succeeded(keys[0])
        session = wm.sessions.create(user.username, user.role)
        response = RedirectResponse(local_path(next), status_code=303)
        cookie(response, SESSION_COOKIE, session.token)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @api.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: str = Form(""), session: Session = Depends(need(ANY))) -> Response:  # noqa: B008
        check_csrf(session, csrf_token)
        wm.sessions.drop(session.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    POLICY[("POST", "/logout")] = ANY

    def done(request: Request, session: Session, result: forms.Submitted, back: str) -> Response:
        return wm.page(request, "submitted.html", nav=nav(session), result=result, back=back)

    # ------------------------------------------------------------------ sales
    @api.get("/leads", response_class=HTMLResponse, include_in_schema=False)
    def leads_page(request: Request, session: Session = Depends(need(SALES_ACT))) -> Response:  # noqa: B008
        ws = wm.state.ws
        leads = wm.state.get(("leads",), lambda: forms.pending_leads(ws))
        reasons = wm.state.get(("reasons",), lambda: forms.rejection_reasons(ws))
        stage, accepted, hours = forms.handoff(ws)
        return wm.page(request, "leads.html", nav=nav(session), leads=leads, reasons=reasons, stage=stage,
                       accepted=accepted[0], sla_hours=hours, new_id=forms.new_submission_id)

    POLICY[("GET", "/leads")] = SALES_ACT

    @api.get("/api/leads", summary="Leads handed to sales and awaiting a decision, with their SLA deadline",
             responses={401: {"description": "not signed in"}, 403: {"description": "role not allowed"}})
    def leads_api(session: Session = Depends(need(SALES_ACT, api=True))) -> JSONResponse:  # noqa: B008
        from wanamaker.web.routes_views import _jsonable

        return JSONResponse(_jsonable(wm.state.get(("leads",), lambda: forms.pending_leads(wm.state.ws))))

    POLICY[("GET", "/api/leads")] = SALES_ACT

    @api.post("/leads/decision", include_in_schema=False)
    def lead_decision(request: Request, person_id: str = Form(..., max_length=200),
                      decision: str = Form(..., max_length=20), reason: str = Form("", max_length=100),
                      submission_id: str = Form(..., max_length=64), csrf_token: str = Form(""),
                      session: Session = Depends(need(SALES_ACT))) -> Response:  # noqa: B008
        check_csrf(session, csrf_token)
        who = _who(wm, session)
        result = wm.state.run(lambda: forms.lead_decision(wm.state, submission_id=submission_id, person_id=person_id,
                                                          decision=decision, reason=reason, who=who))
        return done(request, session, result, "/leads")

    POLICY[("POST", "/leads/decision")] = SALES_ACT

    @api.get("/survey", response_class=HTMLResponse, include_in_schema=False)
    def survey_page(request: Request, session: Session = Depends(need(SALES_ACT))) -> Response:  # noqa: B008
        ws = wm.state.ws
        questions = wm.state.get(("questions",), lambda: forms.survey_questions(ws))
        period = wm.state.run(lambda: forms.current_quarter(ws))
        return wm.page(request, "survey.html", nav=nav(session), questions=list(enumerate(questions)),
                       period=period, submission_id=forms.new_submission_id())

    POLICY[("GET", "/survey")] = SALES_ACT

    @api.post("/survey", include_in_schema=False)
    async def survey_submit(request: Request, session: Session = Depends(need(SALES_ACT))) -> Response:  # noqa: B008
        data = await request.form(max_files=0, max_fields=50)
        check_csrf(session, str(data.get("csrf_token") or ""))
        questions = wm.state.get(("questions",), lambda: forms.survey_questions(wm.state.ws))
        scores = {q: str(data.get(f"score_{i}") or "") for i, q in enumerate(questions)}
        who = _who(wm, session)
        team = "sales" if session.role == "sales" else session.role
        from starlette.concurrency import run_in_threadpool

        result = await run_in_threadpool(
            wm.state.run, lambda: forms.survey(wm.state, submission_id=str(data.get("submission_id") or ""),
                                               scores=scores, comment=str(data.get("comment") or ""), who=who,
                                               team=team))
        return done(request, session, result, "/survey")

    POLICY[("POST", "/survey")] = SALES_ACT

    # ------------------------------------------------------------------ marketing
    @api.get("/work/log", response_class=HTMLResponse, include_in_schema=False)
    def work_page(request: Request, session: Session = Depends(need(MARKETING_ACT))) -> Response:  # noqa: B008
        items = wm.state.get(("work_items",), lambda: forms.open_work(wm.state.ws))
        return wm.page(request, "work_log.html", nav=nav(session), items=items, decisions=forms.DECISIONS,
                       hours_id=forms.new_submission_id(), approval_id=forms.new_submission_id())

    POLICY[("GET", "/work/log")] = MARKETING_ACT

    @api.post("/work/hours", include_in_schema=False)
    def work_hours(request: Request, work_id: str = Form(..., max_length=200), hours: str = Form(..., max_length=20),
                   delivered: str = Form("", max_length=10), submission_id: str = Form(..., max_length=64),
                   csrf_token: str = Form(""), session: Session = Depends(need(MARKETING_ACT))) -> Response:  # noqa: B008
        check_csrf(session, csrf_token)
        who = _who(wm, session)
        result = wm.state.run(lambda: forms.log_hours(wm.state, submission_id=submission_id, work_id=work_id,
                                                      hours=hours, delivered=bool(delivered), who=who))
        return done(request, session, result, "/work/log")

    POLICY[("POST", "/work/hours")] = MARKETING_ACT

    @api.post("/work/approval", include_in_schema=False)
    def work_approval(request: Request, work_id: str = Form(..., max_length=200),
                      decision: str = Form(..., max_length=30), submitted_on: str = Form("", max_length=30),
                      submission_id: str = Form(..., max_length=64), csrf_token: str = Form(""),
                      session: Session = Depends(need(MARKETING_ACT))) -> Response:  # noqa: B008
        check_csrf(session, csrf_token)
        who = _who(wm, session)
        result = wm.state.run(lambda: forms.record_approval(wm.state, submission_id=submission_id, work_id=work_id,
                                                            decision=decision, submitted_on=submitted_on, who=who))
        return done(request, session, result, "/work/log")

    POLICY[("POST", "/work/approval")] = MARKETING_ACT

    # ------------------------------------------------------------------ admin
    @api.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
    def users_page(request: Request, session: Session = Depends(need(ADMIN))) -> Response:  # noqa: B008
        listed = wm.state.run(lambda: users.list_users(wm.state.ws))
        return wm.page(request, "users.html", nav=nav(session), users=listed, roles=users.ROLES, error=None)

    POLICY[("GET", "/admin/users")] = ADMIN

    @api.post("/admin/users", include_in_schema=False)
    def users_add(request: Request, username: str = Form(..., max_length=64), role: str = Form(..., max_length=20),
                  password: str = Form(..., max_length=users.MAX_PASSWORD), member_id: str = Form("", max_length=200),
                  csrf_token: str = Form(""), session: Session = Depends(need(ADMIN))) -> Response:  # noqa: B008
        check_csrf(session, csrf_token)
        try:
            wm.state.run(lambda: users.add_user(wm.state.ws, username, role, password, member_id=member_id or None))
            wm.user_rows()
        except UsageError as exc:
            listed = wm.state.run(lambda: users.list_users(wm.state.ws))
            return wm.page(request, "users.html", status=400, nav=nav(session), users=listed, roles=users.ROLES,
                           error=f"{exc} {getattr(exc, 'fix', '') or ''}")
        return RedirectResponse("/admin/users", status_code=303)

    POLICY[("POST", "/admin/users")] = ADMIN

    @api.post("/admin/users/remove", include_in_schema=False)
    def users_remove(username: str = Form(..., max_length=64), csrf_token: str = Form(""),
                     session: Session = Depends(need(ADMIN))) -> Response:  # noqa: B008
        check_csrf(session, csrf_token)
        if username.lower() == session.username.lower():
            raise UsageError("you cannot remove yourself.", fix="Ask another admin, or use `wanamaker users remove`.")
        wm.state.run(lambda: users.remove_user(wm.state.ws, username))
        wm.user_rows()
        wm.sessions.drop_user(username)
        return RedirectResponse("/admin/users", status_code=303)

    POLICY[("POST", "/admin/users/remove")] = ADMIN

    @api.get("/api/me", summary="Who is signed in, and the role",
             responses={401: {"description": "not signed in"}})
    def me(session: Session = Depends(need(ANY, api=True))) -> dict[str, Any]:  # noqa: B008
        return {"username": session.username, "role": session.role}

    POLICY[("GET", "/api/me")] = ANY
