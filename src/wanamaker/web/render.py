"""How pages show numbers and charts: the table cell format of the report and the CLI, and chart specs
handed to the package's Vega-Lite script as JSON data (never inline script)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup


def format_cell(column: str, value: Any, currency: str, unit: str | None = None) -> str:
    """A cell as the report shows it (percentages, money in the workspace currency, no scientific notation)."""
    from wanamaker.report.html import format_cell as report_cell

    return str(report_cell(column, value, currency, unit=unit))


def spec_json(spec: dict[str, Any]) -> Markup:
    """A chart spec for a ``<script type="application/json">`` element: ``<``, ``>`` and ``&`` escaped, so no text
    in the data can close the element."""
    text = json.dumps(spec, separators=(",", ":"), default=str)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)  # noqa: S704 - escaped above; JSON data, not markup


def install_filters(env: Environment, currency: str) -> None:
    env.filters["fmt"] = lambda value, column="", unit=None: format_cell(str(column), value, currency, unit)
    env.filters["spec_json"] = spec_json


@lru_cache(maxsize=1)
def vega_bundle() -> bytes:
    """vega, vega-lite and vega-embed in one script, from the vl-convert package (no CDN)."""
    import vl_convert

    bundle: Any = vl_convert.javascript_bundle  # the stubs require a snippet; None gives the default
    return str(bundle()).encode("utf-8")
