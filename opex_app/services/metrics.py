"""The app's Prometheus metrics and the calls that record them.

Multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, every worker writes its counts into memory-mapped files in
that directory and the worker answering /metrics sums them all, so one scrape covers every worker of a host or
pod. prometheus-client chooses that storage when it is first imported, so the variable is exported (from the
settings, which also read .env) before the import below. The directory lives as long as the host or container
(a tmpfs or emptyDir in deploy/), not longer: within it a restarted worker's counts stay summed, so the totals
never go down (`forget_dead_processes`), and a new container starts from zero, which Prometheus reads as a reset.

A leaf module (settings and prometheus-client only): services call `record_*` from inside their work.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from opex_app.settings import get_settings


def _export_multiprocess_dir() -> None:
    """Point prometheus-client at the configured directory, created if missing. A directory that cannot be created
    (a CLI job whose image has no such path) leaves this process counting on its own, with a warning: metrics must
    never stop a command."""
    configured = get_settings().metrics_dir
    if configured is None:
        return
    try:
        configured.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logging.getLogger(__name__).warning("PROMETHEUS_MULTIPROC_DIR unusable, metrics of this process only: %s", exc)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(configured)


_export_multiprocess_dir()

from prometheus_client import (  # noqa: E402  (after the variable: the storage is chosen at import)
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector  # noqa: E402

disable_created_metrics()  # `_created` series: multiprocess mode has none, so neither does the single process

__all__ = ["CONTENT_TYPE_LATEST", "render"]

IMPORT_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

HTTP_SECONDS = Histogram(
    "opex_http_request_duration_seconds",
    "HTTP requests by method, route template (not the raw path) and status",
    ["method", "route", "status"],
)
EVENT_SECONDS = Histogram(
    "opex_event_duration_seconds",
    "Reflex events by handler (State.handler) and outcome (ok, error, refused, cancelled), lock wait included",
    ["handler", "outcome"],
)
EVENTS = Counter("opex_events", "Reflex events by handler and outcome", ["handler", "outcome"])
IMPORT_SECONDS = Histogram(
    "opex_import_duration_seconds",
    "Imports by kind and outcome (committed, dry-run, rejected, unreadable, error)",
    ["kind", "outcome"],
    buckets=IMPORT_BUCKETS,
)
IMPORT_ROWS = Counter("opex_import_rows", "Rows read by imports, by kind and outcome", ["kind", "outcome"])
CACHE_LOOKUPS = Counter(
    "opex_cache_lookups", "Figures cache lookups by namespace and result (hit, miss, error)", ["namespace", "result"]
)
CACHE_COMPUTE_SECONDS = Counter(
    "opex_cache_compute_seconds", "Time spent computing figures on cache misses, by namespace", ["namespace"]
)
# Pool figures of every live worker, summed (livesum: a dead worker's files are dropped by forget_dead_processes).
DB_POOL = Gauge(
    "opex_db_pool_connections",
    "Database pool connections of the live workers, summed, by engine (primary, replica) and state: checked_out, "
    "size, overflow, capacity",
    ["engine", "state"],
    multiprocess_mode="livesum",
)

_CACHE_RESULTS = {"hits": "hit", "misses": "miss", "errors": "error"}
_PID_FILE = re.compile(r"_(\d+)\.db$")


def multiprocess_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def record_http(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_SECONDS.labels(method, route, str(status)).observe(seconds)


def record_event(handler: str, outcome: str, seconds: float) -> None:
    EVENT_SECONDS.labels(handler, outcome).observe(seconds)
    EVENTS.labels(handler, outcome).inc()


def record_import(kind: str, outcome: str, rows: int, seconds: float) -> None:
    IMPORT_SECONDS.labels(kind, outcome).observe(seconds)
    IMPORT_ROWS.labels(kind, outcome).inc(rows)


def record_cache(namespace: str, deltas: dict[str, float]) -> None:
    """The figures cache's own counters (services/cache.py `_count`), as Prometheus counters."""
    for name, delta in deltas.items():
        if name in _CACHE_RESULTS:
            CACHE_LOOKUPS.labels(namespace, _CACHE_RESULTS[name]).inc(delta)
        elif name == "compute_seconds":
            CACHE_COMPUTE_SECONDS.labels(namespace).inc(delta)


def record_pool(status: dict[str, dict[str, int]]) -> None:
    """`db.pool_status()`: {engine: {state: connections}}."""
    for engine, states in status.items():
        for state, value in states.items():
            DB_POOL.labels(engine, state).set(value)


def forget_dead_processes(directory: Path | None = None) -> list[int]:
    """Drop the live gauges of worker processes that are gone (a restarted or crashed worker); returns their pids.

    Only their live gauges: their counters and histograms stay, so the summed counters never go down (Prometheus
    would read a drop as a reset and `rate()` would spike). A new process that gets an old pid carries on that
    pid's counts, which keeps the sums right too.
    """
    directory = directory or multiprocess_dir()
    if directory is None or not directory.is_dir():
        return []
    dead = sorted({int(m.group(1)) for f in directory.iterdir() if (m := _PID_FILE.search(f.name))} - {os.getpid()})
    dead = [pid for pid in dead if not _alive(pid)]
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(directory))
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def render(*extra: Collector) -> bytes:
    """The text exposition of every worker's metrics (multiprocess) or this process's, plus `extra` collectors
    computed now (scrape-time figures)."""
    directory = multiprocess_dir()
    if directory is None:
        registry = CollectorRegistry()
        registry.register(_Everything())
    else:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(directory))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Everything(Collector):
    """The default registry's metrics inside a fresh registry (so scrape-time collectors are not kept)."""

    def collect(self):  # type: ignore[no-untyped-def]
        return REGISTRY.collect()
