"""Live pages: how an open tab learns that the data version moved, without touching the database.

Each worker process has ONE watcher of the data version (`services.data_version.watcher()`: one LISTEN
connection plus a cheap poll fallback). A live page's background event waits on that in-memory watcher, so
a thousand open dashboards cost one connection per worker and no query until a write commits.

The loop of a tab ends when any of these says the tab is gone or elsewhere:
- Reflex itself: the loop is chained from the page's on_load, and a newer navigation of the tab, a reconnect
  (hydrate) or a disconnect cancels the unfinished on_load chain of that tab (reflex 0.10 event processor);
- the tab's `live_id`: every on_load renews it, and a loop whose id is no longer the tab's stops;
- the socket: after each quiet wait the loop checks the tab is still connected to this worker;
- a lifetime cap, so nothing runs forever; reloading the page starts a fresh loop.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")

WAIT_SECONDS = 20.0  # one quiet wait on the watcher; after it the loop checks the tab is still here
MAX_LIFETIME_SECONDS = 8 * 3600.0  # a working day; a reload starts a new loop


def new_live_id() -> str:
    return uuid.uuid4().hex


@dataclass
class LiveLoop:
    """The bookkeeping of one tab's loop: the version shown and when the loop must give up."""

    live_id: str
    seen: int
    started: float = field(default_factory=time.monotonic)
    max_lifetime: float = MAX_LIFETIME_SECONDS

    def expired(self) -> bool:
        return time.monotonic() - self.started > self.max_lifetime

    async def next_version(self, timeout: float = WAIT_SECONDS) -> int:
        """The data version once it moved past `seen`, or the current one after `timeout` (no database)."""
        from opex_app.services.data_version import watcher

        return await watcher().wait_for_change(self.seen, timeout)


_inflight: dict[Hashable, asyncio.Future[Any]] = {}


async def single_flight(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` in a worker thread, once per `key` at a time in this worker: the tabs that ask for the same
    view while it runs await that one result. A write wakes every open dashboard at the same moment, and the
    figure cache only helps those that ask after the first has stored its result.

    The result must not depend on who asks (the dashboard's figures do not: each tab's handler checked its
    own permission before asking). A waiter that leaves does not cancel the computation the others await."""
    running = _inflight.get(key)
    if running is None:
        running = asyncio.ensure_future(asyncio.to_thread(compute))
        _inflight[key] = running
        running.add_done_callback(lambda _: _inflight.pop(key, None))
    return await asyncio.shield(running)  # type: ignore[no-any-return]


def connected_here(token: str) -> bool:
    """Whether the tab `token` still has its socket on this worker (True when that cannot be told).

    Reads the app's socket bookkeeping (reflex's token manager); a tab that reconnected to another worker is
    followed there by the loop its own reconnect starts.
    """
    try:
        from reflex.config import get_config

        app = sys.modules[get_config().module].app
        manager = app.event_namespace._token_manager
        record = manager.token_to_socket.get(token)
        return record is not None and record.instance_id == manager.instance_id
    except Exception:  # noqa: BLE001 - no app (tests) or another reflex layout: keep going, the cap still ends it
        return True


def clock(at: datetime | None = None) -> str:
    """HH:MM:SS of a refresh, in the server's time zone (named, so nobody mistakes it for local time)."""
    moment = (at or datetime.now().astimezone()).astimezone()
    return f"{moment:%H:%M:%S} {moment.tzname() or ''}".strip()
