"""The experiment aggregates run in the engine: the same known answers on DuckDB, PostgreSQL and Spark (counts,
distinct units, conditional sums and sample variances of revenue)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import wanamaker
from wanamaker.experiments import experiments, lift_tests, pricing, stats

pytestmark = pytest.mark.engines

# ab: control 4 units (1 buys 30), b 5 units (2 buy 10 and 50); lift: 3 held out (0 convert), 6 exposed (3 convert).
LOG = """experiment_id,unit_id,kind,channel,milestone,variant,is_control,allocation,converted,revenue,price
ab,u1,ab,,,a,true,0.5,true,30,
ab,u2,ab,,,a,true,0.5,false,,
ab,u3,ab,,,a,true,0.5,false,,
ab,u4,ab,,,a,true,0.5,,,
ab,u5,ab,,,b,false,0.5,true,10,
ab,u6,ab,,,b,false,0.5,true,50,
ab,u7,ab,,,b,false,0.5,false,,
ab,u8,ab,,,b,false,0.5,false,,
ab,u9,ab,,,b,false,0.5,false,,
lt,h1,lift,email,opportunity,holdout,true,0.3,false,,
lt,h2,lift,email,opportunity,holdout,true,0.3,false,,
lt,h3,lift,email,opportunity,holdout,true,0.3,false,,
lt,e1,lift,email,opportunity,exposed,false,0.7,true,,
lt,e2,lift,email,opportunity,exposed,false,0.7,true,,
lt,e3,lift,email,opportunity,exposed,false,0.7,true,,
lt,e4,lift,email,opportunity,exposed,false,0.7,false,,
lt,e5,lift,email,opportunity,exposed,false,0.7,false,,
lt,e6,lift,email,opportunity,exposed,false,0.7,false,,
px,p1,pricing,,won,cheap,true,0.5,true,10,10
px,p2,pricing,,won,cheap,true,0.5,false,,10
px,p3,pricing,,won,dear,false,0.5,true,20,20
px,p4,pricing,,won,dear,false,0.5,true,20,20
"""


def test_known_answers_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    ws = make_workspace()
    assert ws.load([path], table="experiments").quarantined == 0
    result = experiments(ws)
    a, b = result.get("ab", "a"), result.get("ab", "b")
    assert (a.units, a.conversions, b.units, b.conversions) == (4, 1, 5, 2)
    assert a.revenue_per_unit == pytest.approx(7.5) and b.revenue_per_unit == pytest.approx(12.0)
    welch = stats.welch(12.0, (10**2 + 50**2 - 5 * 12.0**2) / 4, 5, 7.5, (30**2 - 4 * 7.5**2) / 3, 4, 0.9)
    assert (b.revenue_lift, b.revenue_lift_low, b.revenue_lift_high) == pytest.approx(
        (welch.diff, welch.low, welch.high))
    assert b.srm_p_value == pytest.approx(stats.srm_p_value([4, 5], [1, 1]))
    (lt,) = lift_tests(ws, milestone="opportunity")
    assert (lt.treated_units, lt.control_units, lt.treated_conversions, lt.control_conversions) == (6, 3, 3, 0)
    assert lt.incremental_conversions == pytest.approx(3.0) and lt.channel == "email"
    price = pricing(ws).get("px", "dear")
    assert (price.price, price.rate, price.revenue_per_conversion, price.margin) == pytest.approx(
        (20.0, 1.0, 20.0, 0.9))
