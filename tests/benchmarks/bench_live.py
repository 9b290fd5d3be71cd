"""A change reaches an open dashboard on another worker in under 2 s: the delay from a budget-line edit's
commit in one process to the moment every dashboard waiting in ANOTHER process (another worker) has been
woken by that process's version watcher, through LISTEN and through the once-a-second poll fallback.

    .venv/bin/python tests/benchmarks/bench_live.py [--changes N] [--dashboards N] [--poll-seconds S]

The watcher process runs one `VersionWatcher` and `--dashboards` coroutines awaiting `wait_for_change` (the
open dashboards of that worker); it prints the time the last of them woke for each version. This process
edits one budget line (an UPDATE, which the statement trigger versions like any write path) and commits,
spaced by a random pause so that commits fall at every phase of the watcher's poll. Both clocks are
CLOCK_MONOTONIC, which Linux shares between processes. Excluded: recomputing the figures on the woken
dashboard (a cache miss; see bench_figures) and the browser's websocket round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psycopg
from sqlalchemy.engine import make_url

from tests.benchmarks._common import ROOT, child_env, machine, scratch_database

TARGET_SECONDS = 2.0


async def _watch(url: str, mode: str, poll_seconds: float, dashboards: int, changes: int) -> None:
    """The other worker: one watcher, `dashboards` waiting coroutines; prints `SEEN version t` per change."""
    from opex_app.services.data_version import VersionWatcher

    watcher = VersionWatcher(url, mode=mode, poll_seconds=poll_seconds).start()  # type: ignore[arg-type]
    if not await asyncio.to_thread(watcher.ready.wait, 30):
        raise SystemExit("the watcher never connected")
    seen = watcher.version
    print(f"READY {seen}", flush=True)
    for _ in range(changes):
        while True:
            woken = await asyncio.gather(*(watcher.wait_for_change(seen, 60) for _ in range(dashboards)))
            at = time.monotonic()
            if min(woken) > seen:
                break
        seen = min(woken)
        print(f"SEEN {seen} {at:.6f}", flush=True)
    watcher.stop()


def _seed(url: str) -> int:
    """One FY and one budget line; returns the line's id."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO fiscal_year (name, end_year, start_month, start_date, end_date, is_closed) "
            "VALUES ('FY27', 2027, 4, '2026-04-01', '2027-03-31', false)"
        )
        row = conn.execute(
            "INSERT INTO budget_line (fiscal_year_id, uid, currency_code, m01, version, created_by, created_at) "
            "SELECT id, 'LIVE-1', 'INR', 100, 1, 'bench', now() FROM fiscal_year RETURNING id"
        ).fetchone()
        assert row is not None
        return int(row[0])


def _measure(url: str, mode: str, *, changes: int, dashboards: int, poll_seconds: float) -> list[float]:
    """Seconds from each commit to the last dashboard of the other process being woken."""
    line_id = _seed_once(url)
    command = [sys.executable, __file__, "--child", url, mode, str(poll_seconds), str(dashboards), str(changes)]
    watcher = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    try:
        ready = watcher.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError(f"the watcher process did not start: {ready}")
        expected, delays = int(ready[1]), []
        spread = poll_seconds if mode == "poll" else 0.1
        with psycopg.connect(url) as writer:
            for _ in range(changes):
                time.sleep(random.uniform(0, spread))  # spreads commits over the poll phase; not a synchronisation
                writer.execute("UPDATE budget_line SET m01 = m01 + 1, version = version + 1 WHERE id = %s", (line_id,))
                committed = time.monotonic()
                writer.commit()
                expected += 1
                seen = watcher.stdout.readline().split()  # waits for the other process to report the change
                if len(seen) != 3 or int(seen[1]) != expected:
                    raise RuntimeError(f"expected version {expected}, the watcher reported {seen}")
                delays.append(float(seen[2]) - committed)
        watcher.wait(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    return delays


_seeded: dict[str, int] = {}


def _seed_once(url: str) -> int:
    if url not in _seeded:
        _seeded[url] = _seed(url)
    return _seeded[url]


def _report(label: str, delays: list[float], dashboards: int) -> None:
    ms = sorted(d * 1000 for d in delays)
    verdict = "under" if max(ms) < TARGET_SECONDS * 1000 else "OVER"
    print(
        f"  {label:<22} median {statistics.median(ms):7.1f} ms   max {ms[-1]:7.1f} ms   min {ms[0]:6.1f} ms   "
        f"({len(ms)} changes, {dashboards} dashboards each; {verdict} the {TARGET_SECONDS:.0f} s target)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--dashboards", type=int, default=50, help="coroutines waiting in the other process")
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"bench_live on {machine()}")
    with scratch_database() as sa_url:
        url = make_url(sa_url).set(drivername="postgresql").render_as_string(hide_password=False)
        print(f"commit of a budget-line edit -> woken dashboards in another process ({args.changes} changes):")
        for label, mode in (("LISTEN", "listen"), ("poll fallback", "poll")):
            delays = _measure(
                url, mode, changes=args.changes, dashboards=args.dashboards, poll_seconds=args.poll_seconds
            )
            _report(f"{label} ({args.poll_seconds:g} s)" if mode == "poll" else label, delays, args.dashboards)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--child":
        _, _, child_url, child_mode, child_poll, child_dashboards, child_changes = sys.argv
        asyncio.run(_watch(child_url, child_mode, float(child_poll), int(child_dashboards), int(child_changes)))
    else:
        main()
