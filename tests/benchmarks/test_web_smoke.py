"""The web load benchmark (benchmarks/web_load.py) at smoke size: it must keep working, not be fast."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]


def _web_load() -> Any:
    for name in ("fastapi", "uvicorn", "httpx", "argon2", "jinja2"):
        pytest.importorskip(name, reason=f"the web benchmark needs {name}: pip install -e '.[web,test]'")
    spec = importlib.util.spec_from_file_location("web_load", ROOT / "benchmarks" / "web_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("web_load", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.smoke
def test_web_load_smoke(small_demo: Any, tmp_path: Path) -> None:
    """5 signed-in clients for 3 s against a copy of the small demo: every page answers, none fails."""
    web_load = _web_load()
    assert small_demo.exit_code == 0, small_demo.output
    root = tmp_path / "demo"  # the benchmark adds its users: never to the shared demo
    shutil.copytree(small_demo.root, root, ignore=shutil.ignore_patterns("demo-data", "reports"))
    result = web_load.measure(root, clients=5, seconds=3)
    channel = web_load.pick_channel(root)
    assert [p.path for p in result.pages] == [path for _s, path in web_load.pages(channel)]
    assert result.errors == 0, {p.path: p.samples for p in result.pages if p.errors}
    assert all(p.latencies for p in result.pages), [p.path for p in result.pages if not p.latencies]
    assert result.requests > 0 and result.rps > 0 and result.warmup > 0
    text = "\n".join(web_load.block(result, "smoke"))
    assert "| **all pages** |" in text and "Verdict:" in text
