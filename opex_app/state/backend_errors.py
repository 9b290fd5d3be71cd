"""What a user sees when an event fails on the server: Reflex's own error toast, except when the cause is Redis.

With Redis as the state manager every event reads and writes the tab's state there, so while Redis is down every
click fails. Reflex's generic "An error occurred. Contact the website administrator." then reads like a bug in
what was clicked; this says what happened, that nothing was applied, and what to do. Registered on the app as
`backend_exception_handler`; everything that is not a Redis failure goes to Reflex's default handler (which
logs the traceback and shows the generic toast).
"""

from __future__ import annotations

import logging

import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

from opex_app.services.errors import caused_by_redis

log = logging.getLogger(__name__)

SESSION_STORE_DOWN = (
    "The app cannot reach its session store right now, so your last action was not applied. "
    "Try again in a minute; if it keeps failing, reload the page."
)


def backend_exception_handler(exception: Exception) -> EventSpec | None:
    if not caused_by_redis(exception):
        return default_backend_exception_handler(exception)
    log.error("an event failed because Redis is unreachable: %s", exception)
    return rx.toast.error(SESSION_STORE_DOWN, id="session-store-down", duration=15_000, position="top-center")
