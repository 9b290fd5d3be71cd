"""Shared helpers for the benchmark scripts: a scratch database, timing and peak memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

SERVER = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("OPEX_BENCH_DIR", tempfile.gettempdir())) / "opex-bench"


def repeat_count(default: int) -> int:
    """How many times each measurement is taken (the best is kept): OPEX_BENCH_REPEAT, else `default`."""
    return int(os.environ.get("OPEX_BENCH_REPEAT", str(default)))


def cached_file(name: str, write: Callable[[Path], Any]) -> Path:
    """A generated input file kept between runs in the benchmark folder (written once by `write(path)`)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / name
    if not path.exists():
        partial = path.with_name(f".{name}.partial{path.suffix}")
        write(partial)
        partial.rename(path)  # an interrupted generation is not mistaken for a finished file
    return path


def machine() -> str:
    return f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of `repeat` runs and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@contextmanager
def scratch_database(migrate: bool = True) -> Iterator[str]:
    """A fresh database on the benchmark server (migrated to head), dropped afterwards."""
    from sqlalchemy.engine import make_url

    name = f"opex_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(SERVER).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            from opex_app.migrate import upgrade

            upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def use_database(url: str) -> None:
    """Point opex_app at `url` (settings and engine are cached per process)."""
    os.environ["DATABASE_URL"] = url
    from opex_app.db import reset_engine
    from opex_app.settings import get_settings

    get_settings.cache_clear()
    reset_engine()


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one child process (`python -m ...` or `python -c ...`)."""
    with tempfile.NamedTemporaryFile() as peak:
        wrapped = [args[0], str(Path(__file__).with_name("_peak.py")), *args[1:]]
        start = time.perf_counter()
        done = subprocess.run(
            wrapped, cwd=ROOT, env={**env, "OPEX_PEAK_FILE": peak.name}, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{args[:4]} exited {done.returncode}: {done.stderr[-2000:]} {done.stdout[:2000]}")
        return wall, int(Path(peak.name).read_text()) / 1024, done.stdout


def print_processes(rows: list[tuple[str, float, float, str]]) -> None:
    """One aligned line per measured process: label, wall seconds, peak MB and a note."""
    width = max(len(row[0]) for row in rows)
    for label, wall, peak, note in rows:
        print(f"    {label:<{width}}  {wall:7.2f} s   peak {peak:5.0f} MB   {note}".rstrip())


def best_of(runs: list[tuple[float, float, str]]) -> tuple[float, float, str]:
    """Best wall time, highest peak RSS and the last stdout of repeated `run_measured` runs."""
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def python_code_runs(code: str, repeat: int, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """`python -c CODE` `repeat` times, whole processes: see `best_of`."""
    return best_of([run_measured([sys.executable, "-c", code], env or child_env()) for _ in range(repeat)])


def cli_import_runs(path: Path, repeat: int, *args: str) -> tuple[float, float, list[dict]]:
    """`python -m opex_app.cli import budget PATH --json ARGS` `repeat` times, each into a fresh migrated
    database: best wall time, highest peak RSS and the JSON summary of every run."""
    runs = []
    for _ in range(repeat):
        with scratch_database() as url:
            command = [sys.executable, "-m", "opex_app.cli", "import", "budget", str(path), "--json", *args]
            runs.append(run_measured(command, child_env(DATABASE_URL=url)))
    wall, peak, _ = best_of(runs)
    return wall, peak, [json.loads(run[2]) for run in runs]
