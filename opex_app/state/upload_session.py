"""Who may upload through Reflex's `/_upload` (checked by opex_app.api.upload_guard before the body is read).

The upload request carries the session cookie itself (same origin, so the browser sends it with the upload's
fetch): the session is resolved from that cookie, not from anything the `Reflex-Client-Token` header leads to.
The header still picks the tab whose state receives the files, so that tab must be the cookie's user's own:
a logged-in user cannot push files into a tab of someone else whose client token they learnt.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

from opex_app.auth.permissions import Principal
from opex_app.db import transaction
from opex_app.services import sessions
from opex_app.services.errors import UploadRefused as Refused
from opex_app.state.base import AppState
from opex_app.state.guard import GUARD_ATTR

ENDED = "Your session has ended. Please log in again."


def _resolve(token: str) -> Principal | None:
    with transaction() as session:
        return sessions.resolve(session, token)


async def authorise_upload(scope: Scope, client_token: str, handler: Any) -> None:
    """Refused(401) unless the request's cookie holds a live session and the tab is that user's; Refused(403)
    unless the user holds the permission the handler is guarded by. Reads the tab's state without its lock."""
    from reflex.istate.wrappers import get_state

    token = sessions.cookie_value(Headers(scope=scope).get("cookie"))
    principal = await asyncio.to_thread(_resolve, token) if token else None
    if principal is None:
        raise Refused(401, ENDED)
    state = await get_state(client_token, AppState)
    if state.user_email != principal.actor:
        raise Refused(401, ENDED)
    permission = getattr(handler.fn, GUARD_ATTR, None)
    if permission is not None and not principal.can(permission):
        raise Refused(403, "You are not allowed to upload here.")
