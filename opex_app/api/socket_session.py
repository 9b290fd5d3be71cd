"""The gate in front of the event socket that keeps the session token out of Reflex state.

Reflex copies the event socket's handshake headers into every tab's state (`router.headers`, pickled into the
state store with it). For every websocket handshake this gate rewrites the `Cookie` header first: the
`opex_session` token becomes `opex_session_key`, the session's key (the token's SHA-256, what the database
stores; it cannot be presented as a cookie), and any `opex_session_key` the client sent is dropped, so a key
in a handshake's headers always comes from a real cookie. The socket speaks websocket only (Reflex's
`transport`); HTTP requests (uploads, the api) pass untouched and read the cookie themselves.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from opex_app.services import sessions

_COOKIE = b"cookie"
_OURS = {sessions.COOKIE_NAME, sessions.KEY_COOKIE_NAME}


def keyed_cookie(header: str) -> str:
    """The Cookie header with the session token replaced by its key and any client-sent key dropped."""
    token = sessions.cookie_value(header)
    kept = [part.strip() for part in header.split(";") if part.strip() and part.strip().partition("=")[0] not in _OURS]
    if token:
        kept.append(f"{sessions.KEY_COOKIE_NAME}={sessions.session_key(token)}")
    return "; ".join(kept)


class SocketSessionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        cookies = "; ".join(value.decode("latin-1") for name, value in scope.get("headers", []) if name == _COOKIE)
        headers = [(name, value) for name, value in scope.get("headers", []) if name != _COOKIE]
        if keyed := keyed_cookie(cookies):
            headers.append((_COOKIE, keyed.encode("latin-1")))
        await self.app({**scope, "headers": headers}, receive, send)
