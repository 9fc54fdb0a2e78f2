"""The economics numbers in the metric catalogue (:mod:`wanamaker.metrics.catalogue`), so goals can be set on
them: ``ltv``, ``ltv_cac``, ``payback_months``, ``romi`` and the fully loaded ``cac_loaded``.

Each is the overall (``all``) row of :func:`wanamaker.economics.unit_economics.economics` over the window asked
for (docs/economics.md has the definitions). They are *computed* metrics: the domain runs its model (the LTV
model, the attribution run behind ROMI) once per window, and the five share that run. They have no breakdown
keys; ``wanamaker economics --by`` gives them by channel, campaign or segment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wanamaker.metrics.catalogue import ComputeFn, Metric
from wanamaker.metrics.periods import Period

#: the bootstrap behind ROMI's interval is not needed for the value
_REPLICATES = 1
_CACHE: dict[tuple[int, int, datetime | None, datetime | None], dict[str, float | None]] = {}
_CACHE_SIZE = 64


def _row(src: Any, start: datetime | None, end: datetime | None) -> dict[str, float | None]:
    loads = int(src.table("_loads").count().to_pyarrow().as_py())  # a load changes the data: compute again
    key = (id(src), loads, start, end)
    if key not in _CACHE:
        from wanamaker.economics.unit_economics import economics

        period = None
        if start is not None and end is not None:
            period = Period(f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", start, end)
        result = economics(src, period=period, replicates=_REPLICATES)
        overall = next((r for r in result.rows if r.key == "all"), None)
        values: dict[str, float | None] = {}
        if overall is not None:
            values = {"ltv": overall.ltv, "ltv_cac": overall.ltv_cac, "payback_months": overall.payback_months,
                      "romi": overall.romi, "cac_loaded": overall.cac}
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = values
    return _CACHE[key]


def _field(name: str) -> ComputeFn:
    def compute(src: Any, start: datetime | None, end: datetime | None) -> float | None:
        return _row(src, start, end).get(name)

    return compute


def economics_metrics() -> list[Metric]:
    """The computed economics metrics (see the module doc)."""
    won = "won"
    return [
        Metric("ltv", "LTV per new customer", "Lifetime gross profit per new customer of the window "
               "(economics.ltv_model, gross margin, discounted).", "currency", "effectiveness", "increase", "computed",
               won, compute=_field("ltv"), based_on="won_deals"),
        Metric("romi", "ROMI", "(Attributed gross profit - cost) / cost over the window (economics.model).", "ratio",
               "effectiveness", "increase", "computed", won, compute=_field("romi"), based_on="won_deals"),
        Metric("cac_loaded", "CAC (fully loaded)", "Spend and team costs / new customers over the window.",
               "currency", "efficiency", "decrease", "computed", won, compute=_field("cac_loaded"),
               based_on="won_deals"),
        Metric("ltv_cac", "LTV:CAC", "LTV / fully loaded CAC (target 3 or more).", "ratio", "efficiency", "increase",
               "computed", won, compute=_field("ltv_cac"), based_on="won_deals"),
        Metric("payback_months", "Payback (months)", "Fully loaded CAC / (monthly revenue per new customer x gross "
               "margin).", "months", "efficiency", "decrease", "computed", won, compute=_field("payback_months"),
               based_on="won_deals"),
    ]  # fmt: skip
