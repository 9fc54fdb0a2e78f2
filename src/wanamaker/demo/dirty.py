"""Dirty rows, as real exports carry them: each is a copy of a clean row with one defect, and each
defect lands in quarantine under its own reason code."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from wanamaker.demo.exports import Writer

Edit = tuple[str, str, str]  # column, new value, the reason code ingest should give

DIRTY: dict[str, list[list[Edit]]] = {
    "salesforce/Lead.csv": [
        [("Id", "00QDIRTY00000001", ""), ("CreatedDate", "31/02/2025 10:00", "bad_timestamp")],
        [("Id", "00QDIRTY00000002", ""), ("CreatedDate", "2099-01-01T00:00:00.000Z", "future_timestamp")],
    ],
    "salesforce/Opportunity.csv": [
        [("Id", "006DIRTY00000001", ""), ("Amount", "-5000", "negative_amount")],
        [("Id", "006DIRTY00000002", ""), ("CurrencyIsoCode", "US$", "unknown_currency")],
        [("Amount", "1", "key_conflict")],  # the same Id as a clean row, another amount
    ],
    "marketing_automation/email_activity.csv": [
        [("Activity ID", "EADIRTY0001", ""), ("Person ID", "", "missing_subject")],
        [("Activity ID", "EADIRTY0002", ""), ("Activity Date", "1899-12-31T00:00:00Z", "ancient_timestamp")],
    ],
}


def add_dirty_rows(w: Writer) -> dict[str, int]:
    """Append the dirty rows to files already written; returns the expected count per reason code."""
    expected: dict[str, int] = {}
    for rel, rows in DIRTY.items():
        template = w.first.get(rel)
        if template is None:
            continue
        for edits in rows:
            row = {name: template.column(name).to_pylist() for name in template.column_names}
            for col, value, code in edits:
                row[col] = [_cast(template.schema.field(col).type)(value)]
                if code:
                    expected[code] = expected.get(code, 0) + 1
            w.append(rel, pa.table(row, schema=template.schema) if _castable(row, template) else _as_strings(row))
    return expected


def _cast(t: pa.DataType) -> Callable[[str], object]:
    if pa.types.is_floating(t):
        return lambda v: float(v) if _is_float(v) else v
    return str


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _castable(row: dict[str, list[object]], template: pa.Table) -> bool:
    try:
        pa.table(row, schema=template.schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return False
    return True


def _as_strings(row: dict[str, list[object]]) -> pa.Table:
    raise ValueError(f"dirty row does not fit its file's schema: {row}")
