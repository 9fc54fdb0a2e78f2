"""Read-only pages and their JSON twins: the report's views, and the drill-downs from a channel to its
campaigns to their touches and from a goal to its child goals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import ibis
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from wanamaker.errors import UsageError
from wanamaker.web.auth import READ, SALES_READ, Session
from wanamaker.web.render import vega_bundle

if TYPE_CHECKING:
    from wanamaker.web.app import App

# which roles read which view (DESIGN "Faces": sales reads funnel and alignment; exec and marketing read all)
VIEW_ROLES: dict[str, tuple[str, ...]] = {"funnel": SALES_READ, "alignment": SALES_READ}
PAGE_PATH: dict[str, str] = {"scorecard": "/"}
TOUCH_LIMIT = 200
DRILL_MODELS = ("last_touch", "first_touch", "linear", "markov_3", "shapley", "calibrated")


def view_keys() -> tuple[str, ...]:
    from wanamaker.report.views import VIEW_KEYS

    return tuple(VIEW_KEYS)


def roles_of(key: str) -> tuple[str, ...]:
    return VIEW_ROLES.get(key, READ)


def page_path(key: str) -> str:
    return PAGE_PATH.get(key, f"/{key}")


def nav(session: Session | None) -> list[tuple[str, str]]:
    """(label, path) of the pages the session's role may open, in reading order."""
    if session is None:
        return []
    items = [(k.capitalize(), page_path(k)) for k in view_keys() if session.role in roles_of(k)]
    if session.role in ("admin", "sales"):
        items += [("Leads", "/leads"), ("Survey", "/survey")]
    if session.role in ("admin", "marketing"):
        items += [("Log work", "/work/log")]
    if session.role == "admin":
        items += [("Users", "/admin/users")]
    return items


def _in_label(value: str | None, ws: Any) -> str | None:
    """A period label checked before anything is computed (a bad one is a 400, not a slow page)."""
    from wanamaker.metrics.periods import parse_label

    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        period = parse_label(text, ws.config.timezone, ws.config.fiscal_year_start)
    except (ValueError, OverflowError) as exc:
        raise UsageError(f"'{text[:40]}' is not a period label: {exc}",
                         fix="Use a label such as FY2026-Q2, FY2026 or 2026-05.") from None
    if not 1990 <= period.start.year <= 2100:
        raise UsageError(f"{text} is outside the years 1990-2100.", fix="Choose a period of the workspace's data.")
    return text


def view(wm: App, key: str, in_label: str | None) -> Any:
    from wanamaker.report.views import build_view

    return wm.state.get(("view", key, in_label), lambda: build_view(wm.state.ws, key, in_label=in_label))


def _body_key(key: str, label: str | None, links: bool) -> tuple[Any, ...]:
    return ("view-html", key, label, links)


def _view_body(wm: App, key: str, label: str | None, session: Session) -> tuple[str, str, bool]:
    """A view's body HTML, title and whether it has charts, rendered once per data version, period and kind of
    reader (with drill-down links or without)."""
    links = session.role in READ

    def render() -> tuple[str, str, bool]:
        v = view(wm, key, label)
        html = wm.templates.get_template("view_body.html").render(
            view=v, link_for=link_for, session=session if links else None, path=page_path(key), in_label=label)
        return html, v.title, bool(v.charts)

    return wm.state.get(_body_key(key, label, links), render)


async def view_page(wm: App, request: Request, session: Session, key: str, in_label: str | None) -> Response:
    """A view's page: the cached body wrapped in this session's page (nav, sign-out form). A current cached body is
    served on the event loop; anything else (computing, waiting for a load) runs in a worker thread."""
    from markupsafe import Markup
    from starlette.concurrency import run_in_threadpool

    label = _in_label(in_label, wm.state.ws)
    cached = wm.state.peek(_body_key(key, label, session.role in READ))
    body, title, charts = cached if cached is not None else await run_in_threadpool(
        _view_body, wm, key, label, session)
    return wm.page(request, "view.html", body=Markup(body), title=title, charts=charts,  # noqa: S704 - rendered above
                   nav=nav(session))


def _view_json(wm: App, key: str, label: str | None) -> bytes:
    def encode() -> bytes:
        return json.dumps(_jsonable(view(wm, key, label).as_json()), separators=(",", ":"), allow_nan=False,
                          default=str).encode("utf-8")

    return wm.state.get(("view-json", key, label), encode)


async def view_json(wm: App, key: str, in_label: str | None) -> Response:
    """A view as JSON, serialised once per data version and period (served like :func:`view_page`)."""
    from starlette.concurrency import run_in_threadpool

    label = _in_label(in_label, wm.state.ws)
    cached = wm.state.peek(("view-json", key, label))
    content = cached if cached is not None else await run_in_threadpool(_view_json, wm, key, label)
    return Response(content, media_type="application/json")


def _attribution_by_campaign(wm: App) -> list[dict[str, Any]]:
    def compute() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = wm.state.ws.attribution(model="all", by="campaign").to_dicts()
        return rows

    return wm.state.get(("attribution", "campaign"), compute)


def _campaigns(wm: App) -> list[dict[str, Any]]:
    def compute() -> list[dict[str, Any]]:
        t = wm.state.ws.table("campaigns")
        rows: list[dict[str, Any]] = (t.select("campaign_id", "name", "channel", "starts", "ends", "offer", "budget")
                                      .order_by("starts", "campaign_id").to_pyarrow().to_pylist())
        return rows

    return wm.state.get(("campaigns",), compute)


def _channels(wm: App) -> set[str]:
    """The channels the touchpoints name (a drill-down for any other name is refused)."""

    def compute() -> set[str]:
        t = wm.state.ws.table("touchpoints")
        return {str(c) for c in t.select("channel").distinct().to_pyarrow().column("channel").to_pylist() if c}

    return wm.state.get(("channels",), compute)


def _pivot(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Credited conversions per key and model (one row per key)."""
    out: dict[str, dict[str, Any]] = {k: {"campaign_id": k} for k in keys}
    for r in rows:
        if r["key"] in out and r["model"] in DRILL_MODELS:
            out[r["key"]][r["model"]] = r.get("conversions")
    return list(out.values())


def channel_detail(wm: App, channel: str) -> dict[str, Any]:
    campaigns = [c for c in _campaigns(wm) if c["channel"] == channel]
    credit = _attribution_by_campaign(wm)
    credited = {r["key"] for r in credit}
    if not campaigns and channel not in _channels(wm):
        raise UsageError(f"there is no channel '{channel}'.", fix="Pick a channel from the attribution page.")
    names = {c["campaign_id"]: c["name"] for c in campaigns}
    ids = [c["campaign_id"] for c in campaigns if c["campaign_id"] in credited] + \
          [c["campaign_id"] for c in campaigns if c["campaign_id"] not in credited]
    rows = _pivot(credit, ids)
    for row in rows:
        row["name"] = names.get(row["campaign_id"])
    rows.sort(key=lambda r: -(r.get("markov_3") or r.get("last_touch") or 0.0))

    def touches() -> dict[str, Any]:
        t = wm.state.ws.table("touchpoints")
        mine = t.filter(t.channel == channel)
        newest = (mine.select("touch_id", "ts", "person_id", "account_id", "campaign_id", "touch_type", "source",
                              "medium", "content", "cost")
                  .order_by(ibis.desc("ts"), "touch_id").limit(50).to_pyarrow().to_pylist())
        return {"total": int(mine.count().execute()), "touches": newest}

    found = wm.state.get(("channel-touches", channel), touches)
    return {"channel": channel, "models": list(DRILL_MODELS), "campaigns": rows, "touches": found["touches"],
            "touches_total": found["total"],
            "source": "touchpoints and stage_events; credited conversions per model (wanamaker attribute --by campaign)"}


def campaign_detail(wm: App, campaign_id: str) -> dict[str, Any]:
    campaign = next((c for c in _campaigns(wm) if c["campaign_id"] == campaign_id), None)

    def compute() -> dict[str, Any]:
        t = wm.state.ws.table("touchpoints")
        mine = t.filter(t.campaign_id == campaign_id)
        total = int(mine.count().execute())
        touches = (mine.select("touch_id", "ts", "person_id", "account_id", "channel", "touch_type", "source",
                               "medium", "content", "cost")
                   .order_by(ibis.desc("ts"), "touch_id").limit(TOUCH_LIMIT).to_pyarrow().to_pylist())
        return {"total": total, "touches": touches}

    found = wm.state.get(("touches", campaign_id), compute)
    if campaign is None and not found["total"]:
        raise UsageError(f"there is no campaign '{campaign_id}'.", fix="Pick a campaign from its channel's page.")
    credit = [r for r in _attribution_by_campaign(wm) if r["key"] == campaign_id and r["model"] in DRILL_MODELS]
    return {"campaign": campaign, "credit": credit, "touches_total": found["total"],
            "touches": found["touches"], "shown": len(found["touches"])}


def goal_detail(wm: App, goal_id: str) -> dict[str, Any]:
    goals: list[dict[str, Any]] = wm.state.get(("goals",), lambda: wm.state.ws.goals().as_json())
    goal = next((g for g in goals if g["id"] == goal_id), None)
    if goal is None:
        raise UsageError(f"there is no goal '{goal_id}'.", fix="Pick a goal from the goals page.")
    children = [g for g in goals if g.get("parent") == goal_id]
    parent = next((g for g in goals if g["id"] == goal.get("parent")), None)
    return {"goal": goal, "children": children, "parent": parent}


def link_for(session: Session | None, view_key: str, table_key: str, column: str, row: dict[str, Any]) -> str | None:
    """Where a table cell drills down to (channel -> campaigns -> touches, goal -> child goals), when the session's
    role may follow it."""
    if session is None or session.role not in READ:
        return None
    value = row.get(column)
    if value is None:
        return None
    text = quote(str(value), safe="")
    if column == "channel" or (view_key == "attribution" and column == "key" and str(value) != "(baseline)"):
        return f"/attribution/channel/{text}"
    if column == "campaign_id":
        return f"/attribution/campaign/{text}"
    if table_key == "goals" and column == "name" and row.get("id"):
        return f"/goals/{quote(str(row['id']), safe='')}"
    return None


def register(api: FastAPI, wm: App) -> None:
    from wanamaker.web.app import POLICY, need

    def add_view(key: str) -> None:
        roles = roles_of(key)
        path = page_path(key)

        async def page(request: Request, in_label: str | None = Query(None, alias="in", max_length=40),  # noqa: B008
                       session: Session = Depends(need(roles))) -> Response:  # noqa: B008
            return await view_page(wm, request, session, key, in_label)

        async def data(in_label: str | None = Query(None, alias="in", max_length=40),  # noqa: B008
                       session: Session = Depends(need(roles, api=True))) -> Response:  # noqa: B008
            return await view_json(wm, key, in_label)

        page.__name__ = f"page_{key}"
        data.__name__ = f"api_{key}"
        if key != "scorecard":
            api.get(path, response_class=HTMLResponse, include_in_schema=False, name=f"page_{key}")(page)
            POLICY[("GET", path)] = roles
        api.get(f"/api/{key}", name=f"api_{key}", summary=f"The {key} view as JSON",
                responses={401: {"description": "not signed in"}, 403: {"description": "role not allowed"}})(data)
        POLICY[("GET", f"/api/{key}")] = roles

    for key in view_keys():
        add_view(key)

    scorecard_roles = roles_of("scorecard")

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request, in_label: str | None = Query(None, alias="in", max_length=40),  # noqa: B008
                   session: Session = Depends(need(("admin", "exec", "marketing", "sales")))) -> Response:  # noqa: B008
        if session.role not in scorecard_roles:  # sales' home is the leads awaiting a decision
            return RedirectResponse("/leads", status_code=303)
        return await view_page(wm, request, session, "scorecard", in_label)

    POLICY[("GET", "/")] = ("admin", "exec", "marketing", "sales")

    def drill(path: str, name: str, fn: Callable[[App, str], dict[str, Any]], template: str,
              title: Callable[[dict[str, Any]], str]) -> None:
        def detail(value: str) -> dict[str, Any]:
            return wm.state.get(("drill", name, value), lambda: fn(wm, value))

        def body(value: str) -> tuple[str, str]:
            def render() -> tuple[str, str]:
                found = detail(value)
                return wm.templates.get_template(template).render(detail=found), title(found)

            return wm.state.get(("drill-html", name, value), render)

        async def page(value: str, request: Request, session: Session = Depends(need(READ))) -> Response:  # noqa: B008
            from markupsafe import Markup
            from starlette.concurrency import run_in_threadpool

            cached = wm.state.peek(("drill-html", name, value))
            html, heading = cached if cached is not None else await run_in_threadpool(body, value)
            return wm.page(request, "view.html", body=Markup(html), title=heading, charts=False,  # noqa: S704
                           nav=nav(session))

        def data(value: str, session: Session = Depends(need(READ, api=True))) -> JSONResponse:  # noqa: B008
            return JSONResponse(_jsonable(detail(value)))

        api.get(path.replace("{v}", "{value}"), response_class=HTMLResponse, include_in_schema=False,
                name=f"page_{name}")(page)
        api.get("/api" + path.replace("{v}", "{value}"), name=f"api_{name}", summary=f"Drill-down: {name}",
                responses={401: {"description": "not signed in"}, 403: {"description": "role not allowed"},
                           400: {"description": "unknown key"}})(data)
        POLICY[("GET", path.replace("{v}", "{value}"))] = READ
        POLICY[("GET", "/api" + path.replace("{v}", "{value}"))] = READ

    drill("/attribution/channel/{v}", "channel", channel_detail, "channel_body.html",
          lambda d: f"Channel {d['channel']}")
    drill("/attribution/campaign/{v}", "campaign", campaign_detail, "campaign_body.html",
          lambda d: str(d["campaign"]["name"]) if d.get("campaign") else "Campaign")
    drill("/goals/{v}", "goal", goal_detail, "goal_body.html", lambda d: str(d["goal"]["name"]))

    @api.get("/vendor/vega.js", include_in_schema=False)
    def vega_js() -> Response:
        return Response(vega_bundle(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


def _jsonable(value: Any) -> Any:
    from datetime import date, datetime

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def warm_keys(wm: App) -> list[tuple[tuple[Any, ...], Callable[[], Any]]]:
    from wanamaker.report.views import build_view

    return [(("view", k, None), (lambda k=k: build_view(wm.state.ws, k, in_label=None))) for k in view_keys()]  # type: ignore[misc]
