"""The import pipeline's one hook: `@observed_import` on `run_import` times, counts and logs every import, from
the app and the CLI alike: kind, outcome (the result's status; `unreadable` or `rejected` when the file is refused
as a whole, as the CLI reports it; `error` for anything else raised), rows read, duration, user.

`committed` means the pipeline wrote its rows in the caller's transaction; a commit that then fails is the
caller's error and shows in its own log line.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, Protocol, TypeVar

from opex_app.domain.ingest import WorkbookRefused, WorkbookUnreadable
from opex_app.services.log_lines import log_fields
from opex_app.services.metrics import record_import

log = logging.getLogger("opex_app.imports")


class _Result(Protocol):
    status: str
    rows_total: int
    import_batch_id: int | None


P = ParamSpec("P")
R = TypeVar("R", bound=_Result)


def observed_import(run: Callable[P, R]) -> Callable[P, R]:
    """For `run(session, principal, kind, source, *, file_name, ...)` (the three first passed by position)."""

    @functools.wraps(run)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        principal, kind = args[1], str(args[2])
        started = time.perf_counter()
        outcome, rows, batch = "error", 0, None
        try:
            result = run(*args, **kwargs)
            outcome, rows, batch = result.status, result.rows_total, result.import_batch_id
            return result
        except WorkbookUnreadable:
            outcome = "unreadable"
            raise
        except WorkbookRefused:  # read, but no table of this kind: the CLI reports it as rejected too
            outcome = "rejected"
            raise
        finally:
            seconds = time.perf_counter() - started
            record_import(kind, outcome, rows, seconds)
            fields = log_fields(
                kind="import", import_kind=kind, outcome=outcome, rows=rows, import_batch_id=batch,
                file_name=kwargs.get("file_name"), user_id=getattr(principal, "user_id", None),
                duration_ms=round(seconds * 1000, 2),
            )  # fmt: skip
            level = logging.WARNING if outcome == "error" else logging.INFO
            log.log(level, "import %s %s (%s rows)", kind, outcome, rows, extra=fields)

    return wrapper
