"""A gate in front of Reflex's upload endpoint (`POST /_upload`), which by itself stores any body from anyone.

Before a byte of the body is read it refuses (JSON `{"detail": ...}`):
- 413 a declared Content-Length above OPEX_UPLOAD_MAX_BYTES (400 for a malformed one);
- 400 missing upload headers, an unknown handler, or a handler that takes no files (Reflex answers 500);
- 401 a client whose tab has no live session, 403 a user without the handler's permission.
While the body streams in (chunked, or a Content-Length that lies) it counts the bytes and, past the limit,
cuts the body off (the inner app sees a disconnect, so at most the limit reaches its temporary files) and
answers 413 in place of the inner app's answer.

Who is logged in, and whether they may use the handler, is `authorise(scope, client_token, handler)`, given
by the app (opex_app.py, from opex_app.state.upload_session): today it reads the tab's Reflex state; once the
session is a cookie it reads the cookie from `scope`, so the upload is bound to the session and not only to
the `Reflex-Client-Token` header.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opex_app.services.errors import UploadRefused as Refused

UPLOAD_PATH = "/_upload"


Authorise = Callable[[Scope, str, Any], Awaitable[None]]  # raises Refused(401 or 403)


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def declared_length(headers: Headers, limit: int) -> None:
    raw = headers.get("content-length")
    if raw is None:
        return
    if not raw.isdigit():
        raise Refused(400, "Malformed Content-Length.")
    if int(raw) > limit:
        raise Refused(413, f"The upload is larger than the limit of {limit // (1024 * 1024)} MB.")


def upload_handler(name: str) -> Any:
    """The registered handler `name`, if it takes uploaded files; else Refused(400)."""
    from reflex_base.event import resolve_upload_chunk_handler_param, resolve_upload_handler_param
    from reflex_base.registry import RegistrationContext
    from reflex_base.utils.exceptions import UploadTypeError, UploadValueError

    registered = RegistrationContext.get().event_handlers.get(name)
    if registered is None:
        raise Refused(400, f"Unknown upload event handler: {name!r}.")
    handler = registered.handler
    resolve = resolve_upload_chunk_handler_param if handler.is_background else resolve_upload_handler_param
    try:
        resolve(handler)
    except (UploadValueError, UploadTypeError):
        raise Refused(400, f"{name!r} does not take uploaded files.") from None
    return handler


class UploadGuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, authorise: Authorise) -> None:
        self.app, self.max_bytes, self.authorise = app, max_bytes, authorise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != UPLOAD_PATH:
            await self.app(scope, receive, send)
            return
        try:
            await self._admit(scope)
        except Refused as refused:
            await _answer(send, refused.status, refused.detail)
            return
        await self._counted(scope, receive, send)

    async def _admit(self, scope: Scope) -> None:
        headers = Headers(scope=scope)
        declared_length(headers, self.max_bytes)
        token, name = headers.get("reflex-client-token"), headers.get("reflex-event-handler")
        if not token or not name:
            raise Refused(400, "Missing reflex-client-token or reflex-event-handler header.")
        await self.authorise(scope, token, upload_handler(name))

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the inner app on a body that ends (as a disconnect) once it passes the limit."""
        received, cut, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, cut
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    cut = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if cut:
                return  # the inner app's answer to a cut body is replaced by the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if cut and not started:
            await _answer(send, 413, f"The upload is larger than the limit of {self.max_bytes // (1024 * 1024)} MB.")
