"""What a user sees when an event fails on the server: Reflex's own error toast, except when the cause is Redis.

With Redis as the state manager every event reads and writes the tab's state there, so while Redis is down every
click fails. Reflex's generic "An error occurred. Contact the website administrator." then reads like a bug in
what was clicked; this says what happened, that nothing was applied, and what to do. Registered on the app as
`backend_exception_handler`; everything that is not a Redis failure goes to Reflex's default handler (which
logs the traceback and shows the generic toast).
"""

from __future__ import annotations

import logging

import redis
import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

log = logging.getLogger(__name__)

SESSION_STORE_DOWN = (
    "The app cannot reach its session store right now, so your last action was not applied. "
    "Try again in a minute; if it keeps failing, reload the page."
)


def _caused_by_redis(exception: BaseException) -> bool:
    """Whether `exception` or one it was raised from (cause or context) is a Redis error."""
    seen: BaseException | None = exception
    for _ in range(10):  # chains are short; a bound keeps a cyclic one from looping
        if seen is None:
            return False
        if isinstance(seen, redis.RedisError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def backend_exception_handler(exception: Exception) -> EventSpec | None:
    if not _caused_by_redis(exception):
        return default_backend_exception_handler(exception)
    log.error("an event failed because Redis is unreachable: %s", exception)
    return rx.toast.error(SESSION_STORE_DOWN, id="session-store-down", duration=15_000, position="top-center")
