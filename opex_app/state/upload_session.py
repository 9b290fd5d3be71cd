"""Who may upload through Reflex's `/_upload` (checked by opex_app.api.upload_guard before the body is read).

Today the session token lives in the tab's Reflex state (AppState.session_token), so the upload's
`Reflex-Client-Token` header leads to it. HOOK for the cookie change: read the session cookie from the
request's `scope` headers here instead, so that an upload is bound to the logged-in session itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Scope

from opex_app.api.upload_guard import Refused
from opex_app.auth.permissions import Principal
from opex_app.db import transaction
from opex_app.services import sessions
from opex_app.state.base import AppState
from opex_app.state.guard import GUARD_ATTR


def _resolve(token: str) -> Principal | None:
    with transaction() as session:
        return sessions.resolve(session, token)


async def authorise_upload(scope: Scope, client_token: str, handler: Any) -> None:
    """Refused(401) unless the client's tab holds a live session; Refused(403) unless its user holds the
    permission the handler is guarded by. Reads the state without taking its lock (a read-only look)."""
    from reflex.istate.wrappers import get_state

    state = await get_state(client_token, AppState)
    principal = await asyncio.to_thread(_resolve, state.session_token) if state.session_token else None
    if principal is None:
        raise Refused(401, "Your session has ended. Please log in again.")
    permission = getattr(handler.fn, GUARD_ATTR, None)
    if permission is not None and not principal.can(permission):
        raise Refused(403, "You are not allowed to upload here.")
