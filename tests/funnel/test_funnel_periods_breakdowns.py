"""Periods in the workspace time zone, fiscal quarters, and breakdown keys (known answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from wanamaker.funnel import funnel
from wanamaker.metrics.periods import periods_between

STAGES = ["lead", "mql", "won"]


@pytest.mark.parametrize(
    ("kind", "start", "ts", "label"),
    [
        ("quarter", "01-01", datetime(2026, 3, 31, 12), "FY2026-Q1"),
        ("quarter", "04-01", datetime(2026, 3, 31, 12), "FY2026-Q4"),   # FY ends 2026-03-31
        ("quarter", "04-01", datetime(2026, 4, 1), "FY2027-Q1"),
        ("quarter", "02-15", datetime(2026, 2, 14), "FY2026-Q4"),       # FY 2025-02-15 .. 2026-02-14
        ("year", "07-01", datetime(2025, 7, 1), "FY2026"),
        ("month", "04-01", datetime(2026, 4, 30, 23, 59), "2026-04"),   # months are calendar months
    ],
)
def test_fiscal_labels(kind: Any, start: str, ts: datetime, label: str) -> None:
    assert periods_between(kind, ts, ts, "UTC", start)[0].label == label


def test_boundaries_follow_daylight_saving() -> None:
    # Berlin: March starts at 23:00 UTC the day before (CET), April at 22:00 UTC (CEST)
    months = periods_between("month", datetime(2026, 3, 15), datetime(2026, 4, 15), "Europe/Berlin")
    assert [(m.label, m.start, m.end) for m in months] == [
        ("2026-03", datetime(2026, 2, 28, 23), datetime(2026, 3, 31, 22)),
        ("2026-04", datetime(2026, 3, 31, 22), datetime(2026, 4, 30, 22)),
    ]


def test_periods_cut_in_workspace_time_zone(workspace: Any, load: Any, ev: Any, reconfigure: Any) -> None:
    ws = reconfigure(workspace, timezone="Europe/Berlin", fiscal_year_start="04-01")
    load(ws, {"stage_events": ev(
        # z1: 22:30 UTC on 31 March is 00:30 on 1 April in Berlin -> an April (FY2027-Q1) lead
        ("z1", "lead", "2026-03-31T22:30:00Z"), ("z1", "mql", "2026-04-02T10:00:00Z"),
        # z2: 21:30 UTC is 23:30 on 31 March in Berlin -> a March (FY2026-Q4) lead
        ("z2", "lead", "2026-03-31T21:30:00Z"),
        # z3: a naive time is read in the workspace time zone: 00:30 Berlin on 1 April -> April
        ("z3", "lead", "2026-04-01 00:30:00"),
    )})
    rows = funnel(ws, stages=STAGES, period="month").rows()
    leads = {r["period"]: r["entered"] for r in rows if r["stage"] == "lead"}
    assert leads == {"2026-03": 1, "2026-04": 2}
    quarters = {r["period"]: r["entered"] for r in funnel(ws, stages=STAGES, period="quarter").rows()
                if r["stage"] == "lead"}
    assert quarters == {"FY2026-Q4": 1, "FY2027-Q1": 2}
    ws.close()


def test_breakdowns_join_accounts_and_first_touch(workspace: Any, load: Any, ev: Any) -> None:
    load(workspace, {
        "accounts": [{"account_id": "A", "segment": "mid", "region": "emea"}],
        "people": [
            {"person_id": "a", "account_id": "A", "segment": "smb", "owner_id": "r1"},  # own segment wins
            {"person_id": "b", "account_id": "A", "owner_id": "r2"},                    # segment from account
            {"person_id": "c"},                                                          # no account
        ],
        "touchpoints": [
            # a's first touch is t1 (email); a tie in time with t0 would be broken by touch_id
            {"touch_id": "t1", "person_id": "a", "ts": "2026-01-01T00:00:00", "channel": "email",
             "campaign_id": "spring"},
            {"touch_id": "t2", "person_id": "a", "ts": "2026-01-02T00:00:00", "channel": "paid_search"},
            {"touch_id": "t4", "person_id": "b", "ts": "2026-01-03T00:00:00", "channel": "paid_search"},
            {"touch_id": "t3", "person_id": "b", "ts": "2026-01-03T00:00:00", "channel": "webinar"},
        ],
        "stage_events": ev(
            ("a", "lead", "2026-01-05T00:00:00"), ("a", "won", "2026-02-05T00:00:00"),
            ("b", "lead", "2026-01-06T00:00:00"),
            ("c", "lead", "2026-02-01T00:00:00"),
        ),
    })

    def keys(by: str) -> dict[str, tuple[int, int]]:
        rows = funnel(workspace, stages=STAGES, by=by).rows()
        return {r["key"]: (r["entered"], r["converted_to_next"]) for r in rows if r["stage"] == "lead"}

    # the lead row's converted_to_next counts mql, which a's jump to won passes
    assert keys("segment") == {"all": (3, 1), "smb": (1, 1), "mid": (1, 0), "(none)": (1, 0)}
    assert keys("region") == {"all": (3, 1), "emea": (2, 1), "(none)": (1, 0)}
    # b's two touches tie at the same time: t3 (webinar) sorts before t4
    assert keys("channel") == {"all": (3, 1), "email": (1, 1), "webinar": (1, 0), "(none)": (1, 0)}
    assert keys("campaign") == {"all": (3, 1), "spring": (1, 1), "(none)": (2, 0)}
    assert keys("owner") == {"all": (3, 1), "r1": (1, 1), "r2": (1, 0), "(none)": (1, 0)}
    assert keys("cohort_month") == {"all": (3, 1), "2026-01": (2, 1), "2026-02": (1, 0)}


def test_account_level(workspace: Any, load: Any) -> None:
    load(workspace, {
        "accounts": [{"account_id": "A", "region": "emea"}, {"account_id": "B"}],
        "people": [{"person_id": "a1", "account_id": "A"}],
        "touchpoints": [{"touch_id": "t1", "person_id": "a1", "ts": "2026-01-01T00:00:00", "channel": "webinar"}],
        "stage_events": [
            # account A: opportunity then won; its person a1's opportunity event (Jan 5) is earlier than the
            # account's own (Jan 10), so A enters at Jan 5 and wins 27 days later; account B: opportunity only
            {"subject_type": "account", "subject_id": "A", "stage": "opportunity", "ts": "2026-01-10T00:00:00"},
            {"subject_type": "account", "subject_id": "A", "stage": "won", "ts": "2026-02-01T00:00:00"},
            {"subject_type": "account", "subject_id": "B", "stage": "opportunity", "ts": "2026-01-12T00:00:00"},
            {"subject_type": "person", "subject_id": "a1", "stage": "opportunity", "ts": "2026-01-05T00:00:00"},
        ],
    })
    rows = funnel(workspace, level="account", stages=["opportunity", "won"], by="region").rows()
    got = {(r["key"], r["stage"]): (r["entered"], r["converted_to_next"], r["median_days_to_next"]) for r in rows}
    assert got[("all", "opportunity")] == (2, 1, 27.0)
    assert got[("emea", "opportunity")] == (1, 1, 27.0)
    assert got[("(none)", "opportunity")] == (1, 0, None)
    # channel of an account = first touch of any of its people
    by_channel = {r["key"] for r in funnel(workspace, level="account", stages=["opportunity", "won"],
                                           by="channel").rows()}
    assert by_channel == {"all", "webinar", "(none)"}


def test_visitor_from_first_touch(workspace: Any, load: Any, ev: Any) -> None:
    load(workspace, {
        "people": [{"person_id": p} for p in "abcd"],
        "touchpoints": [
            {"touch_id": "t1", "person_id": "a", "ts": "2026-01-01T00:00:00", "channel": "email"},
            {"touch_id": "t2", "person_id": "b", "ts": "2026-01-03T00:00:00", "channel": "email"},
            {"touch_id": "t3", "person_id": "c", "ts": "2026-01-01T00:00:00", "channel": "email"},
            {"touch_id": "t4", "person_id": "d", "ts": "2026-01-02T00:00:00", "channel": "email"},
        ],
        "stage_events": ev(
            ("a", "lead", "2026-01-05T00:00:00"),
            ("b", "lead", "2026-01-06T00:00:00"),
            # c has a visitor event before its first touch: the earlier one counts
            ("c", "visitor", "2025-12-20T00:00:00"), ("c", "lead", "2026-01-10T00:00:00"),
        ),
    })
    rows = funnel(workspace, stages=["visitor", "lead", "won"]).rows()
    got = {r["stage"]: (r["entered"], r["converted_to_next"], r["median_days_to_next"]) for r in rows}
    # visitors a, b, c, d (d only touched); a, b, c became leads after 4, 3 and 21 days -> median 4
    assert got["visitor"] == (4, 3, 4.0)
    assert got["lead"] == (3, 0, None)
