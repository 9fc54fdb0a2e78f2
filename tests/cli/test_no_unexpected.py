"""Every CLI command given bad options or bad inputs: the exit code says who is at fault (2 for a usage
error, 1 for anything else) and the message is the command's own, never "unexpected ... report it"
(issue 11, finding 8). The "unexpected" path is kept for real defects only."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

import wanamaker
from support.data import write_csv
from wanamaker.cli.app import main


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small DuckDB workspace (a few people, touches and stages) and the files the cases name."""
    base = tmp_path_factory.mktemp("cli")
    root = wanamaker.init(base / "ws")
    people = write_csv(base / "people.csv", [{"person_id": f"p{i}", "created_at": f"2026-01-0{i + 1}"} for i in range(3)])
    touches = write_csv(base / "touchpoints.csv", [
        {"touch_id": "t1", "person_id": "p0", "ts": "2026-01-02", "channel": "email"},
        {"touch_id": "t2", "person_id": "p1", "ts": "2026-01-03", "channel": "paid_search"}])
    stages = write_csv(base / "stage_events.csv", [
        {"subject_type": "person", "subject_id": "p0", "stage": "lead", "ts": "2026-01-03"},
        {"subject_type": "person", "subject_id": "p0", "stage": "opportunity", "ts": "2026-01-10"},
        {"subject_type": "person", "subject_id": "p1", "stage": "lead", "ts": "2026-01-04"}])
    with wanamaker.open(root) as ws:
        for table, f in (("people", people), ("touchpoints", touches), ("stage_events", stages)):
            assert ws.load([f], table=table).quarantined == 0
    (base / "bad.yml").write_text("x: [\n")
    (base / "negative.csv").write_text("path,total_conversions,total_null\na > b,-5,1\n")
    (base / "header.csv").write_text("path,total_conversions,total_null\n")
    (base / "wide.csv").write_text("path,total_conversions,total_null\n" + "".join(
        f"c{i} > c{(i + 1) % 6000},1,1\n" for i in range(6000)))
    os.mkfifo(base / "fifo")
    return {"ws": str(root), "tmp": str(base), "people": str(people), "bad_yaml": str(base / "bad.yml"),
            "negative": str(base / "negative.csv"), "header": str(base / "header.csv"),
            "wide": str(base / "wide.csv"), "fifo": str(base / "fifo"), "missing": str(base / "missing.csv")}


Case = tuple[str, int, Callable[[dict[str, str]], list[str]]]

CASES: list[Case | object] = [
    # init
    ("init over a workspace", 2, lambda c: ["init", c["ws"]]),
    ("init with an unknown engine", 1, lambda c: ["init", c["tmp"] + "/new", "--connection", "bogus://x"]),
    ("init under a file", 1, lambda c: ["init", c["people"] + "/sub"]),
    ("init with an unknown option", 2, lambda c: ["init", c["tmp"] + "/x", "--bogus"]),
    ("an unknown command", 2, lambda c: ["bogus"]),
    # load
    ("load without a way to read", 2, lambda c: ["load", c["people"], "-w", c["ws"]]),
    ("load a missing file", 1, lambda c: ["load", c["missing"], "--table", "people", "-w", c["ws"]]),
    ("load into an unknown table", 2, lambda c: ["load", c["people"], "--table", "bogus", "-w", c["ws"]]),
    ("load with an unknown preset", 2, lambda c: ["load", c["people"], "--preset", "bogus", "-w", c["ws"]]),
    ("load --retry with files", 2, lambda c: ["load", "--retry", c["people"], "-w", c["ws"]]),
    ("load with a missing mapping", 1, lambda c: ["load", c["people"], "--map", c["missing"], "-w", c["ws"]]),
    ("load with a broken mapping", 1, lambda c: ["load", c["people"], "--map", c["bad_yaml"], "-w", c["ws"]]),
    ("load with an unknown encoding", 2,
     lambda c: ["load", c["people"], "--table", "people", "--encoding", "bogus", "-w", c["ws"]]),
    ("load a folder", 1, lambda c: ["load", c["tmp"], "--table", "people", "-w", c["ws"]]),
    ("load a fifo", 1, lambda c: ["load", c["fifo"], "--table", "people", "-w", c["ws"]]),
    # tables, quarantine, sql, check
    ("tables without a workspace", 1, lambda c: ["tables", "-w", c["tmp"] + "/nowhere"]),
    ("tables in an unknown format", 2, lambda c: ["tables", "--format", "xml", "-w", c["ws"]]),
    ("quarantine with a negative limit", 2, lambda c: ["quarantine", "--limit", "-1", "-w", c["ws"]]),
    ("quarantine of an unknown table", 2, lambda c: ["quarantine", "--table", "bogus", "-w", c["ws"]]),
    ("sql that writes", 2, lambda c: ["sql", "DELETE FROM people", "-w", c["ws"]]),
    ("sql that is empty", 2, lambda c: ["sql", "", "-w", c["ws"]]),
    ("sql over an unknown table", 2, lambda c: ["sql", "SELECT * FROM nope", "-w", c["ws"]]),
    ("sql reading a host file", 2, lambda c: ["sql", "SELECT content FROM read_text('/etc/passwd')", "-w", c["ws"]]),
    ("check without a workspace", 1, lambda c: ["check", "-w", c["tmp"] + "/nowhere"]),
    # funnel, sla, alignment
    ("funnel --within 0d", 2, lambda c: ["funnel", "--cohort", "--within", "0d", "-w", c["ws"]]),
    ("funnel --within -3d", 2, lambda c: ["funnel", "--within", "-3d", "-w", c["ws"]]),
    ("funnel --stall 0h", 2, lambda c: ["funnel", "--stall", "0h", "-w", c["ws"]]),
    ("funnel --period weekly", 2, lambda c: ["funnel", "--period", "weekly", "-w", c["ws"]]),
    ("funnel --as-of 2026-13-45", 2, lambda c: ["funnel", "--as-of", "2026-13-45", "-w", c["ws"]]),
    ("funnel --as-of far future", 2, lambda c: ["funnel", "--as-of", "9999-12-31", "-w", c["ws"]]),
    ("funnel --stages with one stage", 2, lambda c: ["funnel", "--stages", "mql", "-w", c["ws"]]),
    ("funnel --stages empty", 2, lambda c: ["funnel", "--stages", "", "-w", c["ws"]]),
    ("funnel --level team", 2, lambda c: ["funnel", "--level", "team", "-w", c["ws"]]),
    ("funnel --by bogus", 2, lambda c: ["funnel", "--by", "bogus", "-w", c["ws"]]),
    ("funnel --show bogus", 2, lambda c: ["funnel", "--show", "bogus", "-w", c["ws"]]),
    ("funnel --period outside a workspace", 2, lambda c: ["funnel", "--period", "weekly", "-w", c["tmp"] + "/x"]),
    ("sla --by bogus", 2, lambda c: ["sla", "--by", "bogus", "-w", c["ws"]]),
    ("sla --open --by rep", 2, lambda c: ["sla", "--open", "--by", "rep", "-w", c["ws"]]),
    ("sla --as-of 2026-02-30", 2, lambda c: ["sla", "--as-of", "2026-02-30", "-w", c["ws"]]),
    ("alignment --period weekly", 2, lambda c: ["alignment", "--period", "weekly", "-w", c["ws"]]),
    ("alignment as csv without a section", 2, lambda c: ["alignment", "--format", "csv", "-w", c["ws"]]),
    # attribute
    ("attribute --order 0", 2, lambda c: ["attribute", "--model", "markov", "--order", "0", "-w", c["ws"]]),
    ("attribute --order 9", 2, lambda c: ["attribute", "--model", "markov", "--order", "9", "-w", c["ws"]]),
    ("attribute --order without markov", 2, lambda c: ["attribute", "--order", "2", "-w", c["ws"]]),
    ("attribute --model bogus", 2, lambda c: ["attribute", "--model", "bogus", "-w", c["ws"]]),
    ("attribute --from 2026-13-45", 2, lambda c: ["attribute", "--from", "2026-13-45", "-w", c["ws"]]),
    ("attribute --from after --to", 2,
     lambda c: ["attribute", "--from", "2026-03-01", "--to", "2026-01-01", "-w", c["ws"]]),
    ("attribute --lookback -3d", 2, lambda c: ["attribute", "--lookback", "-3d", "-w", c["ws"]]),
    ("attribute --lookback huge", 2, lambda c: ["attribute", "--lookback", "1000000000d", "-w", c["ws"]]),
    ("attribute --replicates 0", 2, lambda c: ["attribute", "--ci", "--replicates", "0", "-w", c["ws"]]),
    ("attribute --seed -1", 2, lambda c: ["attribute", "--seed", "-1", "-w", c["ws"]]),
    ("attribute --milestone bogus", 2, lambda c: ["attribute", "--milestone", "bogus", "-w", c["ws"]]),
    ("attribute --value bogus", 2, lambda c: ["attribute", "--value", "bogus", "-w", c["ws"]]),
    ("attribute --level bogus", 2, lambda c: ["attribute", "--level", "bogus", "-w", c["ws"]]),
    ("attribute --by bogus", 2, lambda c: ["attribute", "--by", "bogus", "-w", c["ws"]]),
    ("attribute --evaluate --paths", 2, lambda c: ["attribute", "--evaluate", "--paths", c["negative"], "-w", c["ws"]]),
    ("attribute --evaluate without truth", 1, lambda c: ["attribute", "--evaluate", "-w", c["ws"]]),
    ("attribute --order 0 outside a workspace", 2,
     lambda c: ["attribute", "--model", "markov", "--order", "0", "-w", c["tmp"] + "/x"]),
    ("attribute --sep ''", 2, lambda c: ["attribute", "--paths", c["negative"], "--sep", ""]),
    ("attribute --paths with --lookback", 2, lambda c: ["attribute", "--paths", c["negative"], "--lookback", "9d"]),
    ("attribute --paths missing", 1, lambda c: ["attribute", "--paths", c["missing"]]),
    ("attribute --paths a folder", 1, lambda c: ["attribute", "--paths", c["tmp"]]),
    ("attribute --paths a fifo", 1, lambda c: ["attribute", "--paths", c["fifo"]]),
    ("attribute --paths negative", 1, lambda c: ["attribute", "--paths", c["negative"]]),
    ("attribute --paths header only", 1, lambda c: ["attribute", "--paths", c["header"]]),
    ("attribute --paths not a CSV", 1, lambda c: ["attribute", "--paths", c["bad_yaml"]]),
    ("attribute markov order 4 over 6,000 channels", 1,
     lambda c: ["attribute", "--paths", c["wide"], "--model", "markov", "--order", "4"]),
    # demo
    ("demo --size huge", 2, lambda c: ["demo", c["tmp"] + "/demo", "--size", "huge"]),
    ("demo --seed -1", 2, lambda c: ["demo", c["tmp"] + "/demo", "--seed", "-1"]),
    ("demo --end 2026-13-45", 2, lambda c: ["demo", c["tmp"] + "/demo", "--end", "2026-13-45"]),
    ("demo --end 0001-01-01", 2, lambda c: ["demo", c["tmp"] + "/demo", "--end", "0001-01-01"]),
    ("demo into a file", 2, lambda c: ["demo", c["people"]]),
    ("demo over a workspace", 2, lambda c: ["demo", c["ws"], "--size", "small"]),
]


def _id(case: object) -> str:
    values = getattr(case, "values", case)
    return str(values[0])  # type: ignore[index]


@pytest.mark.parametrize(("name", "code", "args"), CASES, ids=[_id(c) for c in CASES])
def test_bad_invocation_exits_with_its_own_message(ctx: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                   name: str, code: int,
                                                   args: Callable[[dict[str, str]], list[str]]) -> None:
    capsys.readouterr()
    try:
        main(args(ctx))
        got = 0
    except SystemExit as exc:
        got = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "unexpected" not in err, err
    assert got == code, err
    assert "error" in err.lower(), err  # a message, not a silent exit
