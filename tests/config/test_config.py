"""Config problems: all at once, each with a stable code, file:line and a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

import wanamaker
from wanamaker.config.durations import parse_duration
from wanamaker.errors import ConfigError


def broken(tmp_path: Path, text: str, plan: str | None = None) -> ConfigError:
    root = wanamaker.init(tmp_path / "ws")
    (root / "wanamaker.yml").write_text(text)
    if plan is not None:
        (root / "plan.yml").write_text(plan)
    with pytest.raises(ConfigError) as info:
        wanamaker.open(root)
    return info.value


def test_unknown_keys_are_reported_together_with_lines_and_suggestions(tmp_path: Path) -> None:
    err = broken(tmp_path, "timezone: UTC\nfunnel:\n  stagse: [a, b]\nattribution:\n  lookbak: 30d\n")
    codes = [(i.code, i.line, i.where) for i in err.issues]  # type: ignore[attr-defined]
    assert ("unknown_key", 3, "funnel.stagse") in codes
    assert ("unknown_key", 5, "attribution.lookbak") in codes
    text = str(err)
    assert "Did you mean 'stages'?" in text and "Did you mean 'lookback'?" in text
    assert "wanamaker.yml:3" in text and "wanamaker.yml:5" in text


def test_bad_values_name_the_fix(tmp_path: Path) -> None:
    err = broken(tmp_path, "timezone: Mars/Olympus\ncurrency: XXQ\nfiscal_year_start: 13-01\n"
                 "sla:\n  - {name: x, from: mql, to: sal, within: soon}\n")
    codes = sorted((i.code, i.line) for i in err.issues)  # type: ignore[attr-defined]
    assert codes == [("bad_value", 1), ("bad_value", 2), ("bad_value", 3), ("bad_value", 5)]
    assert "IANA time zone" in str(err) and "90d, 24h" in str(err)


def test_plan_and_config_problems_come_together(tmp_path: Path) -> None:
    err = broken(tmp_path, "timezon: UTC\n", "goals:\n  - id: g\n    name: G\n    metric: revenue\n    target: 5\n"
                 "    period: FY26\n")
    files = {Path(i.file).name for i in err.issues}  # type: ignore[attr-defined]
    assert files == {"wanamaker.yml", "plan.yml"}


def test_env_vars_are_expanded_and_missing_ones_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WM_TZ", "Europe/Berlin")
    root = wanamaker.init(tmp_path / "ok")
    (root / "wanamaker.yml").write_text("timezone: ${WM_TZ}\n")
    with wanamaker.open(root) as ws:
        assert ws.config.timezone == "Europe/Berlin"
    err = broken(tmp_path, "currency: ${WM_NOT_SET_ANYWHERE}\n")
    assert any(i.code == "missing_env_var" for i in err.issues)  # type: ignore[attr-defined]


def test_workspace_is_found_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = wanamaker.init(tmp_path / "ws")
    sub = root / "reports" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    monkeypatch.delenv("WANAMAKER_WORKSPACE", raising=False)
    with wanamaker.open() as ws:
        assert ws.root == root


def test_mapping_errors_name_file_line_and_fix(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    mapping = tmp_path / "m.yml"
    mapping.write_text("peple:\n  person_id: Id\ntouchpoints:\n  persn_id: Who\n  ts: {column: When, fromat: x}\n")
    (tmp_path / "f.csv").write_text("Id\n1\n")
    with wanamaker.open(root) as ws, pytest.raises(ConfigError) as info:
        ws.load([tmp_path / "f.csv"], mapping=mapping)
    text = str(info.value)
    assert "m.yml:1" in text and "Did you mean 'people'?" in text
    assert "m.yml:4" in text and "Did you mean 'person_id'?" in text
    assert "m.yml:5" in text and "Did you mean 'format'?" in text
    assert "required column 'channel'" in text


def test_durations() -> None:
    assert parse_duration("90d").days == 90
    assert parse_duration("24h").total_seconds() == 86400
    with pytest.raises(ValueError):
        parse_duration("ninety days")
