"""One Reflex event timed, counted and logged: handler (`State.handler`), outcome, user, request id, duration.

Outcomes: `error` when the handler raised; `cancelled` when Reflex cancelled it (a page load superseded by the
next navigation: not a failure, kept out of the error rate); `refused` when a guarded handler's permission check
turned the user away (the guard shows a toast and returns: no exception to see); `ok` otherwise. The guard records the
principal it checked (`state.guard.current_principal`) in the event's context; a guarded handler after which
that principal is unchanged was refused before its body ran.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opex_app.auth.permissions import PermissionDenied, Principal
from opex_app.services.log_lines import log_fields
from opex_app.services.metrics import record_event
from opex_app.services.request_ids import new_request_id
from opex_app.services.scrape_figures import sample_pool
from opex_app.state.guard import current_principal

log = logging.getLogger("opex_app.events")


def _principal() -> Principal | None:
    try:
        return current_principal()
    except PermissionDenied:
        return None


@asynccontextmanager
async def observed_event(handler: str, *, guarded: bool) -> AsyncIterator[None]:
    """Wrap the execution of one event (the body runs the handler in this same context)."""
    new_request_id()  # a guarded handler starts its own again when it checks; the line carries the last one
    sample_pool()
    before = _principal()  # an event chained from another starts with its parent's principal
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        after = _principal()
        outcome = "refused" if guarded and (after is None or after is before) else "ok"
    except asyncio.CancelledError:
        outcome = "cancelled"  # superseded (the user navigated away from a page still loading), not a failure
        raise
    finally:
        seconds = time.perf_counter() - started
        record_event(handler, outcome, seconds)
        sample_pool()
        checked = _principal()
        user_id = checked.user_id if checked is not None and checked is not before else None
        fields = log_fields(kind="event", handler=handler, outcome=outcome, user_id=user_id,
                            duration_ms=round(seconds * 1000, 2))  # fmt: skip
        level = logging.WARNING if outcome == "error" else logging.INFO
        log.log(level, "event %s %s", handler, outcome, extra=fields)
