"""One app worker's worth of work for the multiprocess test: an HTTP request through the real middleware, an
event through `observed_event`, a dry-run budget import through `run_import` (FY39, rolled back) and two
figures-cache lookups, all writing into PROMETHEUS_MULTIPROC_DIR. With `--scrape` it then drops the dead
workers' live gauges and prints what /metrics would answer.

`python -m tests.observability.metrics_worker WORKBOOK [--scrape]`, DATABASE_URL naming the test database.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from sqlmodel import Session
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from opex_app.api.http_metrics import HttpMetricsMiddleware
from opex_app.auth.permissions import cli_principal
from opex_app.db import get_engine
from opex_app.domain.fiscal import FiscalYear
from opex_app.services import cache, metrics
from opex_app.services.imports import ImportOptions, run_import
from opex_app.state.event_metrics import observed_event

FY = FiscalYear(2039)


def _http() -> None:
    inner = Starlette(routes=[Route("/things/{thing_id}", lambda request: PlainTextResponse("ok"))])
    client = TestClient(HttpMetricsMiddleware(inner, routes=inner.routes), client=("127.0.0.1", 1))
    assert client.get("/things/7").status_code == 200


async def _event() -> None:
    async with observed_event("WorkerState.work", guarded=False):
        pass


def _import(workbook: Path) -> None:
    with Session(get_engine()) as session:
        options = ImportOptions(fiscal_year=FY, dry_run=True)
        result = run_import(session, cli_principal(), "budget", workbook, file_name=workbook.name, options=options)
        assert result.status == "dry-run", result.message
        session.rollback()


def _cache() -> None:
    for _ in range(2):  # a miss, then a hit (no REDIS_URL: this process's memory)
        cache.get_or_compute("metrics-test", ("worker",), lambda session: 1)


def main() -> None:
    _http()
    asyncio.run(_event())
    _import(Path(sys.argv[1]))
    _cache()
    metrics.record_pool({"primary": {"checked_out": 1, "size": 5, "overflow": 0, "capacity": 15}})
    if "--scrape" in sys.argv:
        dead = metrics.forget_dead_processes()
        print(json.dumps({"dead": dead}))
        print(metrics.render().decode())


if __name__ == "__main__":
    main()
