"""A tiny hand-built workspace for the weekly aggregation, in the time zone America/New_York (UTC-5 in winter).

Spend (daily rows, so only whole weeks count; weeks start on Monday):

    2024-12-29 Sun  tv 999            before the first whole week: left out
    2024-12-30 Mon  tv 100, search 10 week 2024-12-30
    2025-01-05 Sun  tv 50             week 2024-12-30
    2025-01-06 Mon  search 20         week 2025-01-06
    2025-01-08 Wed  social 100 EUR    rate 1.1 -> 110, week 2025-01-06
    2025-01-09 Thu  social 50 EUR     no rate that day: left out
    2025-01-12 Sun  search 5          week 2025-01-06
    2025-01-13 Mon  search 7          week 2025-01-13
    2025-01-19 Sun  tv 30             week 2025-01-13
    2025-01-21 Tue  tv 500            after the last whole week: left out

Opportunities (created_at and closed_at written in UTC, with their offset: naive times would be read as local):

    O5 created 2024-12-30 04:00 UTC = Sun 23:00 local        before the first week
    O1 created 2025-01-06 03:00 UTC = Sun 2025-01-05 22:00   week 2024-12-30; 1000 USD won, closed 2025-01-14 -> w3
    O2 created 2025-01-06 06:00 UTC = Mon 01:00               week 2025-01-06; 200 EUR at 1.1 = 220, open
    O6 created 2025-01-07 15:00 UTC                          week 2025-01-06; 400 EUR, no rate: counted, no amount
    O3 created 2025-01-13 12:00 UTC                          week 2025-01-13; 300 USD lost
    O4 created 2025-01-20 04:00 UTC = Sun 2025-01-19 23:00   week 2025-01-13; 50 USD won, closed Mon 2025-01-20
                                                             01:00 local: after the last week

Expected, weeks 2024-12-30, 2025-01-06, 2025-01-13; channels in name order:
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import wanamaker
from support.data import write_csv

TZ = "America/New_York"
WEEKS = ["2024-12-30", "2025-01-06", "2025-01-13"]
CHANNELS = ["search", "social", "tv"]
SPEND = [[10.0, 25.0, 7.0], [0.0, 110.0, 0.0], [150.0, 0.0, 30.0]]
OUTCOME = {"opportunities": [1.0, 2.0, 2.0], "pipeline": [1000.0, 220.0, 350.0], "revenue": [0.0, 0.0, 1000.0]}

TABLES: dict[str, list[dict[str, Any]]] = {
    "fx_rates": [
        {"date": "2025-01-06", "currency": "EUR", "rate_to_workspace_currency": "1.1"},
        {"date": "2025-01-08", "currency": "EUR", "rate_to_workspace_currency": "1.1"},
    ],
    "spend": [
        {"date": d, "channel": ch, "campaign_id": "(none)", "amount": a, "currency": cur}
        for d, ch, a, cur in [
            ("2024-12-29", "tv", 999, "USD"), ("2024-12-30", "tv", 100, "USD"), ("2024-12-30", "search", 10, "USD"),
            ("2025-01-05", "tv", 50, "USD"), ("2025-01-06", "search", 20, "USD"), ("2025-01-08", "social", 100, "EUR"),
            ("2025-01-09", "social", 50, "EUR"), ("2025-01-12", "search", 5, "USD"),
            ("2025-01-13", "search", 7, "USD"), ("2025-01-19", "tv", 30, "USD"), ("2025-01-21", "tv", 500, "USD"),
        ]
    ],
    "opportunities": [
        {"opportunity_id": oid, "account_id": "A1", "person_id": "", "created_at": created, "closed_at": closed,
         "status": status, "amount": amount, "currency": cur}
        for oid, created, closed, status, amount, cur in [
            ("O5", "2024-12-30 04:00:00+00:00", "", "open", 10, "USD"),
            ("O1", "2025-01-06 03:00:00+00:00", "2025-01-14 12:00:00+00:00", "won", 1000, "USD"),
            ("O2", "2025-01-06 06:00:00+00:00", "", "open", 200, "EUR"),
            ("O6", "2025-01-07 15:00:00+00:00", "", "open", 400, "EUR"),
            ("O3", "2025-01-13 12:00:00+00:00", "2025-01-15 12:00:00+00:00", "lost", 300, "USD"),
            ("O4", "2025-01-20 04:00:00+00:00", "2025-01-20 06:00:00+00:00", "won", 50, "USD"),
        ]
    ],
}


def set_timezone(root: Path, tz: str = TZ) -> None:
    path = root / "wanamaker.yml"
    text, n = re.subn(r"^timezone:.*$", f"timezone: {tz}", path.read_text(), flags=re.M)
    assert n == 1
    path.write_text(text)


def load_tables(ws: wanamaker.Workspace, folder: Path, tables: dict[str, list[dict[str, Any]]] = TABLES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        counts = ws.load([write_csv(folder / f"{name}.csv", rows)], table=name).tables[0].files[0]
        assert counts.loaded == len(rows), (name, counts)
