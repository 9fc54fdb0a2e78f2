"""The web app under load (issue 16): concurrent signed-in clients against the demo on DuckDB and on PostgreSQL,
p50/p95/max latency per page, errors, requests/s. Not in CI (tests/benchmarks/test_web_smoke.py runs it at smoke
size). ``--record`` appends the tables to benchmarks/RESULTS-web.md with the command that produced them.

    python benchmarks/web_load.py --engine both --record
    python benchmarks/web_load.py --smoke

The server is ``uvicorn.run(create_app(ws, secure_cookies=False, warm=True))`` in a separate process
(``python benchmarks/web_load.py --serve ROOT PORT``), so the clients (asyncio + httpx, one process) never share its
GIL. Every client holds its own exec session and its own sales session and loops over :func:`pages` in a new random
order each round, with no pause between requests (a closed loop). Results are cached per data version in the app, so
each page is first requested once, untimed as load (the warm-up, reported on its own), then measured.

DuckDB: ``wanamaker demo ROOT --size SIZE --seed 42``. PostgreSQL: a throw-away server started the way the tests
start one (tests/support/servers.py), a workspace made by ``wanamaker.init(ROOT, connection=URL)`` with the DuckDB
demo's wanamaker.yml and plan.yml (after the demo's calibration), each of the DuckDB demo's contract tables written to
Parquet and loaded with ``ws.load(file, table=NAME)`` in the order the demo first loaded it, its ground truth tables
copied and its analyses run (``run_analyses``). ``wanamaker demo`` has no ``--connection``, and replaying its exports
fails on PostgreSQL at the first ``--upsert`` pass (:func:`build_postgres_demo`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS-web.md"
USERS = {"exec": ("bench-exec", "exec"), "sales": ("bench-sales", "sales")}  # session -> (username, role)
PASSWORD = "a long password 123"
EXEC_PAGES = ("/", "/goals", "/funnel", "/attribution", "/economics", "/alignment", "/work", "/calendar", "/waste",
              "/api/scorecard", "/api/funnel")
GOAL_P95_MS = 150.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TRUTH_TABLES = ("ground_truth", "ground_truth_experiments", "demo_planted")


def pages(channel: str) -> list[tuple[str, str]]:
    """(session, path) of every page measured: the exec's views, one drill-down, the sales user's leads."""
    from urllib.parse import quote

    return [*(("exec", p) for p in EXEC_PAGES), ("exec", f"/attribution/channel/{quote(channel, safe='')}"),
            ("sales", "/leads")]


# ---------------------------------------------------------------------------------------------- the server process
def serve(root: str, port: int) -> None:
    """The server entry: open the workspace, add the two users if missing, serve the app on 127.0.0.1:PORT."""
    import uvicorn

    import wanamaker
    from wanamaker.web import create_app
    from wanamaker.web.users import add_user, list_users

    ws = wanamaker.open(root)
    for username, role in USERS.values():
        if username not in {u.username for u in list_users(ws)}:
            add_user(ws, username, role, PASSWORD)
    app = create_app(ws, secure_cookies=False, warm=True)
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    finally:
        ws.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(root: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(root), str(port)],
                                stdout=fh, stderr=subprocess.STDOUT, cwd=str(root))


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log: Path, timeout: float = 600.0) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(base + "/login", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn shuts down and the workspace is closed
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------------- the clients
@dataclass
class PageStats:
    session: str
    path: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful or not
    errors: int = 0
    samples: list[str] = field(default_factory=list)  # the first few errors, for the report

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(what)


@dataclass
class EngineResult:
    engine: str
    clients: int
    seconds: float  # the measured window, until the last request came back
    startup: float  # the server process started -> /login answers
    warmup: float  # the server answered -> one client signed in and had every page once, one after another
    warmup_pages: dict[str, float]
    signin: float  # the other clients' sign-ins (two sessions each), one after another
    pages: list[PageStats]
    client_cpu: float  # CPU seconds of the client process during the measured window
    load_before: float
    load_after: float
    server_log: str | None = None  # kept when a request failed

    @property
    def requests(self) -> int:
        return sum(len(p.latencies) for p in self.pages)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.pages)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (``quantile_cont``, DESIGN "Parity traps")."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


async def _sign_in(client: Any, username: str) -> None:
    form = await client.get("/login")
    found = CSRF.search(form.text)
    if form.status_code != 200 or not found:
        raise RuntimeError(f"GET /login answered {form.status_code} without a csrf_token")
    r = await client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": found.group(1),
                                          "next": "/"})
    if r.status_code != 303 or "wm_session" not in client.cookies:
        raise RuntimeError(f"signing in as {username} answered {r.status_code}, not 303 with a session cookie")


async def _drive(base: str, plan: list[tuple[str, str]], clients: int, seconds: float, seed: int,
                 ready: float) -> tuple[float, dict[str, float], float, list[PageStats], float, float]:
    import httpx

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    made: list[dict[str, Any]] = []
    try:
        for _ in range(clients):
            made.append({s: httpx.AsyncClient(base_url=base, timeout=600, limits=limits) for s in USERS})
        # warm-up, from the moment the server answered: the first client signs in and asks for each page once,
        # one after another (the app's own background warm-up, begun at start, holds the workspace meanwhile)
        warm: dict[str, float] = {}
        for s, client in made[0].items():
            t = time.perf_counter()
            await _sign_in(client, USERS[s][0])
            warm[f"sign-in as {s}"] = time.perf_counter() - t
        for s, path in plan:
            t = time.perf_counter()
            r = await made[0][s].get(path)
            warm[f"`{path}`"] = time.perf_counter() - t
            if r.status_code != 200:
                raise RuntimeError(f"warm-up: GET {path} as {s} answered {r.status_code}: {r.text[:300]}")
        warmup = time.perf_counter() - ready
        t = time.perf_counter()
        for sessions in made[1:]:  # one at a time: a sign-in hashes a password under the workspace lock
            for s, client in sessions.items():
                await _sign_in(client, USERS[s][0])
        signin = time.perf_counter() - t
        stats = {p: PageStats(s, p) for s, p in plan}
        deadline = time.perf_counter() + seconds

        async def worker(i: int) -> None:
            rng = random.Random(seed + i)
            order = list(plan)
            while time.perf_counter() < deadline:
                rng.shuffle(order)
                for s, path in order:
                    if time.perf_counter() >= deadline:
                        return
                    st = stats[path]
                    t = time.perf_counter()
                    try:
                        r = await made[i][s].get(path)
                        if r.status_code != 200:
                            st.error(f"{r.status_code}: {r.text[:200]!r}")
                    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                        st.error(f"{type(exc).__name__}: {exc}")
                    st.latencies.append(time.perf_counter() - t)

        cpu0, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        return warmup, warm, signin, list(stats.values()), elapsed, cpu
    finally:
        for sessions in made:
            for client in sessions.values():
                await client.aclose()


def pick_channel(root: Path) -> str:
    """The channel with the most campaigns (ties by name): the drill-down measured."""
    import wanamaker

    with wanamaker.open(root, read_only=True) as ws:
        rows = ws.sql("SELECT channel, count(*) AS n FROM campaigns WHERE channel IS NOT NULL GROUP BY channel "
                      "ORDER BY n DESC, channel LIMIT 1").to_pylist()
    if not rows:
        raise RuntimeError(f"{root} has no campaigns to drill down to")
    return str(rows[0]["channel"])


def measure(root: Path, *, engine: str = "duckdb", clients: int = 50, seconds: float = 60.0, seed: int = 0,
            channel: str | None = None) -> EngineResult:
    """Serve the workspace ``root`` in its own process, sign ``clients`` clients in, warm every page, then measure
    ``seconds`` of closed-loop load. The workspace gains the two benchmark users."""
    root = Path(root).resolve()
    channel = channel or pick_channel(root)  # before the server holds a DuckDB workspace's file
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="wanamaker-web-", suffix=".log")[1])
    t0 = time.perf_counter()
    proc = _start_server(root, port, log)
    try:
        _wait_ready(proc, base, log)
        ready = time.perf_counter()
        startup = ready - t0
        load_before = os.getloadavg()[0]
        warmup, warm, signin, stats, elapsed, cpu = asyncio.run(_drive(base, pages(channel), clients, seconds, seed, ready))
        load_after = os.getloadavg()[0]
    finally:
        _stop_server(proc)
    result = EngineResult(engine, clients, elapsed, startup, warmup, warm, signin, stats, cpu, load_before, load_after)
    if result.errors:  # the server's own account of them (uvicorn logs a failing request's traceback)
        result.server_log = str(log)
    else:
        log.unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------------------------------------- workspaces
def build_duckdb_demo(root: Path, size: str, seed: int) -> float:
    """``wanamaker demo ROOT --size SIZE --seed SEED`` as a user runs it; the seconds it took."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from wanamaker.cli.app import main; main()", "demo", str(root),
                    "--size", size, "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def load_order(ws: Any) -> list[str]:
    """The contract tables of the workspace ``ws`` that hold rows, in the order its loads first wrote each (so a
    table is loaded after those its rows refer to), then any others."""
    import json

    from wanamaker.schema.contracts import TABLES

    order: list[str] = []
    for row in ws.sql("SELECT counts FROM _loads WHERE status = 'completed' ORDER BY started_at").to_pylist():
        counts = json.loads(row["counts"] or "[]")
        for item in counts if isinstance(counts, list) else [counts]:
            if item.get("table") in TABLES and item["table"] not in order:
                order.append(item["table"])
    order += sorted(n for n in TABLES if n not in order and ws.has_table(n))
    return [n for n in order if int(ws.table(n).count().execute())]


def build_postgres_demo(demo: Path, root: Path, url: str) -> tuple[float, dict[str, tuple[int, int]]]:
    """The DuckDB demo ``demo`` rebuilt on the PostgreSQL database ``url`` in the workspace folder ``root``: its
    configuration and plan; each contract table as the demo loaded it, written to Parquet and loaded with
    ``ws.load(file, table=NAME)``; its ground truth; its analyses. Returns the seconds it took and the row counts of
    the contract tables on (DuckDB, PostgreSQL).

    Not the demo's own exports through its ``LOADS``: two of them are ``--upsert`` passes, and an upsert fails on
    PostgreSQL (``PostgresStore.commit`` copies every column out of the key-only delete table: "Binder Error:
    Referenced column account_id not found")."""
    import pyarrow.parquet as pq

    import wanamaker
    from wanamaker.demo.run import run_analyses
    from wanamaker.schema.contracts import TABLES

    t = time.perf_counter()
    wanamaker.init(root, connection=url)
    config = (demo / "wanamaker.yml").read_text(encoding="utf-8")
    config, n = re.subn(r"(?m)^connection:.*$", f"connection: {url}", config)
    if n != 1:
        raise RuntimeError(f"{demo / 'wanamaker.yml'} has no single connection line")
    (root / "wanamaker.yml").write_text(config, encoding="utf-8")
    shutil.copyfile(demo / "plan.yml", root / "plan.yml")  # already sized by the demo's calibration
    parquet = root / "from-duckdb"
    parquet.mkdir()
    with wanamaker.open(demo, read_only=True) as duck:
        truth = {name: duck.table(name).to_pyarrow() for name in TRUTH_TABLES}
        order = load_order(duck)
        duck_counts: dict[str, int] = {}
        for name in order:
            data = duck.table(name).select([c.name for c in TABLES[name].columns]).to_pyarrow()
            pq.write_table(data, parquet / f"{name}.parquet")
            duck_counts[name] = data.num_rows
    with wanamaker.open(root) as ws:
        for name in order:
            ws.load([str(parquet / f"{name}.parquet")], table=name)
        for name, table in truth.items():
            ws.write_table(name, table, mode="replace")
        failed = {k: v for k, v in run_analyses(ws, lambda _s: None).items()
                  if isinstance(v, str) and v.startswith("failed:")}
        if failed:
            print(f"PostgreSQL demo: analyses that failed: {failed}", file=sys.stderr)
        counts = {n: (duck_counts[n], int(ws.table(n).count().execute())) for n in order}
    shutil.rmtree(parquet)
    return time.perf_counter() - t, counts


# ---------------------------------------------------------------------------------------------- the report
def table(result: EngineResult) -> list[str]:
    def ms(x: float) -> str:
        return f"{x * 1000:,.0f}"

    lines = ["| page | as | requests | p50 ms | p95 ms | max ms | errors |", "|---|---|---:|---:|---:|---:|---:|"]
    for p in result.pages:
        lines.append(f"| `{p.path}` | {p.session} | {len(p.latencies):,} | {ms(quantile(p.latencies, 0.5))} | "
                     f"{ms(quantile(p.latencies, 0.95))} | {ms(max(p.latencies, default=float('nan')))} | {p.errors} |")
    every = [x for p in result.pages for x in p.latencies]
    lines.append(f"| **all pages** | | {len(every):,} | {ms(quantile(every, 0.5))} | {ms(quantile(every, 0.95))} | "
                 f"{ms(max(every, default=float('nan')))} | {result.errors} |")
    return lines


def verdict(result: EngineResult) -> str:
    over = [(p.path, quantile(p.latencies, 0.95) * 1000) for p in result.pages
            if not p.latencies or quantile(p.latencies, 0.95) * 1000 >= GOAL_P95_MS]
    errors = "zero errors" if result.errors == 0 else f"**{_n(result.errors, 'error')}**"
    if not over:
        return f"Verdict: goal met: every page's p95 is under {GOAL_P95_MS:.0f} ms, {errors}."
    worst = ", ".join(f"`{p}` {v:,.0f} ms" for p, v in sorted(over, key=lambda x: -x[1]))
    return (f"Verdict: goal missed on {len(over)} of {len(result.pages)} pages (p95 at or over "
            f"{GOAL_P95_MS:.0f} ms: {worst}); {errors}.")


def block(result: EngineResult, built: str) -> list[str]:
    slowest = sorted(result.warmup_pages.items(), key=lambda kv: -kv[1])[:3]
    return [
        f"#### {result.engine}",
        "",
        f"{built}. Server start (process start to `/login` answering, the app's background warm-up begun): "
        f"{result.startup:.1f} s. Warm-up (from then until one client had signed in and requested each page once, "
        "one after another; not part of the measured load): "
        f"**{result.warmup:.1f} s** (the longest waits: {', '.join(f'{p} {s:.1f} s' for p, s in slowest)}).",
        "",
        f"{result.clients} clients for {result.seconds:.1f} s: **{result.requests:,} requests, {result.rps:,.0f} "
        f"requests/s**, {_n(result.errors, 'error')}. Client process CPU {result.client_cpu:.0f} s "
        f"({result.client_cpu / result.seconds:.0%} of one core); the {2 * (result.clients - 1)} other sign-ins before it "
        f"took {result.signin:.1f} s; load average {result.load_before:.1f} before, "
        f"{result.load_after:.1f} after.",
        "",
        *table(result),
        "",
        verdict(result),
        *([""] + [f"Errors on `{p.path}`: " + "; ".join(f"`{x}`" for x in p.samples) for p in result.pages
                  if p.errors] + [f"Server log kept: {result.server_log}"] if result.errors else []),
    ]


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def record(lines: list[str]) -> None:
    cmd = "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]])
    head = "" if RESULTS.exists() else (
        "# The web app under load\n\nEach block: `benchmarks/web_load.py` serves the demo with uvicorn in its own "
        "process and drives\nconcurrent signed-in clients (asyncio + httpx, one process) over every page in a random "
        "order with no\npause (a closed loop), after one untimed warm-up request per page. Goal (issue 16): p95 under "
        "150 ms per page\nand zero errors. Run from a fresh clone with the command above each block.\n")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(head + f"\n### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\nCommand: `{cmd}`\n\n" + "\n".join(lines)
                 + "\n")


def _machine() -> str:
    import importlib.util

    import fastapi
    import httpx
    import uvicorn

    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio loop"
    return (f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, uvicorn {uvicorn.__version__} "
            f"({parser}, {loop}), FastAPI {fastapi.__version__}, httpx {httpx.__version__}; clients and server "
            "share the cores (and the PostgreSQL server, for that engine).")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="both", choices=("duckdb", "postgres", "both"))
    ap.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=42, help="the demo's seed")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--demo", type=Path, help="an existing `wanamaker demo` folder to copy instead of building one")
    ap.add_argument("--smoke", action="store_true", help="small demo, 5 clients, 5 s, DuckDB only")
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS-web.md")
    ap.add_argument("--serve", nargs=2, metavar=("ROOT", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.smoke:
        args.engine, args.size, args.clients, args.seconds = "duckdb", "small", 5, 5.0
    engines = ("duckdb", "postgres") if args.engine == "both" else (args.engine,)
    lines = [_machine(), ""]
    with tempfile.TemporaryDirectory(prefix="wanamaker-web-") as tmp:
        duck = Path(tmp) / "duckdb"
        if args.demo:
            shutil.copytree(args.demo, duck, ignore=shutil.ignore_patterns("reports"))
            built = f"Demo copied from {args.demo}"
        else:
            print(f"Building the {args.size} demo (seed {args.seed}) on DuckDB…", file=sys.stderr)
            built = f"`wanamaker demo --size {args.size} --seed {args.seed}` built in {build_duckdb_demo(duck, args.size, args.seed):.0f} s"
        channel = pick_channel(duck)
        results: list[EngineResult] = []
        for engine in engines:
            if engine == "duckdb":
                print(f"Measuring DuckDB: {args.clients} clients for {args.seconds:.0f} s…", file=sys.stderr)
                res = measure(duck, engine="DuckDB", clients=args.clients, seconds=args.seconds, channel=channel)
                lines += block(res, built) + [""]
            else:
                sys.path.insert(0, str(ROOT / "tests"))
                from support.servers import start_postgres

                server = start_postgres()
                try:
                    url = server.create_database("wanamaker_web_bench")
                    print("Loading the demo into PostgreSQL…", file=sys.stderr)
                    secs, counts = build_postgres_demo(duck, Path(tmp) / "postgres", url)
                    diff = {n: c for n, c in counts.items() if c[0] != c[1]}
                    same = "the same rows as DuckDB in every contract table" if not diff else \
                        f"row counts that differ from DuckDB: {diff}"
                    print(f"Measuring PostgreSQL: {args.clients} clients for {args.seconds:.0f} s…", file=sys.stderr)
                    res = measure(Path(tmp) / "postgres", engine="PostgreSQL", clients=args.clients,
                                  seconds=args.seconds, channel=channel)
                    pg_version = subprocess.run([str(server.bindir / "postgres"), "--version"], capture_output=True,
                                                text=True).stdout.strip().replace("postgres (PostgreSQL)", "PostgreSQL")
                    lines += block(res, f"The same demo loaded into {pg_version} ({secs:.0f} s; {same})") + [""]
                finally:
                    server.stop()
            results.append(res)
    lines.append(f"Drill-down measured: `/attribution/channel/{channel}` (the channel with the most campaigns).")
    print("\n".join(lines))
    if args.record:
        record(lines)
    if any(r.errors for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
