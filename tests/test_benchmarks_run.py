"""The benchmark scripts keep working: each runs end to end on small sizes and prints its figures.

(The figures themselves are for the README, not asserted: targets are met in benchmarks, not timed tests.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("bench_import.py", ["300", "200"], ["in process", "whole processes", "naive openpyxl"]),
        ("bench_import_long.py", ["--lines", "300"], ["3,600 rows", "read_excel", "300 lines created", "ratio"]),
        ("bench_import_csv.py", ["--lines", "300"], ["read_csv + COPY", "300 lines created", "ratio"]),
        ("bench_export.py", ["300", "100"], ["300 lines", "peak memory"]),
        ("bench_export_variance.py", ["--members", "300"], ["300 members", "write_variance_workbook", "peak memory"]),
        ("bench_month_layout.py", ["2000"], ["twelve columns", "one row per month"]),
        (
            "bench_import_actuals.py",
            ["--rows", "300", "--stored", "3000"],
            ["read_excel", "270 created, 30 duplicates skipped", "300 duplicates skipped", "ratio"],
        ),
        (
            "bench_hostile.py",
            ["--lines", "300", "--repeats", "2000"],
            ["one UID on 4,000 rows", "ratio for twice the rows (CPU)", "inflate count", "bounded subprocess"],
        ),
        (
            "bench_figures.py",
            ["--lines", "300", "--pos", "60", "--actuals", "3000"],
            ["300 lines, 60 POs, 150 PO lines, 3,000 actuals", "line detail figures", "grid page figures"],
        ),
        (
            "bench_dashboard.py",
            ["--lines", "300", "--pos", "60", "--actuals", "3000"],
            ["300 lines, 60 POs, 3,000 actuals", "figures_frame, whole FY (3,600 rows)", "KPIs Bench Tower 3", "ratio"],
        ),
        ("bench_observability.py", ["200", "--workers", "2"], ["one process: HTTP request", "scrape with 2 workers"]),
        (
            "bench_load.py",
            ["--smoke"],
            ["3 sessions minted", "p95 ms by action", "server CPU per event", "2000 users"],
        ),
        (
            "bench_live.py",
            ["--changes", "2", "--dashboards", "5", "--poll-seconds", "0.2", "--lines", "30"],
            ["LISTEN ", "poll fallback (0.2 s)", "2 changes, 5 dashboards each", "hit median"],
        ),
    ],
)
def test_benchmark_script_runs(
    database_url: str, tmp_path: Path, script: str, args: list[str], expected: list[str]
) -> None:
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "OPEX_BENCH_REPEAT": "1", "OPEX_BENCH_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "benchmarks" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for text in expected:
        assert text in done.stdout
