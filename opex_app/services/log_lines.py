"""Log lines: one JSON object per line in production (a log shipper parses them), readable text in development.

Every record of the `opex_app` loggers gets the timestamp, level, logger, message and the request id of the
context it was logged in; the access lines (HTTP requests, events, imports) add `fields` through
`log_fields()`: user_id, duration_ms, route or handler, status or outcome. OPEX_LOG_FORMAT=json|text overrides
the choice made by OPEX_ENV.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opex_app.services.request_ids import peek_request_id
from opex_app.settings import get_settings

APP_LOGGER = "opex_app"
FIELDS = "opex_fields"  # the LogRecord attribute that carries an access line's fields
_HANDLER_NAME = "opex-structured"


def log_fields(**fields: Any) -> dict[str, Any]:
    """`extra=` for a structured line: `log.info("GET /x 200", extra=log_fields(route="/x", duration_ms=3.1))`.
    Fields that are None (a user not known) are left out."""
    return {FIELDS: {name: value for name, value in fields.items() if value is not None}}


def _base(record: logging.LogRecord) -> dict[str, Any]:
    return {
        "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
        "request_id": getattr(record, "request_id", None) or peek_request_id(),
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record: the base fields, the access fields, and the exception as text if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _base(record) | getattr(record, FIELDS, {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`12:01:02.345 INFO  opex_app.http  GET /api/health 200  [request_id=… duration_ms=2.1]`."""

    def format(self, record: logging.LogRecord) -> str:
        base = _base(record)
        extras = {"request_id": base["request_id"]} | getattr(record, FIELDS, {})
        shown = " ".join(f"{name}={value}" for name, value in extras.items() if value is not None)
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        line = f"{clock} {record.levelname:<5} {record.name}  {base['message']}" + (f"  [{shown}]" if shown else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(*, stream: Any = None, structured: bool | None = None) -> logging.Handler:
    """Route the app's loggers (`opex_app.*`) to one handler on stderr, JSON or text, at INFO. Idempotent: a second
    call replaces the handler, never adds one. Library loggers (Reflex, granian, SQLAlchemy) keep their own."""
    structured = get_settings().structured_logs if structured is None else structured
    logger = logging.getLogger(APP_LOGGER)
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if structured else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler
