"""Figures read when they are needed rather than counted as they happen: the DB pool and the live sessions.

- The pool: every worker writes its own pool's figures (a livesum gauge) at the start and end of each HTTP
  request and event it serves, and the scraping worker once more before answering, so the sum covers every
  live worker without a thread per process.
- Live sessions: one count over user_session by the scraping worker, kept `SESSIONS_TTL_SECONDS`, so a
  scraper polling every few seconds costs the database one cheap query that often at most.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from opex_app import db
from opex_app.services.metrics import record_pool

SESSIONS_TTL_SECONDS = 10.0
log = logging.getLogger(__name__)


def sample_pool() -> None:
    """Publish this worker's pool figures (cheap: a few attribute reads and memory-mapped writes)."""
    record_pool(db.pool_status())


class LiveSessions(Collector):
    """`opex_active_sessions`: live login sessions, counted at most every `ttl` seconds; left out of the scrape
    (with a warning in the log) when the database cannot be read."""

    def __init__(self, ttl: float = SESSIONS_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._value: int | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> int | None:
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                self._value = self._count()
                self._read_at = time.monotonic()
            return self._value

    @staticmethod
    def _count() -> int | None:
        from opex_app.services.live_sessions import count_live

        try:
            with db.read_session() as session:
                return count_live(session)
        except Exception as exc:  # noqa: BLE001 - a scrape reports what it can
            log.warning("active sessions not counted: %s", str(exc).splitlines()[0] if str(exc) else exc)
            return None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        value = self.current()
        if value is not None:
            yield GaugeMetricFamily("opex_active_sessions", "Live login sessions (not revoked, not idle)", value)


live_sessions = LiveSessions()
