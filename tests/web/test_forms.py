"""Forms are loads: each submission gets its own ``_loads`` row, passes the table's contract, is kept as a file,
is counted once even when sent twice, and moves the numbers the views show."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.web.conftest import Web, csrf_of

pytest.importorskip("fastapi")


def _loads(web: Web) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = web.ws.table("_loads").to_pyarrow().to_pylist()
    return rows


def _acceptance(client: Any) -> dict[str, Any]:
    data = client.get("/api/alignment").json()
    table = next(t for t in data["tables"] if t["key"] == "acceptance")
    return next(r for r in table["rows"] if r.get("period") == "all")


def _lead_forms(html: str) -> list[dict[str, str]]:
    forms = []
    for form in re.findall(r'<form method="post" action="/leads/decision".*?</form>', html, flags=re.S):
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        forms.append(fields)
    return forms


def test_accept_and_reject_a_lead(web: Web, clients: dict[str, Any]) -> None:
    sales = clients["sales"]
    before = _acceptance(clients["admin"])
    page = sales.get("/leads")
    assert page.status_code == 200
    forms = _lead_forms(page.text)
    assert len(forms) >= 4, "the demo has leads awaiting a decision"
    accept, reject = forms[0], forms[2]
    assert accept["person_id"] != reject["person_id"]
    n_loads = len(_loads(web))
    r = sales.post("/leads/decision", data={**accept, "decision": "accept"})
    assert r.status_code == 200 and "Recorded" in r.text, r.text[:500]
    r = sales.post("/leads/decision", data={**reject, "decision": "reject", "reason": "no_budget"})
    assert r.status_code == 200 and "Recorded" in r.text, r.text[:500]
    loads = _loads(web)
    assert len(loads) == n_loads + 2
    newest = sorted(loads, key=lambda x: x["started_at"])[-2:]
    assert all("submissions/lead_decision/" in json.loads(x["files"])[0] for x in newest)
    ev = web.ws.table("stage_events")
    got = ev.filter(ev.subject_id.isin([accept["person_id"], reject["person_id"]]) & ev.stage.isin(["sal", "rejected"]))
    rows = {r["subject_id"]: r for r in got.to_pyarrow().to_pylist()}
    assert rows[accept["person_id"]]["stage"] == "sal"
    assert rows[reject["person_id"]]["stage"] == "rejected" and rows[reject["person_id"]]["reason"] == "no_budget"
    after = _acceptance(clients["admin"])
    assert after["accepted"] == before["accepted"] + 1
    assert after["rejected"] == before["rejected"] + 1
    # sent again (a double click): recorded once
    r = sales.post("/leads/decision", data={**accept, "decision": "accept"})
    assert "Already recorded" in r.text
    assert len(_loads(web)) == n_loads + 2


def test_a_bad_reason_is_explained_and_nothing_is_written(web: Web, clients: dict[str, Any]) -> None:
    sales = clients["sales"]
    form = _lead_forms(sales.get("/leads").text)[4]
    n = len(_loads(web))
    r = sales.post("/leads/decision", data={**form, "decision": "reject", "reason": "because"})
    assert r.status_code == 400 and "not a reason code" in r.text
    r = sales.post("/leads/decision", data={**form, "decision": "reject"})
    assert r.status_code == 400 and "needs a reason" in r.text
    assert len(_loads(web)) == n


def test_survey_lands_as_rows(web: Web, clients: dict[str, Any]) -> None:
    sales = clients["sales"]
    page = sales.get("/survey")
    questions = re.findall(r'name="(score_\d+)"', page.text)
    sid = re.search(r'name="submission_id" value="([0-9a-f]{32})"', page.text)
    assert questions and sid
    t = web.ws.table("survey_responses")
    before = t.count().execute()
    data = {q: "4" for q in set(questions)} | {"comment": "Webinar leads <b>convert</b>.", "csrf_token": csrf_of(page.text),
                                               "submission_id": sid.group(1)}
    r = sales.post("/survey", data=data)
    assert r.status_code == 200 and "Recorded" in r.text, r.text[:500]
    assert t.count().execute() == before + len(set(questions))
    mine = t.filter(t.response_id.startswith(sid.group(1))).to_pyarrow().to_pylist()
    assert {m["score"] for m in mine} == {4} and mine[0]["respondent_id"] == "sales1"
    assert mine[0]["comment"] == "Webinar leads <b>convert</b>."


def test_marketer_logs_hours_and_an_approval(web: Web, clients: dict[str, Any]) -> None:
    m = clients["marketing"]
    page = m.get("/work/log")
    work_id = re.search(r'<option value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    ids = re.findall(r'name="submission_id" value="([0-9a-f]{32})"', page.text)
    token = csrf_of(page.text)
    w = web.ws.table("work_items")
    hours = w.filter(w.work_id == work_id).hours.sum().execute() or 0.0
    r = m.post("/work/hours", data={"work_id": work_id, "hours": "2.5", "submission_id": ids[0], "csrf_token": token})
    assert r.status_code == 200 and "Recorded" in r.text, r.text[:500]
    assert w.filter(w.work_id == work_id).count().execute() == 1  # an upsert, not a second row
    assert w.filter(w.work_id == work_id).hours.sum().execute() == pytest.approx(hours + 2.5)
    a = web.ws.table("approvals")
    rounds = a.filter(a.work_id == work_id).count().execute()
    r = m.post("/work/approval", data={"work_id": work_id, "decision": "approved", "submitted_on": "2026-01-05",
                                       "submission_id": ids[1], "csrf_token": token})
    assert r.status_code == 200 and "Recorded" in r.text, r.text[:500]
    assert a.filter(a.work_id == work_id).count().execute() == rounds + 1
    r = m.post("/work/hours", data={"work_id": work_id, "hours": "-3", "submission_id": "1" * 32, "csrf_token": token})
    assert r.status_code == 400 and "must be from" in r.text
