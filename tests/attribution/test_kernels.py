"""The compiled kernels give what their numpy twins give: the same chain bit for bit, solves that
agree with a direct LU, and clear refusals of arrays that do not fit together."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from tests.attribution.helpers import synthetic_paths

from support.servers import missing
from wanamaker.attribution import kernels, paths_file
from wanamaker.attribution.markov import markov
from wanamaker.attribution.paths import Paths, from_sequences

mk = importlib.import_module("wanamaker.attribution.markov")


@pytest.fixture
def compiled() -> object:
    module = kernels.native()
    if module is None:
        missing("the compiled kernels are not built (pip install -e . builds them when a C compiler is present)")
    return module


def test_compiled_kernels_are_built(compiled: object) -> None:
    assert kernels.describe() == "compiled kernels"


def test_numpy_twins_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANAMAKER_KERNELS", "numpy")
    assert kernels.native() is None
    assert kernels.describe().startswith("numpy kernels")


def _both_chains(paths: Paths, order: int, monkeypatch: pytest.MonkeyPatch) -> tuple[mk.Chain, mk.Chain]:
    native = mk.build_chain(paths, order)
    monkeypatch.setenv("WANAMAKER_KERNELS", "numpy")
    twin = mk.build_chain(paths, order)
    monkeypatch.delenv("WANAMAKER_KERNELS")
    return native, twin


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1])
def test_chain_counts_equal_the_numpy_twin(compiled: object, order: int, seed: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    paths = synthetic_paths(2000, 7, seed=seed, max_len=9)
    # a path with no journeys still makes its states, in both
    paths = Paths(paths.channels, paths.offsets, paths.steps, np.where(np.arange(paths.n_paths) == 3, 0.0,
                  paths.conversions), paths.value, np.where(np.arange(paths.n_paths) == 3, 0.0, paths.nulls))
    a, b = _both_chains(paths, order, monkeypatch)
    assert a.n == b.n
    if a.dense:
        np.testing.assert_array_equal(a.q, b.q)
    else:
        for name in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(a.q, name), getattr(b.q, name), err_msg=name)
    for name in ("r_conv", "r_value", "start"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert all(np.array_equal(x, y) for x, y in zip(a.holding, b.holding, strict=True))


def test_compiled_solver_agrees_with_lu(compiled: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each removal solve of a 1,000-state chain against SuperLU on the kept states."""
    paths = synthetic_paths(6000, 9, seed=5, max_len=10)
    chain = mk.build_chain(paths, 3)
    assert chain.compact is not None and chain.n > 500
    for c in range(len(paths.channels)):
        keep = np.ones(chain.n, dtype=bool)
        keep[chain.holding[c]] = False
        got = mk._masked_solve(chain, keep, chain.r_conv, None)
        idx = np.flatnonzero(keep)
        a = sp.csc_matrix(sp.identity(idx.size) - chain.q.matrix[idx][:, idx])
        want = np.zeros(chain.n)
        want[idx] = spla.spsolve(a, chain.r_conv[idx])
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)
        assert not got[~keep].any()


def test_removal_solves_on_threads_match_numpy(compiled: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled iterative route (on two threads) and the numpy one (forked) give the same
    credits to rounding; both are checked against the residual bound."""
    paths = synthetic_paths(3000, 8, seed=4)
    monkeypatch.setattr(mk, "DENSE_MAX", 10)
    monkeypatch.setattr(mk, "DIRECT_MAX", 20)
    monkeypatch.setattr(mk, "PARALLEL_MIN_STATES", 1)
    monkeypatch.setattr(mk, "workers", lambda: 2)
    native = markov(paths, 3)
    monkeypatch.setenv("WANAMAKER_KERNELS", "numpy")
    twin = markov(paths, 3)
    np.testing.assert_allclose(native.removal_effects, twin.removal_effects, rtol=1e-11)
    np.testing.assert_allclose(native.value, twin.value, rtol=1e-11)
    assert native.conversions.sum() == pytest.approx(float(paths.conversions.sum()), rel=1e-12)


def test_fractional_journeys_use_the_csr_solver(compiled: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts that are not whole numbers cannot be held exactly in float32: no compact matrix,
    the CSR route solves, and the answer is the same as with whole counts scaled."""
    paths = synthetic_paths(3000, 8, seed=6)
    monkeypatch.setattr(mk, "DENSE_MAX", 10)
    monkeypatch.setattr(mk, "DIRECT_MAX", 20)
    halves = paths.with_counts(paths.conversions * 0.5, paths.value * 0.5, paths.nulls * 0.5)
    assert mk.build_chain(halves, 2).compact is None
    assert mk.build_chain(paths, 2).compact is not None
    np.testing.assert_allclose(markov(halves, 2).removal_effects, markov(paths, 2).removal_effects, rtol=1e-10)


def test_kernels_refuse_arrays_that_do_not_fit(compiled: object) -> None:
    chain = mk.build_chain(synthetic_paths(6000, 9, seed=2), 3)
    assert chain.compact is not None
    chunk_ptr, perm, col0, scale, delta, cnt = chain.compact
    b = chain.r_conv.copy()
    keep = np.ones(chain.n, dtype=np.uint8)
    bad_perm = perm.copy()
    bad_perm[0] = bad_perm[1]  # one row twice, another never
    with pytest.raises(ValueError, match="do not form a square system"):
        compiled.bicgstab(chunk_ptr, bad_perm, col0, scale, delta, cnt, keep, b, np.zeros(chain.n), 1e-15, 10)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="do not form a square system"):
        compiled.bicgstab(chunk_ptr, perm, col0, scale, delta, cnt, keep[:-1], b, np.zeros(chain.n), 1e-15, 10)  # type: ignore[attr-defined]
    p = from_sequences([["a", "b"]], [1])
    out = [np.zeros(3 ** 2), np.zeros(3, dtype=np.uint8)] + [np.zeros(3) for _ in range(4)]
    with pytest.raises(ValueError, match="do not fit together"):  # a step code past the channels
        compiled.count_transitions(np.array([0, 5], dtype=np.int32), p.offsets, p.conversions, p.value,  # type: ignore[attr-defined]
                                   p.nulls, 1, 3, *out)


def test_reader_parts_merge_their_names(compiled: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file read in many parts (one per thread): names first seen in different parts, and names
    equal only after trimming, get one code each, as in one part."""
    f = tmp_path / "p.csv"
    rng = np.random.default_rng(3)
    names = ["a", " a ", "b", "paid search", "x" * 40, "é"]
    lines = ["path,total_conversions,total_null"]
    for i in range(400):
        pool = names[: 2 + i * len(names) // 400]  # later parts see names earlier ones did not
        lines.append(">".join(rng.choice(pool, int(rng.integers(1, 5)))) + f",{i % 3},{i % 5}")
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = paths_file.read_paths(f)
    monkeypatch.setattr(paths_file, "_PART_MIN_BYTES", 64)
    monkeypatch.setattr(paths_file, "workers", lambda: 7)
    assert len(paths_file._parts(f.read_bytes(), len(lines[0]) + 1, 7)) == 7  # type: ignore[arg-type]
    parts = paths_file.read_paths(f)
    assert parts.channels == whole.channels == ("a", "b", "paid search", "x" * 40, "é")
    for name in ("offsets", "steps", "conversions", "value", "nulls"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(whole, name), err_msg=name)
    monkeypatch.setenv("WANAMAKER_KERNELS", "numpy")
    twin = paths_file.read_paths(f)
    for name in ("offsets", "steps", "conversions", "value", "nulls"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(twin, name), err_msg=name)
