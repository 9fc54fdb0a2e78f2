"""The pipeline gives the same known answers on DuckDB, PostgreSQL and Spark (docs/pipeline.md).

The world (workspace currency USD; EUR rates on 2025-01-15 = 1.1, 2025-03-16 = 1.2, 2025-04-10 = 1.0 only):

    O1 account A1 (ent, emea), person P1   created 01-10  won  02-09  1000 USD  cycle 30 d
    O2 account A2 (smb, na),   person P2   created 01-15  won  03-16  2000 EUR  -> pipeline 2200, won 2400; 60 d
    O3 account A1, no person               created 02-01  lost 02-20   500 USD
    O4 no account, person P3 (segment mid) created 04-02  open         300 EUR  no rate: left out of the pipeline
    O5 account A2, no person               created 04-10  won  05-10   100 EUR  pipeline 100; no rate at close; 30 d

First touches: P1 paid_search (campaign C1), P2 webinar (C2), P3 none; O3 and O5 take their account's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wanamaker
from support.data import write_csv
from wanamaker.economics.pipeline import pipeline

pytestmark = pytest.mark.engines

TABLES: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"account_id": "A1", "name": "Acme", "segment": "ent", "region": "emea"},
        {"account_id": "A2", "name": "Bolt", "segment": "smb", "region": "na"},
    ],
    "people": [
        {"person_id": "P1", "account_id": "A1", "segment": ""},
        {"person_id": "P2", "account_id": "A2", "segment": ""},
        {"person_id": "P3", "account_id": "", "segment": "mid"},
    ],
    "touchpoints": [
        {"touch_id": "T1", "person_id": "P1", "ts": "2025-01-01 09:00:00", "channel": "paid_search", "campaign_id": "C1"},
        {"touch_id": "T2", "person_id": "P1", "ts": "2025-01-05 09:00:00", "channel": "email", "campaign_id": "C9"},
        {"touch_id": "T3", "person_id": "P2", "ts": "2025-01-02 09:00:00", "channel": "webinar", "campaign_id": "C2"},
    ],
    "fx_rates": [
        {"date": "2025-01-15", "currency": "EUR", "rate_to_workspace_currency": "1.1"},
        {"date": "2025-03-16", "currency": "EUR", "rate_to_workspace_currency": "1.2"},
        {"date": "2025-04-10", "currency": "EUR", "rate_to_workspace_currency": "1.0"},
    ],
    "opportunities": [
        {"opportunity_id": "O1", "account_id": "A1", "person_id": "P1", "created_at": "2025-01-10 00:00:00",
         "closed_at": "2025-02-09 00:00:00", "status": "won", "amount": "1000", "currency": "USD",
         "owner_id": "r1", "source": "web"},
        {"opportunity_id": "O2", "account_id": "A2", "person_id": "P2", "created_at": "2025-01-15 00:00:00",
         "closed_at": "2025-03-16 00:00:00", "status": "won", "amount": "2000", "currency": "EUR",
         "owner_id": "r1", "source": "web"},
        {"opportunity_id": "O3", "account_id": "A1", "person_id": "", "created_at": "2025-02-01 00:00:00",
         "closed_at": "2025-02-20 00:00:00", "status": "lost", "amount": "500", "currency": "USD",
         "owner_id": "r2", "source": "event"},
        {"opportunity_id": "O4", "account_id": "", "person_id": "P3", "created_at": "2025-04-02 00:00:00",
         "closed_at": "", "status": "open", "amount": "300", "currency": "EUR", "owner_id": "r2", "source": ""},
        {"opportunity_id": "O5", "account_id": "A2", "person_id": "", "created_at": "2025-04-10 00:00:00",
         "closed_at": "2025-05-10 00:00:00", "status": "won", "amount": "100", "currency": "EUR",
         "owner_id": "r2", "source": "web"},
    ],
}
FIELDS = ("key", "period", "created", "created_amount", "open", "won", "won_amount", "lost", "win_rate",
          "avg_won_amount", "median_cycle_days", "p90_cycle_days")


def load_world(ws: wanamaker.Workspace, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in TABLES.items():
        path = write_csv(folder / f"{name}.csv", rows)
        counts = ws.load([path], table=name).tables[0].files[0]
        assert counts.loaded == len(rows), (name, counts)


def tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(pytest.approx(r[f]) if isinstance(r[f], float) else r[f] for f in FIELDS) for r in rows]


def test_same_known_answers_on_every_engine(engine_workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    ws = engine_workspace
    load_world(ws, tmp_path / "in")

    overall = pipeline(ws)
    assert tuples(overall.as_json()) == [("all", None, 5, 3800.0, 1, 3, 3400.0, 1, 0.75, 1700.0, 30.0, 54.0)]
    assert len(overall.notes) == 2
    assert overall.notes[0].startswith("1 opportunity in a foreign currency with no fx rate for the created date")
    assert overall.notes[1].startswith("1 won opportunity in a foreign currency with no fx rate for the close date")

    seg = pipeline(ws, by="segment", min_n=3).as_json()
    assert tuples(seg[1:]) == [
        ("ent", None, 2, 1500.0, 0, 1, 1000.0, 1, 0.5, 1000.0, 30.0, 30.0),
        ("smb", None, 2, 2300.0, 0, 2, 2400.0, 0, 1.0, 2400.0, 45.0, 57.0),
        ("mid", None, 1, 0.0, 1, 0, 0.0, 0, None, None, None, None),
    ]
    assert [r.get("small", False) for r in seg] == [False, False, False, True]

    chan = pipeline(ws, by="channel").as_json()
    assert [(r["key"], r["created"], r["won"], r["lost"]) for r in chan] == [
        ("all", 5, 3, 1), ("paid_search", 2, 1, 1), ("webinar", 2, 2, 0), ("(none)", 1, 0, 0)]
    camp = pipeline(ws, by="campaign").as_json()
    assert [r["key"] for r in camp] == ["all", "C1", "C2", "(none)"]
    region = pipeline(ws, by="region").as_json()
    assert [(r["key"], r["created"]) for r in region] == [("all", 5), ("emea", 2), ("na", 2), ("(none)", 1)]

    quarters = pipeline(ws, period="quarter").as_json()
    assert tuples(quarters) == [
        ("all", "FY2025-Q1", 3, 3700.0, 0, 2, 3400.0, 1, 2 / 3, 1700.0, 45.0, 57.0),
        ("all", "FY2025-Q2", 2, 100.0, 1, 1, 0.0, 0, 1.0, None, 30.0, 30.0),
    ]
    owners = pipeline(ws, by="owner", date_from="2025-02-01", date_to="2025-04-30").as_json()
    assert [(r["key"], r["created"], r["won"], r["lost"]) for r in owners] == [
        ("all", 3, 2, 1), ("r2", 3, 0, 1), ("r1", 0, 2, 0)]
