"""Config and mapping files are bounded (DESIGN "Ingest" > Limits): a regular file, at most 1 MB, at most 10,000
YAML nodes after alias expansion. Alias bombs that took 120 s and 5.4 GB (a mapping, 9 levels) and 14.7 s on
every command (a 2.9 KB wanamaker.yml, 7 levels) are refused at once with file:line; a FIFO does not hang."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wanamaker
from support.data import write_csv
from wanamaker.config.yamlio import MAX_BYTES, MAX_NODES, load_yaml
from wanamaker.errors import ConfigError

FAST = 2.0  # seconds: "well under a second", with slack for a loaded CI machine


def _bomb(levels: int, indent: str = "") -> list[str]:
    """``levels`` of lists of 9 aliases to the level below: 9 ** (levels + 1) strings once expanded."""
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return lines


def _line_of(exc: ConfigError, path: Path) -> int:
    found = re.match(rf"{re.escape(str(path))}:(\d+): ", exc.message)
    assert found, exc.message
    return int(found.group(1))


@pytest.mark.timeout(30)
def test_mapping_alias_bomb_is_refused_at_once(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yml"
    bomb.write_text("\n".join(["people:", "  person_id: Id", "  segment:", "    column: Segment",
                               "    values:", *_bomb(9, "      ")]) + "\n", encoding="utf-8")
    data = write_csv(tmp_path / "p.csv", [{"Id": "1", "Segment": "lol"}])
    started = time.perf_counter()
    with pytest.raises(ConfigError) as refused:
        workspace.load([data], mapping=bomb)
    assert time.perf_counter() - started < FAST
    assert 6 <= _line_of(refused.value, bomb) <= 15  # a line of the bomb
    assert f"{MAX_NODES:,} nodes" in refused.value.message and "alias" in refused.value.fix
    assert workspace.sql("SELECT count(*) AS n FROM _loads").to_pylist() == [{"n": 0}]


@pytest.mark.timeout(30)
def test_config_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    config = root / "wanamaker.yml"
    text = "timezone: UTC\ncurrency: USD\n" + "\n".join(["x_bomb:", *_bomb(7, "  ")]) + "\n"  # small, as the issue's
    config.write_text(text, encoding="utf-8")
    assert len(text.encode()) < 3_500  # the size of the 2.9 KB example
    started = time.perf_counter()
    with pytest.raises(ConfigError) as refused:
        wanamaker.open(root)
    assert time.perf_counter() - started < FAST
    first_bomb_line = text.splitlines().index("x_bomb:") + 1
    assert first_bomb_line < _line_of(refused.value, config) <= first_bomb_line + 8


def test_node_budget_counts_without_aliases_too(tmp_path: Path) -> None:
    many = tmp_path / "many.yml"
    many.write_text("people:\n  person_id: Id\n  segment:\n    values:\n"
                    + "".join(f"      v{i}: s\n" for i in range(MAX_NODES)), encoding="utf-8")
    assert many.stat().st_size < MAX_BYTES
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="more than 10,000 nodes") as refused:
        load_yaml(many)
    assert time.perf_counter() - started < FAST
    assert _line_of(refused.value, many) > 4000


def test_file_over_1_mb_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    big.write_text("people:\n  person_id: Id\n" + "".join(f"# {'x' * 97}\n" for _ in range(11_000)),
                   encoding="utf-8")
    assert 1_100_000 <= big.stat().st_size
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="1 MB") as refused:
        load_yaml(big)
    assert time.perf_counter() - started < FAST
    assert _line_of(refused.value, big) == 2 + MAX_BYTES // 100 + 1  # the line that crosses the limit
    with pytest.raises(ConfigError, match="1 MB"):
        load_yaml(big, "x: '" + "y" * MAX_BYTES + "'\n")  # text given for a file (a stored mapping)


def test_config_file_over_1_mb_is_refused(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    config = root / "wanamaker.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"# {'x' * 1_100_000}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(config))}:\d+: .*1 MB"):
        wanamaker.open(root)


@pytest.mark.timeout(20)
def test_fifo_mapping_is_refused_without_hanging(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    fifo = tmp_path / "mapping.yml"
    os.mkfifo(fifo)
    data = write_csv(tmp_path / "p.csv", [{"Id": "1"}])
    with pytest.raises(ConfigError, match="FIFO") as refused:
        workspace.load([data], mapping=fifo)
    assert str(fifo) in refused.value.message and refused.value.fix


@pytest.mark.timeout(60)
def test_fifo_config_is_refused_by_the_cli_without_hanging(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    (root / "wanamaker.yml").unlink()
    os.mkfifo(root / "wanamaker.yml")
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("WANAMAKER_WORKSPACE", None)
    res = subprocess.run([sys.executable, "-m", "wanamaker.cli.app", "tables"], cwd=root, capture_output=True,
                         text=True, env=env, timeout=50)
    assert res.returncode == 1, res.stderr
    assert "FIFO" in res.stderr and "fix:" in res.stderr


@pytest.mark.parametrize("kind", ["folder", "device"])
def test_other_non_regular_paths_are_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path if kind == "folder" else Path("/dev/zero")
    with pytest.raises(ConfigError, match=f"{kind}, not a regular file"):
        load_yaml(path)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000, "a: " + "[x, " * 400 + "]" * 400,
                                  "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v"])
def test_deep_nesting_is_refused_at_once(tmp_path: Path, text: str) -> None:
    deep = tmp_path / "deep.yml"
    deep.write_text(text + "\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="nests deeper than 100 levels"):
        load_yaml(deep)
    assert time.perf_counter() - started < FAST


def test_normal_files_still_load(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    with wanamaker.open(root) as ws:
        assert ws.config.currency == "USD"
        assert "paid_search" in ws.config.channels
    mapping = tmp_path / "m.yml"
    mapping.write_text("people:\n  person_id: Id\n  segment:\n    column: Segment\n"
                       "    values: &segments {SMB: smb, MM: mid}\n"
                       "accounts:\n  account_id: Company\n  segment:\n    column: Segment\n    values: *segments\n",
                       encoding="utf-8")
    doc = load_yaml(mapping)
    assert doc.data["accounts"]["segment"]["values"] == {"SMB": "smb", "MM": "mid"}
    assert doc.line_of(("accounts", "account_id")) == 7
    assert doc.text == mapping.read_text(encoding="utf-8")
