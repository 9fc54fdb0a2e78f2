"""One report of the session's demo workspace, written once through the CLI (with --pdf when Chromium is there)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.demo.helpers import DemoRun
from typer.testing import CliRunner

from wanamaker.cli.app import app


def chromium_present() -> bool:
    return bool(os.environ.get("WANAMAKER_CHROMIUM") or os.access("/usr/bin/chromium", os.X_OK)
                or any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")))


@dataclass(frozen=True)
class ReportRun:
    root: Path
    exit_code: int
    stdout: str
    stderr: str
    pdf_asked: bool

    @property
    def paths(self) -> list[Path]:
        return [Path(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def html(self) -> str:
        return self.paths[0].read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def demo_report(small_demo: DemoRun) -> ReportRun:
    """`wanamaker report [--pdf] --workspace DEMO`: the default place, reports/ in the workspace."""
    assert small_demo.exit_code == 0, small_demo.output
    pdf = chromium_present()
    args = ["report", "--workspace", str(small_demo.root), *(["--pdf"] if pdf else [])]
    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return ReportRun(small_demo.root, result.exit_code, result.stdout, result.stderr, pdf)
