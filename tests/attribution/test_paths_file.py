"""The ``--paths`` reader: the fast reader (compiled, and its numpy twin) and Arrow's CSV reader
give identical paths. Every test runs with each kernel."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.kernels import KERNELS, use_kernel
from wanamaker.attribution import paths_file
from wanamaker.attribution.paths import Paths
from wanamaker.errors import InputFileError

COLS = ("path", "total_conversions", "total_conversion_value", "total_null", ">")
ARROW = paths_file._read_arrow  # the general reader, before any test refuses it


def both(file: Path, sep: str = ">") -> tuple[Paths, Paths]:
    fast = paths_file.read_paths(file, sep=sep)
    general = paths_file._read_arrow(file, *COLS[:4], sep)
    return fast, general


def assert_same(a: Paths, b: Paths) -> None:
    assert a.channels == b.channels
    for name in ("offsets", "steps", "conversions", "value", "nulls"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def decoded(p: Paths) -> list[tuple[list[str], float, float, float]]:
    return [([p.channels[s] for s in p.steps[p.offsets[i]:p.offsets[i + 1]]], float(p.conversions[i]),
             float(p.value[i]), float(p.nulls[i])) for i in range(p.n_paths)]


@pytest.fixture(autouse=True, params=KERNELS)
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the compiled kernels, then with their numpy twins."""
    return use_kernel(str(request.param), monkeypatch)


@pytest.fixture
def no_arrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the general reader is used: the file must take the fast route."""
    def refuse(*args: object) -> Paths:
        raise AssertionError("the fast reader declined this file")

    monkeypatch.setattr(paths_file, "_read_arrow", refuse)


def test_fast_route_reads_the_common_shape(tmp_path: Path, no_arrow: None) -> None:
    f = tmp_path / "p.csv"
    # an empty step ("a >  > b"), an empty path (dropped), no newline at the end, decimals
    f.write_text("path,total_conversions,total_conversion_value,total_null\n"
                 "paid search > email,2,150.50,1\n"
                 "email,0,0,3\n"
                 "a >  > b,1,0.1,0\n"
                 ",4,4,4\n"
                 "email > paid search > email,10,007,")
    p = paths_file.read_paths(f)
    assert decoded(p) == [
        (["paid search", "email"], 2.0, 150.5, 1.0),
        (["email"], 0.0, 0.0, 3.0),
        (["a", "b"], 1.0, 0.1, 0.0),
        (["email", "paid search", "email"], 10.0, 7.0, 0.0),
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("plain", "path,total_conversions,total_null\na > b > c,3,1\nc > a,1,2\nb,0,4\n"),
        ("no spaces", "path,total_conversions,total_null\na>b>c,3,1\nc>a,1,2\n"),
        ("tab", "path\ttotal_conversions\ttotal_null\na > b\t3\t1\nb\t0\t2\n"),
        ("semicolon, path last", "total_null;total_conversions;path\n1;3;a > b\n2;0;b\n"),
        ("extra text column holding the separator", "id,path,note,total_conversions\n1,a > b,x > y,2\n2,b,,1\n"),
        ("bom", "\ufeffpath,total_conversions,total_null\na > b,1,1\n"),
        ("crlf", "path,total_conversions,total_null\r\na > b,1,1\r\nb,2,0\r\n"),
        ("quoted", 'path,total_conversions,total_null\n"a > b",1,1\n"b, c",2,0\n'),
        ("exponent", "path,total_conversions,total_null\na > b,1e2,1\nb,2.5,0\n"),
        ("blank line", "path,total_conversions,total_null\na > b,1,1\n\nb,2,0\n"),
        ("unicode", "path,total_conversions,total_null\nrégion > 広告 > e-mail,1,1\n広告,2,0\n"),
        ("long step", "path,total_conversions\n" + "x" * 70 + " > y,1\ny,2\n"),
        ("leading zeros and big", "path,total_conversions,total_null\na,000012,999999999999999\nb,0.000,1.250\n"),
    ],
)
def test_readers_agree(tmp_path: Path, name: str, content: str) -> None:
    f = tmp_path / "p.csv"
    f.write_bytes(content.encode("utf-8"))
    fast, general = both(f)
    assert_same(fast, general)
    assert fast.n_paths > 0


def test_gzip_goes_to_arrow(tmp_path: Path) -> None:
    f = tmp_path / "p.csv.gz"
    f.write_bytes(gzip.compress(b"path,total_conversions,total_null\na > b,1,1\nb,2,0\n"))
    p = paths_file.read_paths(f)
    assert decoded(p) == [(["a", "b"], 1.0, 1.0, 1.0), (["b"], 2.0, 2.0, 0.0)]


def test_other_separator(tmp_path: Path, no_arrow: None) -> None:
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na | b | a,1\n")
    assert decoded(paths_file.read_paths(f, sep="|")) == [(["a", "b", "a"], 1.0, 1.0, 0.0)]


def test_missing_column_names_the_fix(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("route,conversions\na > b,1\n")
    with pytest.raises(InputFileError, match="no column path, total_conversions") as err:
        paths_file.read_paths(f)
    assert "--path-col" in (err.value.fix or "")


def test_bad_number_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na > b,many\n")
    with pytest.raises(InputFileError, match="cannot parse paths file"):
        paths_file.read_paths(f)


def test_hash_collisions_are_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one-bucket tables every step collides: the verification must notice and fall back."""
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na > b > c,1\nc,2\n")
    monkeypatch.setattr(paths_file, "_HASH_TRIES", ((1, paths_file._MIX[0]),))
    fast, general = both(f)
    assert_same(fast, general)


def test_collision_retries_with_a_wider_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             no_arrow: None) -> None:
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions\na > b > c,1\nc,2\n")
    monkeypatch.setattr(paths_file, "_HASH_TRIES", ((1, paths_file._MIX[0]), (20, paths_file._MIX[0])))
    assert decoded(paths_file.read_paths(f)) == [(["a", "b", "c"], 1.0, 1.0, 0.0), (["c"], 2.0, 2.0, 0.0)]


def test_many_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_arrow: None) -> None:
    """Lines are read a few bytes at a time here: chunk edges fall everywhere, results do not move."""
    f = tmp_path / "p.csv"
    rng = np.random.default_rng(1)
    names = ["paid search", "email", "x", "a-much-longer-channel-name-than-eight-bytes"]
    lines = ["path,total_conversions,total_null"]
    for _ in range(300):
        k = int(rng.integers(1, 6))
        lines.append(" > ".join(rng.choice(names, k)) + f",{int(rng.integers(0, 5))},{int(rng.integers(0, 9))}")
    for ending in ("\n", ""):
        f.write_text("\n".join(lines) + ending)
        monkeypatch.setattr(paths_file, "_CHUNK_BYTES", 4 << 20)
        whole = paths_file.read_paths(f)
        monkeypatch.setattr(paths_file, "_CHUNK_BYTES", 37)
        assert_same(paths_file.read_paths(f), whole)
        assert whole.n_paths == 300


def test_long_and_many_step_names(tmp_path: Path, kernel: str, request: pytest.FixtureRequest) -> None:
    """Names that share their first 8 bytes (the compiled reader keys short steps by one word),
    names of 8, 9, 16 and 17 bytes, enough names to grow the compiled step table twice, and a
    last line without its newline that ends a byte after a step. (The numpy twin's buckets may
    collide on 1,500 names; it then hands the file to Arrow, which is its rule.)"""
    if kernel == "compiled":
        request.getfixturevalue("no_arrow")
    f = tmp_path / "long.csv"
    names = [f"campaign_{i:04d}_spring" for i in range(1500)] + ["abcdefgh", "abcdefghi", "a" * 16, "a" * 17]
    rng = np.random.default_rng(5)
    lines, used = ["path,total_conversions,total_null"], {"abcdefgh", "x"}
    for i in range(3000):
        steps = list(rng.choice(names, int(rng.integers(1, 6))))
        used.update(steps)
        lines.append(" > ".join(steps) + f",{i % 4},{i % 7}")
    lines.append("abcdefgh > x,1,0")
    f.write_text("\n".join(lines), encoding="utf-8")
    general = ARROW(f, *COLS[:4], ">")
    fast = paths_file.read_paths(f)
    assert_same(fast, general)
    assert fast.channels == tuple(sorted(used)) and len(used) > 1024
    assert decoded(fast)[-1] == (["abcdefgh", "x"], 1.0, 1.0, 0.0)


NAMES = st.text(alphabet="ab c_-é>", min_size=0, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.lists(NAMES, min_size=1, max_size=6), st.integers(0, 10**6),
                               st.integers(0, 999) | st.just(-1)), min_size=1, max_size=30))
def test_readers_agree_on_random_files(tmp_path: Path, rows: list[tuple[list[str], int, int]]) -> None:
    f = tmp_path / "random.csv"
    lines = ["path,total_conversions,total_null"]
    for steps, conv, nulls in rows:
        lines.append(f"{'>'.join(steps)},{conv},{'' if nulls < 0 else nulls}")
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        general = paths_file._read_arrow(f, *COLS[:4], ">")
    except InputFileError:
        return  # e.g. every path empty: Arrow cannot type the column either way
    assert_same(paths_file.read_paths(f), general)
