"""What the metrics and log lines cost per HTTP request and per event, and what a scrape costs, against the same
work without them, in one process and in multiprocess mode (PROMETHEUS_MULTIPROC_DIR; the script re-runs itself
for that mode, since prometheus-client chooses its storage when first imported).

    .venv/bin/python tests/benchmarks/bench_observability.py [CALLS] [--workers N]

`--workers N`: the scrape is also timed with N workers' files in the directory (each with every series).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks._common import machine


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _requests(app: Any, calls: int) -> float:
    scope = {"type": "http", "method": "GET", "path": "/api/downloads/abc", "root_path": "", "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        return None

    started = time.perf_counter()
    for _ in range(calls):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / calls


async def _events(calls: int, observed: bool) -> float:
    from opex_app.state.event_metrics import observed_event

    started = time.perf_counter()
    for _ in range(calls):
        if observed:
            async with observed_event("BenchState.work", guarded=True):
                pass
        else:
            await asyncio.sleep(0)
    return (time.perf_counter() - started) / calls


def measure(calls: int, workers: int) -> None:
    from opex_app.api.http_metrics import HttpMetricsMiddleware
    from opex_app.api.routes import api
    from opex_app.services import log_lines, metrics

    log_lines.configure_logging(stream=io.StringIO(), structured=True)  # formatting counted, no terminal in the way
    mode = "multiprocess" if metrics.multiprocess_dir() else "one process"
    bare = asyncio.run(_requests(_bare, calls))
    wrapped = asyncio.run(_requests(HttpMetricsMiddleware(_bare, routes=api.routes), calls))
    plain = asyncio.run(_events(calls, observed=False))
    observed = asyncio.run(_events(calls, observed=True))
    logging.getLogger(log_lines.APP_LOGGER).setLevel(logging.WARNING)  # the same without the log lines
    wrapped_quiet = asyncio.run(_requests(HttpMetricsMiddleware(_bare, routes=api.routes), calls))
    observed_quiet = asyncio.run(_events(calls, observed=True))
    print(
        f"{mode}: HTTP request {bare * 1e6:.1f} us bare, {wrapped * 1e6:.1f} us with metrics and log line "
        f"(+{(wrapped - bare) * 1e6:.1f} us, of which the log line {(wrapped - wrapped_quiet) * 1e6:.1f} us)"
    )
    print(f"{mode}: event +{(observed - plain) * 1e6:.1f} us for timing, counting and the log line "
          f"(of which the log line {(observed - observed_quiet) * 1e6:.1f} us)")  # fmt: skip
    started = time.perf_counter()
    size = len(metrics.render())
    print(f"{mode}: scrape {(time.perf_counter() - started) * 1e3:.1f} ms ({size:,} bytes)")
    directory = metrics.multiprocess_dir()
    if directory is not None and workers > 1:
        own = [f for f in directory.iterdir() if f.name.endswith(f"_{os.getpid()}.db")]
        for n in range(1, workers):
            for f in own:
                (directory / f.name.replace(f"_{os.getpid()}.db", f"_{10_000_000 + n}.db")).write_bytes(f.read_bytes())
        started = time.perf_counter()
        size = len(metrics.render())
        print(f"{mode}: scrape with {workers} workers' files {(time.perf_counter() - started) * 1e3:.1f} ms "
              f"({size:,} bytes)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("calls", nargs="?", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        measure(args.calls, args.workers)
        return
    print(machine())
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    command = [sys.executable, __file__, str(args.calls), "--workers", str(args.workers), "--child"]
    subprocess.run(command, env=env, check=True)
    with tempfile.TemporaryDirectory(prefix="opex-bench-metrics-") as directory:
        subprocess.run(command, env=env | {"PROMETHEUS_MULTIPROC_DIR": directory}, check=True)


if __name__ == "__main__":
    main()
