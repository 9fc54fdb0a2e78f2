"""The web app in headless Chromium (Debian's chromium driven by Playwright): sign in, read the scorecard with
its charts drawn, drill down from a channel to its campaigns to their touches, accept and reject a lead, send
the survey, and see the numbers change. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import ARTIFACTS, CHROMIUM_ARGS, PASSWORD, Live

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (pip install '.[test]')")


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _sign_in(browser: Any, live: Live, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(live.url + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_exec_reads_the_scorecard_and_drills_down(browser: Any, live: Live) -> None:
    page = _sign_in(browser, live, "exec1")
    assert page.url == live.url + "/"
    assert page.locator("h1").first.inner_text() == "Scorecard"
    assert page.locator("table[data-table]").count() >= 3
    _shot(page, "scorecard")
    page.click("nav >> text=Goals")
    page.wait_for_selector("[data-chart-ready]", timeout=30_000)
    charts = page.locator("[data-chart-spec]")
    assert charts.count() >= 1
    assert page.locator("[data-chart-ready=true]").count() == charts.count()
    assert page.locator("[data-chart-ready=true] svg").count() == charts.count()
    _shot(page, "goals")
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
    # attribution -> a channel -> one of its campaigns -> its touches
    page.click("nav >> text=Attribution")
    page.wait_for_load_state("networkidle")
    link = page.locator("a[href='/attribution/channel/email']").first
    channel = link.inner_text()
    link.click()
    page.wait_for_load_state("networkidle")
    assert "Channel:" in page.locator("h1").inner_text()
    _shot(page, "channel")
    page.locator("a[href^='/attribution/campaign/']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table[data-table=touches] tr[data-touch]").count() > 0
    assert channel.lower() in page.locator(".crumbs").inner_text().lower() or channel
    _shot(page, "campaign-touches")
    # a goal and the goals that serve it
    page.goto(live.url + "/goals")
    page.locator("a[href^='/goals/']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table[data-table=children]").count() == 1
    page.context.close()


def _accepted(page: Any, live: Live) -> tuple[int, int, int]:
    data = page.request.get(live.url + "/api/alignment").json()
    row = next(r for t in data["tables"] if t["key"] == "acceptance" for r in t["rows"] if r["period"] == "all")
    survey = next((t for t in data["tables"] if t["key"] == "survey"), None)
    responses = sum(r.get("responses") or 0 for r in survey["rows"]) if survey else 0
    return int(row["accepted"]), int(row["rejected"]), int(responses)


def test_sales_accepts_rejects_and_rates_marketing(browser: Any, live: Live) -> None:
    page = _sign_in(browser, live, "sales1")
    assert page.url.endswith("/leads")
    before = _accepted(page, live)
    rows = page.locator("tr[data-lead]")
    assert rows.count() >= 2
    _shot(page, "leads")
    first = rows.nth(0).get_attribute("data-lead")
    rows.nth(0).locator("button[value=accept]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Recorded"
    page.goto(live.url + "/leads")
    assert page.locator(f"tr[data-lead='{first}']").count() == 0
    row = page.locator("tr[data-lead]").nth(0)
    row.locator("select[name=reason]").select_option("not_icp")
    row.locator("button[value=reject]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Recorded"
    # the survey
    page.goto(live.url + "/survey")
    for fieldset in page.locator("fieldset").all():
        fieldset.locator("input[value='4']").check()
    page.fill("textarea[name=comment]", "The webinar leads were ready to talk.")
    page.click("form.survey button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Recorded"
    _shot(page, "survey-recorded")
    accepted, rejected, responses = _accepted(page, live)
    assert (accepted, rejected) == (before[0] + 1, before[1] + 1)
    assert responses > before[2]
    page.goto(live.url + "/alignment")
    assert page.locator("table[data-table=acceptance]").count() == 1
    _shot(page, "alignment-after")
    page.context.close()
