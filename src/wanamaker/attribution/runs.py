"""Persist runs and touch-level credits (``attribution_runs``, ``attribution_credits``) so every
result is versioned "as of" a run (DESIGN "Attribution", tables)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

RUNS_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("model", pa.string()), ("params", pa.string()), ("level", pa.string()),
    ("milestone", pa.string()), ("value", pa.string()), ("lookback", pa.string()),
    ("data_from", pa.timestamp("us")), ("data_to", pa.timestamp("us")), ("config_hash", pa.string()),
    ("created_at", pa.timestamp("us")), ("totals", pa.string()), ("gaps", pa.string()),
])
CREDITS_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("subject_type", pa.string()), ("subject_id", pa.string()),
    ("touch_id", pa.string()), ("channel", pa.string()), ("campaign_id", pa.string()),
    ("conversions", pa.float64()), ("value", pa.float64()),
])


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    model: str
    params: dict[str, Any]
    level: str
    milestone: str
    value: str
    lookback: str
    data_from: datetime | None
    data_to: datetime | None
    config_hash: str
    created_at: datetime
    totals: dict[str, float]
    gaps: dict[str, float]

    def to_arrow(self) -> pa.Table:
        row = {k: getattr(self, k) for k in RUNS_SCHEMA.names}
        row["params"] = json.dumps(self.params, sort_keys=True, default=str)
        row["totals"] = json.dumps(self.totals, sort_keys=True)
        row["gaps"] = json.dumps(self.gaps, sort_keys=True)
        return pa.Table.from_pylist([row], schema=RUNS_SCHEMA)


def new_run_id() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def config_hash(ws: Any) -> str:
    """sha256 of wanamaker.yml as written (what the run was configured with)."""
    path = ws.root / "wanamaker.yml"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def persist(ws: Any, records: list[RunRecord], credits: list[pa.Table]) -> None:
    """Append the runs and their credits (one write per table)."""
    ws.write_table("attribution_runs", pa.concat_tables([r.to_arrow() for r in records]), mode="append")
    if credits:
        ws.write_table("attribution_credits", pa.concat_tables([c.cast(CREDITS_SCHEMA) for c in credits]),
                       mode="append")
