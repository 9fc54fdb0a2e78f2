"""The worked example of docs/attribution.md, run from the page itself: its shell block (files written
by heredoc, then ``wanamaker`` commands) runs through the CLI, and the page's credit table must be
what every model gives. Its aggregated-paths file gives the same data-driven credits."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

import wanamaker
from wanamaker.attribution.api import attribute
from wanamaker.cli.app import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "attribution.md"


def _between(text: str, marker: str) -> str:
    return text.split(f"<!-- {marker} -->", 1)[1].split(f"<!-- /{marker} -->", 1)[0]


def _run_example(script: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run the example's lines: ``cat > FILE <<'EOF'`` heredocs, ``wanamaker init D && cd D`` and
    ``wanamaker ...`` commands (through the CLI in process). Returns the stderr of the commands."""
    lines = iter(script.strip().splitlines())
    runner, errs = CliRunner(), []
    monkeypatch.chdir(cwd)
    for line in lines:
        if heredoc := re.fullmatch(r"cat > (\S+) <<'EOF'", line):
            body = []
            for more in lines:
                if more == "EOF":
                    break
                body.append(more)
            (cwd / heredoc.group(1)).write_text("\n".join(body) + "\n")
            continue
        first, _, rest = line.partition(" && cd ")
        args = shlex.split(first)
        assert args[0] == "wanamaker", line
        res = runner.invoke(app, args[1:])
        assert res.exit_code == 0, (line, res.output)
        errs.append(res.stderr)
        if rest:
            cwd = cwd / rest
            monkeypatch.chdir(cwd)
    return errs


def _table(text: str) -> dict[str, dict[str, float]]:
    rows = [r.strip().strip("|").split("|") for r in text.strip().splitlines() if r.startswith("|")]
    head = [h.strip() for h in rows[0]]
    return {r[0].strip(): {h: float(v) for h, v in zip(head[1:], r[1:], strict=True)} for r in rows[2:]}


def test_worked_example_runs_and_its_table_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = DOC.read_text()
    block = _between(doc, "attribution-example")
    errs = _run_example(block.strip().removeprefix("```bash").removesuffix("```"), tmp_path, monkeypatch)
    assert "no 'opportunity' stage events for any person" in errs[-1]  # the fallback note, on stderr
    ws = wanamaker.open(tmp_path / "acme-attr")
    try:
        res = attribute(ws, model="all", persist=False)
        got: dict[str, dict[str, float]] = {}
        for r in res.rows:
            got.setdefault(r.model, {})[r.key] = r.conversions
        want = _table(_between(doc, "attribution-credits"))
        assert set(want) == set(got)
        for model, row in want.items():
            for ch, v in row.items():  # the page shows 4 significant digits
                assert got[model].get(ch, 0.0) == pytest.approx(v, rel=6e-4, abs=1e-12), (model, ch)
        # "Markov's 0.75 for paid_search lands as 0.15 on Ana's t01 and 0.6 on Dee's t08"
        run = attribute(ws, model="markov", order=1).runs[0].run_id
        placed = {r["touch_id"]: r["conversions"] for r in ws.sql(
            f"select touch_id, conversions from attribution_credits where run_id = '{run}'").to_pylist()}
        assert placed["t01"] == pytest.approx(0.15, rel=1e-9) and placed["t08"] == pytest.approx(0.6, rel=1e-9)
        # the --paths file of the page is the same four journeys
        csv_block = re.search(r"```csv\n(path,total_conversions.*?)```", doc, re.S)
        assert csv_block is not None
        (tmp_path / "journeys.csv").write_text(csv_block.group(1))
        for model in ("markov_1", "markov_3", "shapley", "shapley_rate"):
            from_file = {r.key: r.conversions for r in attribute(None, model=model, paths=tmp_path / "journeys.csv").rows}
            for ch, v in got[model].items():
                assert from_file[ch] == pytest.approx(v, rel=1e-9, abs=1e-12), (model, ch)
    finally:
        ws.close()
