"""Runs real events through Reflex's own event processor with the hook installed, then prints the scrape
(stdout); the event log lines go to stderr as JSON.

Run as a subprocess by test_reflex_hook.py (`python -m tests.observability.reflex_probe`): the probe's State
subclass would otherwise join the state tree of every later test in the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import reflex as rx
from reflex.istate.manager.memory import StateManagerMemory
from reflex_base.event import Event
from reflex_base.event.processor import BaseStateEventProcessor

from opex_app.auth.permissions import Permission, PermissionDenied, Principal, RoleName
from opex_app.services import log_lines, metrics
from opex_app.state import reflex_hook
from opex_app.state.guard import guarded, public_handler

WAITING = asyncio.Event()  # set once the `wait` handler runs (Python 3.10+: bound to the loop on first use)


class ProbeState(rx.State):
    allowed: bool = False
    count: int = 0

    def _require(self, permission: Permission) -> Principal:
        if not self.allowed:
            raise PermissionDenied("Your session has ended. Please log in again.")
        return Principal(actor="probe@example.com", user_id=4242, roles=frozenset({RoleName.VIEWER}))

    @public_handler
    def allow(self) -> None:
        self.allowed = True

    @guarded(Permission.VIEW_DASHBOARDS)
    def bump(self) -> None:
        self.count += 1

    @public_handler
    def fail(self) -> None:
        raise RuntimeError("the probe's handler failed")

    @public_handler
    async def wait(self) -> None:
        WAITING.set()
        await asyncio.Event().wait()  # until cancelled


async def _send(processor: BaseStateEventProcessor, token: str, handler: str) -> None:
    future = await processor.enqueue(token, Event(name=f"{ProbeState.get_full_name()}.{handler}", payload={}))
    with contextlib.suppress(RuntimeError):
        await future


async def main() -> None:
    log_lines.configure_logging(structured=True)  # one JSON line per event on stderr
    reflex_hook.install()
    processor = BaseStateEventProcessor()
    async with processor.configure(state_manager=StateManagerMemory()):
        token = uuid.uuid4().hex
        for handler in ("bump", "fail", "allow", "bump", "bump"):
            await _send(processor, token, handler)
        waiting = await processor.enqueue(token, Event(name=f"{ProbeState.get_full_name()}.wait", payload={}))
        await WAITING.wait()  # running: now cancel it, as a navigation cancels a page load still running
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    print(metrics.render().decode())


if __name__ == "__main__":
    asyncio.run(main())
