"""The request id that ties together the audit events of one request, command or event.

Kept free of heavy imports: the CLI sets it before it has loaded the database layer.
"""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("opex_request_id", default=None)


def new_request_id() -> str:
    """Start a request: later audit events in this context carry this id."""
    value = uuid.uuid4().hex
    _request_id.set(value)
    return value


def current_request_id() -> str:
    return _request_id.get() or new_request_id()


def peek_request_id() -> str | None:
    """The current request id, without starting one (log lines outside any request carry none)."""
    return _request_id.get()
