"""Hypothesis properties of the models (DuckDB-free: they act on paths and touch arrays)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wanamaker.attribution.api import attribute
from wanamaker.attribution.credits import place
from wanamaker.attribution.markov import markov
from wanamaker.attribution.models import path_credit
from wanamaker.attribution.paths import Paths, from_sequences
from wanamaker.attribution.rules import RULE_MODELS, TouchArrays, rule_weights
from wanamaker.attribution.shapley import shapley, shapley_rate

CH = ["a", "b", "c", "d"]
journey = st.tuples(st.lists(st.sampled_from(CH), min_size=1, max_size=5),
                    st.integers(0, 3), st.integers(0, 3))
journeys = st.lists(journey, min_size=1, max_size=12).filter(lambda js: sum(j[1] for j in js) > 0)


def to_paths(js: list[tuple[list[str], int, int]], channels: tuple[str, ...] | None = None) -> Paths:
    p = from_sequences([j[0] for j in js], [j[1] for j in js], [7.0 * j[1] for j in js], [j[2] for j in js])
    if channels is None:
        return p
    remap = np.array([channels.index(c) for c in p.channels])
    return Paths(channels, p.offsets, remap[p.steps], p.conversions, p.value, p.nulls)


MODELS = ["markov_1", "markov_2", "markov_3", "shapley", "shapley_rate", "first_touch", "last_touch", "linear"]


@settings(max_examples=40, deadline=None)
@given(journeys)
def test_credits_sum_to_outcome(js: list[tuple[list[str], int, int]]) -> None:
    p = to_paths(js)
    total = p.conversions.sum()
    for m in MODELS:
        c = path_credit(m, p)
        if c.conversions.sum() > 0 or m not in ("shapley_rate",):
            assert c.conversions.sum() == pytest.approx(total, rel=1e-9), m
            assert c.value.sum() == pytest.approx(p.value.sum(), rel=1e-9), m


@settings(max_examples=40, deadline=None)
@given(journeys)
def test_symmetric_channels_equal_credit(js: list[tuple[list[str], int, int]]) -> None:
    swap = {"a": "b", "b": "a", "c": "c", "d": "d"}
    both = js + [([swap[c] for c in seq], conv, nul) for seq, conv, nul in js]
    p = to_paths(both, tuple(CH))
    for m in MODELS:
        c = path_credit(m, p)
        assert c.conversions[0] == pytest.approx(c.conversions[1], rel=1e-9, abs=1e-9), m


@settings(max_examples=30, deadline=None)
@given(journeys)
def test_absent_channel_gets_nothing(js: list[tuple[list[str], int, int]]) -> None:
    p = to_paths(js, tuple(CH) + ("never",))
    for m in MODELS:
        assert path_credit(m, p).conversions[-1] == 0.0, m


@settings(max_examples=30, deadline=None)
@given(journeys, st.randoms(use_true_random=False))
def test_shapley_ignores_touch_order(js: list[tuple[list[str], int, int]], rnd: Any) -> None:
    shuffled = [(rnd.sample(seq, len(seq)), conv, nul) for seq, conv, nul in js]
    a, b = to_paths(js, tuple(CH)), to_paths(shuffled, tuple(CH))
    np.testing.assert_allclose(shapley(a).conversions, shapley(b).conversions, rtol=1e-12)
    np.testing.assert_allclose(shapley_rate(a).conversions, shapley_rate(b).conversions, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.floats(0, 1e3)), min_size=1, max_size=10), st.data())
def test_rule_weights_sum_to_one(spec: list[tuple[int, float]], data: Any) -> None:
    lengths = np.array([n for n, _ in spec])
    j = np.repeat(np.arange(len(spec)), lengths)
    pos = np.concatenate([np.arange(n) for n in lengths])
    flags = [np.array(data.draw(st.lists(st.booleans(), min_size=len(j), max_size=len(j)))) for _ in range(3)]
    # at most one role touch per journey and role
    flags = [f & (pos == np.array([data.draw(st.integers(0, n - 1)) for n in lengths])[j]) for f in flags]
    t = TouchArrays(j, pos, lengths[j], np.array([a for _, a in spec])[j] * (lengths[j] - pos),
                    np.zeros(len(j), dtype=bool), flags[0], flags[1], flags[2])
    for m in RULE_MODELS:
        w = rule_weights(m, t)
        np.testing.assert_allclose(np.bincount(j, weights=w), 1.0, rtol=1e-12, err_msg=m)
        assert (w >= 0).all()


@settings(max_examples=30, deadline=None)
@given(journeys)
def test_placement_rows_exact(js: list[tuple[list[str], int, int]]) -> None:
    conv = [(seq, c, n) for seq, c, n in js if c > 0]
    p = to_paths(js, tuple(CH))
    m = markov(p, 1)
    journey_of = np.repeat(np.arange(len(conv)), [len(s) for s, _, _ in conv])
    chan = np.array([CH.index(c) for s, _, _ in conv for c in s])
    outcome = np.array([float(c) for _, c, _ in conv])
    pl = place(journey_of, chan, outcome, m.conversions)
    np.testing.assert_allclose(np.bincount(journey_of, weights=pl.touch_share * outcome[journey_of]), outcome,
                               rtol=1e-12)
    placed = np.bincount(chan, weights=pl.touch_share * outcome[journey_of], minlength=len(CH))
    np.testing.assert_allclose(placed + pl.gap, m.conversions, rtol=1e-9, atol=1e-9)


def test_account_level_equals_person_level_with_one_person_per_account(workspace: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    people, touches, stages = ["person_id,account_id"], ["touch_id,person_id,account_id,ts,channel"], \
        ["subject_type,subject_id,stage,ts"]
    n = 0
    for i in range(40):
        people.append(f"p{i},A{i}")
        for _ in range(int(rng.integers(1, 6))):
            n += 1
            touches.append(f"t{n:04d},p{i},A{i},2026-01-{int(rng.integers(1, 20)):02d} 10:00:00,{rng.choice(CH)}")
        if rng.random() < 0.5:
            stages.append(f"person,p{i},lead,2026-01-{int(rng.integers(1, 25)):02d} 12:00:00")
            stages.append(f"person,p{i},opportunity,2026-01-{int(rng.integers(10, 28)):02d} 12:00:00")
    for name, rows, table in (("people", people, "people"), ("t", touches, "touchpoints"), ("s", stages, "stage_events")):
        f = tmp_path / f"{name}.csv"
        f.write_text("\n".join(rows) + "\n")
        workspace.load([f], table=table)
    a = attribute(workspace, model="all", level="account", persist=False)
    b = attribute(workspace, model="all", level="person", persist=False)
    ra = {(r.model, r.key): r.conversions for r in a.rows}
    rb = {(r.model, r.key): r.conversions for r in b.rows}
    assert ra.keys() == rb.keys()
    for k in ra:
        assert ra[k] == pytest.approx(rb[k], rel=1e-9, abs=1e-12), k
