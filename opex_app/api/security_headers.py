"""Security headers on every HTTP response the app sends itself: the static frontend (`reflex run --env prod`
serves it on the backend's port), the REST api, health, downloads and `/_upload`. `make run` serves without
nginx, so the app cannot leave these to the proxy.

Pure ASGI: it touches only `http.response.start`, so websockets (the event channel) and streamed bodies pass
through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opex_app.settings import get_settings


def site_origin() -> str:
    """The one origin the app is served from (OPEX_API_URL, default http://localhost:PORT): the only origin
    CORS and the websocket accept, and the one the pages may connect to."""
    settings = get_settings()
    parts = urlsplit(settings.api_url or f"http://localhost:{settings.app_port}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(origin: str) -> str:
    """The policy the app works under, checked in Chromium (tests/e2e/test_security_headers.py): React Router's
    inline hydration script (without it the login does not work) and Radix/emotion's inline styles need
    'unsafe-inline'; Reflex's event runtime evaluates `_call_script`/`_call_function` payloads and dynamic
    components with eval ('unsafe-eval'; the dashboard's plotly charts were seen to draw without it). The
    event websocket goes to the site origin (ws:/wss: spelled out, since older browsers do not let 'self'
    cover websockets). The same policy as deploy/nginx-security-headers.conf, narrower in connect-src."""
    ws_origin = origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    directives = {
        "default-src": "'self'",
        "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": f"'self' {origin} {ws_origin}",
        "object-src": "'none'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(origin: str) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(origin),
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "strict-origin-when-cross-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def _merged(existing: Iterable[tuple[bytes, bytes]], ours: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Ours replace a route's own copy of the same header (downloads already send nosniff): never twice."""
    names = {name for name, _ in ours}
    return [(name, value) for name, value in existing if name.lower() not in names] + ours


class SecurityHeadersMiddleware:
    """Adds `security_headers()` to every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp, origin: str | None = None) -> None:
        self.app = app
        self.headers = security_headers(origin or site_origin())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _merged(message.get("headers", []), self.headers)}
            await send(message)

        await self.app(scope, receive, send_with_headers)
