"""LTV on every engine (wanamaker.economics.ltv): the RFM summary, the historical cohort curves by segment,
channel and campaign, and the BG/NBD and sBG fits give the same known answers on DuckDB, PostgreSQL and Spark.

The world: account A (enterprise; its own event touch comes before its person p1's email touch), account B (smb;
first touch paid search through p2; a GBP renewal with no rate and a contraction), person p3 (smb, no account;
first touch organic through a linked anonymous id), person p4 (no segment, no touch) and forty generated
people (segment ``bulk``, channel ``web``) so that BG/NBD has something to fit.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

import wanamaker
from wanamaker.economics.ltv import CohortRow, PeriodRow, ltv, rfm_summary

pytestmark = pytest.mark.engines

END = date(2024, 3, 31)
HEAD = "revenue_id,account_id,person_id,ts,amount,currency,kind\n"
HAND = (
    "1,A,,2024-01-05 10:00:00,100,USD,new\n"
    "2,A,p1,2024-01-05 15:00:00,50,USD,purchase\n"      # same day as 1: one purchase day of 150
    "3,A,,2024-02-10 10:00:00,200,USD,renewal\n"
    "4,A,,2024-03-15 10:00:00,100,EUR,expansion\n"      # EUR at 1.25 that day: 125
    "5,B,,2024-01-20 10:00:00,80,USD,new\n"
    "6,B,,2024-03-20 10:00:00,100,GBP,renewal\n"        # no GBP rate: counts as a purchase, no money
    "7,B,,2024-03-25 10:00:00,-50,USD,contraction\n"    # not a purchase; negative revenue in the curves
    "8,,p3,2024-02-01 10:00:00,60,USD,purchase\n"
    "9,,p3,2024-02-15 10:00:00,40,USD,purchase\n"
    "10,,p3,2024-03-01 10:00:00,40,USD,purchase\n"
    "11,,p4,2024-03-05 10:00:00,30,USD,purchase\n"
    "12,,p3,2024-04-02 10:00:00,99,USD,purchase\n"      # after the calibration end used for the fits
)
FX = "date,currency,rate_to_workspace_currency\n2024-03-15,EUR,1.25\n2024-03-20,EUR,1.2\n"
ACCOUNTS = "account_id,name,segment\nA,Acme,enterprise\nB,Bolt,smb\n"
TOUCHES = (
    "touch_id,person_id,anonymous_id,account_id,ts,channel,campaign_id\n"
    "t1,p1,,A,2024-01-02 09:00:00,email,c_mail\n"
    "t2,,,A,2024-01-01 09:00:00,event,c_evt\n"           # the account's own touch, first
    "t3,p2,,,2024-01-03 09:00:00,paid_search,c_ps\n"
    "t4,p2,,,2024-01-04 09:00:00,email,c_mail\n"
    "t5,,anon3,,2024-01-20 09:00:00,organic,\n"          # p3's, through identities
)
IDENTITIES = "anonymous_id,person_id,linked_at\nanon3,p3,2024-01-21 00:00:00\n"


def _bulk() -> dict[str, list[tuple[int, int]]]:
    """Forty people's purchase days (days after 2024-01-01; from 2023) and amounts, seeded: some stop buying."""
    rng, money = random.Random(14), random.Random(7)
    out: dict[str, list[tuple[int, int]]] = {}
    last = (END - date(2024, 1, 1)).days
    for i in range(40):
        day, scale, base = rng.randrange(-400, -200), rng.choice([1, 3]), money.randrange(10, 200)
        buys = [(day, 20 + i)]
        while rng.random() < 0.85:
            day += rng.randrange(5, 40) * scale
            if day > last:
                break
            buys.append((day, base + money.randrange(0, base)))
        out[f"q{i:02d}"] = buys
    return out


BULK = _bulk()


def _write(ws: wanamaker.Workspace, folder: Path, table: str, text: str) -> None:
    path = folder / f"{table}.csv"
    path.write_text(text)
    result = ws.load([path], table=table)
    assert result.tables[0].files[0].loaded == text.count("\n") - 1, result.tables[0].quarantine_reasons


def _load(ws: wanamaker.Workspace, folder: Path) -> None:
    people = ["person_id,account_id,segment", "p1,A,", "p2,B,", "p3,,smb", "p4,,"]
    people += [f"{q},,bulk" for q in BULK]
    touches = TOUCHES + "".join(f"w{q},{q},,,2023-12-01 00:00:00,web,c_web\n" for q in BULK)
    revenue = HEAD + HAND
    n = 100
    for q, buys in BULK.items():
        for day, amount in buys:
            n += 1
            ts = date(2024, 1, 1) + timedelta(days=day)
            revenue += f"{n},,{q},{ts.isoformat()} 12:00:00,{amount},USD,purchase\n"
    for table, text in (("accounts", ACCOUNTS), ("people", "\n".join(people) + "\n"), ("touchpoints", touches),
                        ("identities", IDENTITIES), ("fx_rates", FX), ("revenue", revenue)):
        _write(ws, folder, table, text)


@pytest.fixture
def world(engine_workspace: wanamaker.Workspace, tmp_path: Path) -> wanamaker.Workspace:
    _load(engine_workspace, tmp_path)
    return engine_workspace


def test_rfm_summary(world: wanamaker.Workspace) -> None:
    s = rfm_summary(world, calibration_end=END, unit="day")
    got = {c: (s.frequency[i], s.recency[i], s.T[i], s.monetary_value[i]) for i, c in enumerate(s.customer_id)}
    end = (END - date(2024, 1, 1)).days
    want = {
        "A": (2.0, 70.0, 86.0, 162.5),   # days 01-05 (150), 02-10 (200), 03-15 (125 = 100 EUR at 1.25)
        "B": (1.0, 60.0, 71.0, 0.0),     # the GBP renewal counts as a day, with no money
        "p3": (2.0, 29.0, 59.0, 40.0),   # the April purchase is after the end
        "p4": (0.0, 0.0, 26.0, 0.0),
    }
    for q, buys in BULK.items():
        days = sorted({d for d, _ in buys})
        repeat = [a for d, a in buys if d > days[0]]
        want[q] = (float(len(days) - 1), float(days[-1] - days[0]), float(end - days[0]),
                   sum(repeat) / len(repeat) if repeat else 0.0)
    assert s.customer_id == sorted(want)
    assert got == want
    assert s.unconverted == 1
    weeks = rfm_summary(world, calibration_end=END, unit="week")
    assert weeks.recency[0] == 10.0 and weeks.T[0] == 86 / 7


def _curves(world: wanamaker.Workspace, by: str) -> dict[tuple[str | None, str], list[tuple[int, int, float]]]:
    res = ltv(world, model="historical", by=by, calibration_end=END)
    out: dict[tuple[str | None, str], list[tuple[int, int, float]]] = {}
    for r in res.rows:
        assert isinstance(r, CohortRow)
        out.setdefault((r.key, r.cohort), []).append((r.months_since, r.customers, r.revenue_per_customer))
    return out


def test_historical_by_segment(world: wanamaker.Workspace) -> None:
    curves = _curves(world, "segment")
    assert curves[("enterprise", "2024-01")] == [(0, 1, 150.0), (1, 1, 200.0), (2, 1, 125.0)]
    assert curves[("smb", "2024-01")] == [(0, 1, 80.0), (1, 1, 0.0), (2, 1, -50.0)]
    assert curves[("smb", "2024-02")] == [(0, 1, 100.0), (1, 1, 40.0)]
    assert curves[("(none)", "2024-03")] == [(0, 1, 30.0)]
    assert {k for k, _ in curves} == {"enterprise", "smb", "(none)", "bulk"}
    bulk = sum(c[0][1] for (k, _), c in curves.items() if k == "bulk")
    assert bulk == 40


def test_historical_by_channel_and_campaign(world: wanamaker.Workspace) -> None:
    curves = _curves(world, "channel")
    assert curves[("event", "2024-01")] == [(0, 1, 150.0), (1, 1, 200.0), (2, 1, 125.0)]  # A's own touch
    assert curves[("paid_search", "2024-01")] == [(0, 1, 80.0), (1, 1, 0.0), (2, 1, -50.0)]
    assert curves[("organic", "2024-02")] == [(0, 1, 100.0), (1, 1, 40.0)]  # stitched anonymous touch
    assert curves[("(none)", "2024-03")] == [(0, 1, 30.0)]  # p4 has no touch
    assert {k for k, _ in curves} == {"event", "paid_search", "organic", "(none)", "web"}
    campaigns = _curves(world, "campaign")
    assert {k for k, _ in campaigns} == {"c_evt", "c_ps", "(none)", "c_web"}
    assert campaigns[("(none)", "2024-02")] == [(0, 1, 100.0), (1, 1, 40.0)]  # p3's touch has no campaign


# DuckDB's fits of this world; the other engines must give the same to 1e-6 (relative)
BGNBD = {"r": 0.7544936629569999, "alpha": 4.793058994257125, "a": 0.9538568697150832, "b": 3.0739042487655035}
BGNBD_LL = -500.71198460637584
SBG = {"alpha": 0.5673923202087974, "beta": 1.3231347598285492}


def test_bgnbd_fit(world: wanamaker.Workspace) -> None:
    res = ltv(world, model="bgnbd", calibration_end=END, unit="week")
    assert res.customers == 44
    assert res.params == pytest.approx(BGNBD, rel=1e-6)
    assert res.loglik == pytest.approx(BGNBD_LL, rel=1e-6)
    assert any("no fx_rates rate" in n for n in res.notes)


def test_sbg_fit(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    """Subscription rows of two monthly cohorts; survivors are counted to each customer's last month."""
    alive = {1: [20, 14, 11, 9, 8, 7], 2: [10, 7, 6, 5, 5]}  # survivors per month, January and February cohorts
    lines = ["revenue_id,account_id,ts,amount,currency,kind"]
    n = 0
    for m0, counts in alive.items():
        spans = [k for k in range(1, len(counts)) for _ in range(counts[k - 1] - counts[k])]
        spans += [len(counts)] * counts[-1]
        for c, span in enumerate(spans):
            for k in range(span):
                n += 1
                lines.append(f"{n},{m0}-{c},2024-{m0 + k:02d}-10,10,USD,{'renewal' if k else 'new'}")
    ws = make_workspace()
    _write(ws, tmp_path, "revenue", "\n".join(lines) + "\n")
    res = ltv(ws, model="sbg", calibration_end=date(2024, 6, 30))
    rows = [r for r in res.rows if isinstance(r, PeriodRow)]
    assert [r.alive for r in rows if r.cohort == "2024-01"] == alive[1]
    assert [r.alive for r in rows if r.cohort == "2024-02"] == alive[2]
    assert res.customers == 30
    assert res.params == pytest.approx(SBG, rel=1e-6)


def test_local_days_in_the_workspace_time_zone(make_workspace: Callable[[], wanamaker.Workspace],
                                               tmp_path: Path) -> None:
    """23:30 UTC on 30 March 2024 is 31 March in Berlin (after the switch to summer time)."""
    ws = make_workspace()
    path = ws.root / "wanamaker.yml"
    text, n = re.subn(r"^timezone: .*$", "timezone: Europe/Berlin", path.read_text(), flags=re.M)
    assert n == 1
    path.write_text(text)
    ws.close()
    ws = make_workspace()
    _write(ws, tmp_path, "revenue", HEAD + "1,,p1,2024-01-31 23:30:00+00:00,10,USD,new\n"
           "2,,p1,2024-03-30 23:30:00+00:00,10,USD,renewal\n3,,p1,2024-03-31 09:00:00,10,USD,renewal\n")
    s = rfm_summary(ws, calibration_end=date(2024, 3, 31), unit="day")
    assert (s.frequency.tolist(), s.recency.tolist(), s.T.tolist()) == ([1.0], [59.0], [59.0])
    assert s.monetary_value.tolist() == [20.0]
    curves = _curves(ws, "segment")
    assert curves[("(none)", "2024-02")] == [(0, 1, 10.0), (1, 1, 20.0)]  # 31 Jan 23:30 UTC is February
