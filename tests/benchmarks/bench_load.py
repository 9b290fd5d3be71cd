"""Load benchmark (issue 10): simulated users on real event sockets against the app's backend with 1, 2 and 4
workers, Redis state manager and PostgreSQL holding 100,000 budget lines, 20,000 POs and 1,000,000 actuals.
Target: p95 at most 200 ms at 100 concurrent users on 2 workers, zero errors.

    .venv/bin/python tests/benchmarks/bench_load.py [--users 25,50,100,200] [--workers 1,2,4] [--seconds 40]
        [--server-cpus 0] [--generator-cpu 1] [--redis-url URL] [--database NAME | --fresh] [--drop]
        [--profile DIR] [--smoke]

Each user (load_users.py) is a browser tab on its own websocket speaking the frontend's event protocol
(load_socket.py): logged in beforehand (`sessions.login`, not measured), it opens the dashboard, changes a
filter, opens the budget grid, pages it, opens a line and goes back to the dashboard, thinking 0.5-1.5 s
(uniform) between actions. For each load, users start spread over `--ramp` seconds, then for `--seconds` the
script counts the round trips completed (latency: event sent → its answer), the events they sent, errors, and the
CPU time used by the app's processes (supervisor + workers), by PostgreSQL's backends on the load database and
by this process (the load generator), read from /proc, and how late the generator's own event loop wakes (`gen
lag`, p95 of a 50 ms sleep's overshoot: what a starved generator adds to every latency).

The app (`reflex run --env prod --backend-only`, granian workers, no proxy in front) is pinned with `taskset`
to `--server-cpus` and this process to `--generator-cpu` (default: the last CPU for the generator, the others for
the app). PostgreSQL and Redis are not pinned (they are the machine's shared servers). The ratio column compares
each run with the 1-worker run at the same load (the baseline, measured in the same run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import load_server
from tests.benchmarks._common import machine, scratch_database
from tests.benchmarks.load_data import Sizes, drop_database, ensure_database, sign_in
from tests.benchmarks.load_users import THINK_SECONDS, Protocol, Results, Target, User

TARGET_P95_MS, TARGET_USERS, TARGET_WORKERS = 200.0, 100, 2
READY_SECONDS = 10.0
HEADROOM = 0.6  # size for 60 % CPU: room for bursts, imports and exports


@dataclass
class Run:
    workers: int
    users: int
    seconds: float
    results: Results
    app_cpu: float
    pg_cpu: float
    redis_cpu: float | None
    generator_cpu: float
    generator_lag: list[float]  # how late this process's event loop woke (a starved generator inflates latencies)

    @property
    def round_trips(self) -> list[float]:
        return [s for kind, values in self.results.latencies.items() for s in values]

    @property
    def events_per_s(self) -> float:
        return self.results.events_sent / self.seconds

    @property
    def actions_per_s(self) -> float:
        return len(self.round_trips) / self.seconds

    @property
    def errors(self) -> int:
        return sum(self.results.errors.values())

    def percentile(self, q: int, values: list[float] | None = None) -> float:
        data = sorted(self.round_trips if values is None else values)
        if not data:
            return float("nan")
        if len(data) == 1:
            return data[0] * 1000
        return statistics.quantiles(data, n=100, method="inclusive")[q - 1] * 1000

    def cpu_ms_per_event(self, cpu: float) -> float:
        return cpu / self.results.events_sent * 1000 if self.results.events_sent else float("nan")


async def _load(
    protocol: Protocol,
    server: load_server.Server,
    pg: load_server.PostgresCpu,
    tokens: list[str],
    args: argparse.Namespace,
    workers: int,
    users: int,
    run_id: str,
    seconds: float,
    phase: str = "load",
) -> Run:
    results = Results()
    target = Target("127.0.0.1", server.port, server.origin, args.timeout)
    tabs = [
        User(protocol, target, results, tokens[i], f"loadbench-{run_id}-{phase}{workers}w{users}u-{i}", seed=i)
        for i in range(users)
    ]

    async def start(i: int, user: User) -> None:
        await asyncio.sleep(args.ramp * i / users)
        await user.run()

    tasks = [asyncio.create_task(start(i, user)) for i, user in enumerate(tabs)]
    # the window opens once every tab has loaded its first dashboard, or READY_SECONDS after the ramp (a tab still
    # connecting then is counted in the window, as "connect + dashboard")
    waits = [asyncio.create_task(user.ready.wait()) for user in tabs]
    await asyncio.wait(waits, timeout=args.ramp + READY_SECONDS)
    for wait in waits:
        wait.cancel()
    app0, pg0, redis0 = server.cpu_seconds(), pg.snapshot(), load_server.redis_cpu_seconds()
    gen0, wall0 = time.process_time(), time.perf_counter()
    lag: list[float] = []
    lag_task = asyncio.create_task(_loop_lag(lag))
    results.measuring = True
    await asyncio.sleep(seconds)
    results.measuring = False
    lag_task.cancel()
    wall = time.perf_counter() - wall0
    gen = time.process_time() - gen0
    app, pg1, redis1 = server.cpu_seconds() - app0, pg.snapshot(), load_server.redis_cpu_seconds()
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=10)  # the users' sockets close; one that cannot is left behind
    return Run(
        workers,
        users,
        wall,
        results,
        app,
        pg.used(pg0, pg1),
        None if redis0 is None or redis1 is None else redis1 - redis0,
        gen / wall,
        lag,
    )


async def _loop_lag(samples: list[float], period: float = 0.05) -> None:
    while True:
        start = time.perf_counter()
        await asyncio.sleep(period)
        samples.append(time.perf_counter() - start - period)


def _clean_redis(url: str, run_id: str) -> tuple[int, int]:
    """Delete this run's tab states from Redis; returns how many tabs had state there and their bytes."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"loadbench-{run_id}-*", count=1000))
    tabs = {key.split(b"_", 1)[0] for key in keys}
    size = 0
    for key in keys:
        size += int(client.memory_usage(key) or 0)  # type: ignore[arg-type]
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(tabs), size


def _fmt(value: float, width: int, digits: int = 0) -> str:
    return f"{value:>{width}.{digits}f}" if value == value else f"{'-':>{width}}"


def _print_table(runs: list[Run]) -> None:
    base = {r.users: r for r in runs if r.workers == 1}
    print(
        f"  {'workers':>7} {'users':>5} {'events/s':>8} {'actions/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'errors':>6} {'app CPU':>7} {'app ms/ev':>9} {'pg ms/ev':>8} {'gen CPU':>7} {'gen lag':>7}"
        "  vs 1 worker (events/s, p95)"
    )
    for r in runs:
        b = base.get(r.users)
        ratio = (
            f"x{r.events_per_s / b.events_per_s:4.2f}, x{b.percentile(95) / r.percentile(95):4.2f} faster"
            if b and b is not r and b.events_per_s
            else ""
        )
        print(
            f"  {r.workers:>7} {r.users:>5} {_fmt(r.events_per_s, 8, 1)} {_fmt(r.actions_per_s, 9, 1)}"
            f" {_fmt(r.percentile(50), 7)} {_fmt(r.percentile(95), 7)} {_fmt(r.percentile(99), 7)} {r.errors:>6}"
            f" {_fmt(r.app_cpu / r.seconds * 100, 6)}% {_fmt(r.cpu_ms_per_event(r.app_cpu), 9, 1)}"
            f" {_fmt(r.cpu_ms_per_event(r.pg_cpu), 8, 1)} {_fmt(r.generator_cpu * 100, 6)}%"
            f" {_fmt(r.percentile(95, r.generator_lag), 5)}ms  {ratio}"
        )


def _print_kinds(runs: list[Run]) -> None:
    kinds = sorted({kind for r in runs for kind in r.results.latencies})
    print("  p95 ms by action (round trips in the window):")
    print(f"    {'workers/users':<14}" + "".join(f"{kind[:22]:>24}" for kind in kinds))
    for r in runs:
        cells = []
        for kind in kinds:
            values = r.results.latencies.get(kind, [])
            cells.append(f"{_fmt(r.percentile(95, values), 8)} ({len(values):>5})" if values else f"{'-':>16}")
        print(f"    {f'{r.workers} / {r.users}':<14}" + "".join(f"{c:>24}" for c in cells))


def _knee(runs: list[Run], workers: int) -> str:
    mine = [r for r in runs if r.workers == workers]
    ok = [r.users for r in mine if r.percentile(95) <= TARGET_P95_MS and r.errors == 0]
    over = [r.users for r in mine if r.users not in ok]
    if not over:
        return f"not reached (p95 <= {TARGET_P95_MS:.0f} ms up to {max(ok)} users)" if ok else "no run"
    first_over = min(over)
    below = [u for u in ok if u < first_over]
    return f"between {max(below)} and {first_over} users" if below else f"at or below {first_over} users"


def _summary(runs: list[Run]) -> None:
    target = next((r for r in runs if r.workers == TARGET_WORKERS and r.users == TARGET_USERS), None)
    if target:
        met = target.percentile(95) <= TARGET_P95_MS and target.errors == 0
        print(
            f"  target p95 <= {TARGET_P95_MS:.0f} ms, 0 errors at {TARGET_USERS} users on {TARGET_WORKERS} workers:"
            f" p95 {target.percentile(95):.0f} ms, {target.errors} errors -> {'MET' if met else 'MISSED'}"
        )
    for workers in sorted({r.workers for r in runs}):
        best = max((r for r in runs if r.workers == workers), key=lambda r: r.events_per_s)
        print(
            f"  {workers} worker(s): p95 over {TARGET_P95_MS:.0f} ms (or errors) {_knee(runs, workers)};"
            f" most events/s {best.events_per_s:.0f} (at {best.users} users, app CPU {best.app_cpu / best.seconds:.0%})"
        )
    measured = [r for r in runs if r.results.events_sent]
    if not measured:
        return
    # CPU per event hardly depends on the load; events per user do (a user waiting on a slow answer sends less),
    # so the rate is taken where the answers were quickest: the lowest load.
    app = statistics.median(r.cpu_ms_per_event(r.app_cpu) for r in measured)
    pg = statistics.median(r.cpu_ms_per_event(r.pg_cpu) for r in measured)
    quickest = min(measured, key=lambda r: r.percentile(50))
    rate = quickest.events_per_s / quickest.users
    print(
        f"  server CPU per event (median of all runs): app {app:.1f} ms + PostgreSQL {pg:.1f} ms;"
        f" a user sends {rate:.2f} events/s (at {quickest.users} users on {quickest.workers} worker(s), p50"
        f" {quickest.percentile(50):.0f} ms)"
    )
    redis = [r.cpu_ms_per_event(r.redis_cpu) for r in measured if r.redis_cpu is not None]
    if redis:
        print(
            f"  redis-server CPU per event {statistics.median(redis):.1f} ms"
            " (the whole server, shared with its other users)"
        )
    print(f"  sizing (app cores = events/s x app CPU per event / {HEADROOM:.0%} utilisation, one worker per core):")
    for users in (10, 100, 500, 2000):
        events = users * rate
        busy = events * app / 1000
        print(
            f"    {users:>5} users: {events:6.0f} events/s x {app:.1f} ms = {busy:6.2f} cores busy -> "
            f"{max(1, math.ceil(busy / HEADROOM)):>3} app cores/workers;"
            f" PostgreSQL {events * pg / 1000:5.2f} cores busy"
        )


def main(args: argparse.Namespace) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    generator_cpu = args.generator_cpu if args.generator_cpu is not None else cpus[-1]
    server_cpus = args.server_cpus or ",".join(str(c) for c in cpus if c != generator_cpu) or str(generator_cpu)
    os.sched_setaffinity(0, {generator_cpu})  # what `taskset -c` does, for this process and its threads
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints where a stalled run is waiting
    sizes = Sizes(args.lines, args.pos, args.actuals)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        name = args.database
        if args.fresh:
            name = stack.enter_context(scratch_database(migrate=False)).rsplit("/", 1)[-1]
        elif args.drop:
            stack.callback(drop_database, name)
        url, how = ensure_database(name, sizes)
        tokens = sign_in(url, max(args.users))
        protocol = Protocol.of_app()
        print(
            f"load benchmark, {machine()}; app pinned to CPU {server_cpus}, load generator to CPU {generator_cpu}"
            f" (taskset); PostgreSQL and Redis not pinned"
        )
        print(
            f"  data: {sizes.lines:,} budget lines, {sizes.pos:,} POs, {sizes.actuals:,} actuals ({how});"
            f" {len(tokens)} sessions minted; setup {time.perf_counter() - started:.0f} s"
        )
        print(
            f"  each load: {args.ramp:g} s ramp, then {args.seconds:g} s measured; users think"
            f" {THINK_SECONDS[0]}-{THINK_SECONDS[1]} s between actions; session token"
            f" {'in the cookie and localStorage' if protocol.storage_var else 'in the cookie'}",
            flush=True,
        )
        runs = [run for workers in args.workers for run in _runs(args, protocol, url, tokens, workers, server_cpus)]
        print("  all runs:")
        _print_table(runs)
        _print_kinds(runs)
        _summary(runs)
        if args.smoke and any(r.errors or not r.round_trips for r in runs):
            raise SystemExit("smoke run: errors, or no round trip answered in the window")


def _runs(
    args: argparse.Namespace, protocol: Protocol, url: str, tokens: list[str], workers: int, server_cpus: str
) -> list[Run]:
    """Every load on one app start with `workers` workers (after an unmeasured warm-up)."""
    run_id = uuid.uuid4().hex[:8]
    log = Path(tempfile.mkdtemp(prefix="opex-bench-load-")) / f"app-{workers}w.log"
    profile = Path(args.profile) / f"{workers}w" if args.profile else None
    server = load_server.start(
        database_url=url, redis_url=args.redis_url, workers=workers, cpus=server_cpus, log=log, profile_dir=profile
    )
    runs = []
    try:
        pg = load_server.PostgresCpu(url)
        if args.warmup:  # not measured: the workers' imports, pools and the figures cache warm up
            asyncio.run(
                _load(protocol, server, pg, tokens, args, workers, min(args.users), run_id, args.warmup, "warm")
            )
        for users in args.users:
            run = asyncio.run(_load(protocol, server, pg, tokens, args, workers, users, run_id, args.seconds))
            runs.append(run)
            _print_table([run])
            for sample in run.results.error_samples:
                print(f"      error: {sample}")
            sys.stdout.flush()
        rss = [p.memory_info().rss / 2**20 for p in server.processes() if p.pid != server.process.pid]
        print(f"  {workers} worker(s): resident memory per worker {max(rss):.0f} MB (largest); app log {log}")
        if profile is not None:
            server.dump_profiles()
            time.sleep(2)
            load_server.print_profile(profile)
    finally:
        server.stop()
        tabs, size = _clean_redis(args.redis_url, run_id)
        if tabs:
            print(f"  Redis: {tabs} tabs' states, {size / tabs / 1024:.0f} KB per tab (deleted)")
    return runs


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=_ints, default=[25, 50, 100, 200], help="concurrent users per load")
    parser.add_argument("--workers", type=_ints, default=[1, 2, 4], help="app worker processes per run")
    parser.add_argument("--seconds", type=float, default=40.0, help="measured window of each load")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds after each app start")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which a load's users start")
    parser.add_argument("--timeout", type=float, default=30.0, help="a round trip without answer after it fails")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--pos", type=int, default=20_000)
    parser.add_argument("--actuals", type=int, default=1_000_000)
    parser.add_argument("--database", default="opex_bench_load", help="kept between runs while the sizes match")
    parser.add_argument("--fresh", action="store_true", help="a scratch database, dropped after the run")
    parser.add_argument("--drop", action="store_true", help="drop --database after the run")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/6",
    )
    parser.add_argument("--server-cpus", help="taskset CPU list for the app (default: all but the generator's)")
    parser.add_argument("--generator-cpu", type=int, help="CPU for this process (default: the last one)")
    parser.add_argument("--profile", help="write each worker's cProfile of its event loop under this folder")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny data, to check it works")
    args = parser.parse_args(argv)
    if args.smoke:
        args.users, args.workers, args.seconds, args.ramp, args.warmup = [3], [1], 4.0, 1.0, 3.0
        args.lines, args.pos, args.actuals, args.fresh = 300, 60, 3000, True
    return args


if __name__ == "__main__":
    main(parse())
