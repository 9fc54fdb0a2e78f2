"""What the demo tests share: one small demo run through the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wanamaker.demo.spec import DemoSpec


@dataclass(frozen=True)
class DemoRun:
    root: Path
    spec: DemoSpec
    exit_code: int
    output: str
