"""The Spark warehouse: versioned Parquet folders named by one manifest, replaced atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

import wanamaker
from support.data import write_csv


def test_versions_and_garbage_collection(tmp_path: Path) -> None:
    """Loads write new version folders; the live and the previous version of each table survive."""
    root = wanamaker.init(tmp_path / "ws", connection=f"spark:///{tmp_path / 'wh'}")
    with wanamaker.open(root) as ws:
        for i in range(4):
            ws.load([write_csv(tmp_path / f"p{i}.csv", [{"person_id": f"p{i}"}])], table="people")
        manifest = json.loads((tmp_path / "wh" / "_manifest.json").read_text())
        live = manifest["tables"]["people"]
        versions = sorted(p.name for p in (tmp_path / "wh" / "people").iterdir())
        assert live.endswith(versions[-1]) and len(versions) == 2
        assert ws.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 4}]
        ws.write_table("results_x", pa.table({"a": [1]}), mode="replace")
        ws.write_table("results_x", pa.table({"a": [2]}), mode="append")
        assert ws.sql("SELECT sum(a) AS s FROM results_x").to_pylist() == [{"s": 3}]
