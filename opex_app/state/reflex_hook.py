"""The one place that reaches into Reflex: every event's execution goes through `observed_event`.

Reflex 0.10.1 has no documented hook around an event: `App.add_middleware` middlewares get `preprocess` before an
event, but nothing calls their `postprocess` any more (so no duration, no outcome), `backend_exception_handler`
sees only failures, and the OpenTelemetry trace points need `reflex-otel` and an OpenTelemetry SDK. So this
wraps `BaseStateEventProcessor._execute_event`, the method the app's event processor runs once per event, state
lock wait, handler and background body included, exceptions propagating. tests/observability/test_reflex_hook.py
fails if a Reflex upgrade renames it or changes what it receives.
"""

from __future__ import annotations

import functools
from typing import Any

from reflex_base.event.processor import BaseStateEventProcessor

from opex_app.state.event_metrics import observed_event
from opex_app.state.guard import GUARD_ATTR

_ORIGINAL = "_opex_unobserved_execute_event"


def handler_name(registered_handler: Any) -> str:
    """`BudgetGridState.load_page`: the handler function's qualified name (bounded: one per handler in the code)."""
    return str(registered_handler.handler.fn.__qualname__)


def install(processor_class: type = BaseStateEventProcessor) -> None:
    """Idempotent: the app module may be loaded twice in one process (AppHarness)."""
    if hasattr(processor_class, _ORIGINAL):
        return
    original = processor_class._execute_event  # type: ignore[attr-defined]

    @functools.wraps(original)
    async def _execute_event(self: Any, *, entry: Any, registered_handler: Any) -> None:
        guarded = getattr(registered_handler.handler.fn, GUARD_ATTR, None) is not None
        async with observed_event(handler_name(registered_handler), guarded=guarded):
            await original(self, entry=entry, registered_handler=registered_handler)

    setattr(processor_class, _ORIGINAL, original)
    processor_class._execute_event = _execute_event  # type: ignore[attr-defined]
