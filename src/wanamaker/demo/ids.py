"""Identifiers in the shapes real systems use (Salesforce 15-character ids, GA4 pseudo ids) and
timestamp formatting for exports."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wanamaker.demo.spec import DemoSpec, to_datetime64


def sfid(prefix: str, n: np.ndarray) -> pa.Array:
    """Salesforce-style ids: a 3-character key prefix and 12 digits."""
    digits = pc.utf8_lpad(pa.array(n.astype(np.int64)).cast(pa.string()), 12, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def account_ids(global_idx: np.ndarray) -> pa.Array:
    return sfid("001", global_idx)


def iso(spec: DemoSpec, days: np.ndarray, suffix: str = ".000Z") -> pa.Array:
    """World days -> 'YYYY-MM-DDTHH:MM:SS.000Z' (Salesforce API format); NaN -> empty."""
    s = np.datetime_as_string(to_datetime64(spec, days), unit="s")
    out = pc.binary_join_element_wise(pa.array(s), pa.scalar(suffix), "")
    return pc.if_else(pa.array(np.isfinite(days)), out, pa.scalar(""))


def day_str(spec: DemoSpec, days: np.ndarray) -> pa.Array:
    s = np.datetime_as_string(to_datetime64(spec, days), unit="D")
    return pc.if_else(pa.array(np.isfinite(days)), pa.array(s), pa.scalar(""))


def epoch_us(spec: DemoSpec, days: np.ndarray) -> np.ndarray:
    base = np.datetime64(spec.start_dt, "us").astype(np.int64)
    return base + np.round(days * 86_400e6).astype(np.int64)


def pick(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    """values[idx] as a string array; idx < 0 -> empty string."""
    arr = np.asarray(list(values) + [""], dtype=object)
    return pa.array(arr[np.where(idx < 0, len(values), idx)], pa.string())
