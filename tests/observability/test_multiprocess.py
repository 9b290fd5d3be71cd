"""One scrape covers every worker: two processes write into one PROMETHEUS_MULTIPROC_DIR (the second after the
first has exited, as after a worker restart) and the second's /metrics text holds both processes' counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.domain.workbooks import write_workbook
from tests.observability.metrics_worker import FY
from tests.observability.scraped import sample

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["UID", "Description", "Tower", "Vendor", "Currency", "Service Start", *FY.month_labels()]


def _worker(workbook: Path, directory: Path, database_url: str, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env |= {"PROMETHEUS_MULTIPROC_DIR": str(directory), "DATABASE_URL": database_url, "OPEX_ENV": "test"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.observability.metrics_worker", str(workbook), *flags],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_two_processes_are_summed_in_one_scrape(database_url: str, tmp_path: Path) -> None:
    rows = [[f"FY39-MET-{n}", "Metrics", "Metrics Tower", "Metrics Vendor", "INR", None, *[100] * 12] for n in (1, 2)]
    workbook = write_workbook(tmp_path / "budget.xlsx", [HEADER, *rows])
    directory = tmp_path / "metrics"
    directory.mkdir()

    _worker(workbook, directory, database_url)
    done = _worker(workbook, directory, database_url, "--scrape")
    first_line, text = done.stdout.split("\n", 1)
    assert len(json.loads(first_line)["dead"]) == 1, "the first worker's pid, gone"

    http = {"method": "GET", "route": "/things/{thing_id}", "status": "200"}
    assert sample(text, "opex_http_request_duration_seconds_count", **http) == 2
    assert sample(text, "opex_events_total", handler="WorkerState.work", outcome="ok") == 2
    assert sample(text, "opex_event_duration_seconds_count", handler="WorkerState.work", outcome="ok") == 2
    assert sample(text, "opex_import_rows_total", kind="budget", outcome="dry-run") == 4  # 2 rows, twice
    assert sample(text, "opex_import_duration_seconds_count", kind="budget", outcome="dry-run") == 2
    assert sample(text, "opex_cache_lookups_total", namespace="metrics-test", result="miss") == 2
    assert sample(text, "opex_cache_lookups_total", namespace="metrics-test", result="hit") == 2
    assert sample(text, "opex_cache_compute_seconds_total", namespace="metrics-test") is not None
    # a live gauge: the dead worker's figure was dropped, only the live one's remains
    assert sample(text, "opex_db_pool_connections", engine="primary", state="checked_out") == 1
    assert sample(text, "opex_db_pool_connections", engine="primary", state="capacity") == 15
