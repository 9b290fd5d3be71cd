"""The security-headers and upload-gate ASGI middlewares on a stand-in app: no Reflex, no server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from opex_app.api import upload_guard
from opex_app.api.security_headers import SecurityHeadersMiddleware, content_security_policy
from opex_app.api.upload_guard import Refused, UploadGuardMiddleware

Message = dict[str, Any]


def _run(app: Any, scope: dict[str, Any], bodies: list[bytes]) -> tuple[list[Message], list[Message]]:
    """(messages the app sent, messages the inner app received) for a request whose body is `bodies`."""
    sent: list[Message] = []
    incoming = [{"type": "http.request", "body": b, "more_body": i < len(bodies) - 1} for i, b in enumerate(bodies)]

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, getattr(getattr(app, "app", app), "seen", [])


class Inner:
    """Reads the whole body as Starlette would (until the last part or a disconnect), then answers 200."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.seen: list[Message] = []
        self.headers = headers or []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            self.seen.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"ok"})


def _http(path: str = "/_upload", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    base = [(b"reflex-client-token", b"tok"), (b"reflex-event-handler", b"state.handle_upload")]
    return {"type": "http", "method": "POST", "path": path, "headers": base + (headers or [])}


async def _allow(scope: Any, token: str, handler: Any) -> None:
    return None


@pytest.fixture()
def gate(monkeypatch) -> UploadGuardMiddleware:
    monkeypatch.setattr(upload_guard, "upload_handler", lambda name: object())
    return UploadGuardMiddleware(Inner(), max_bytes=100, authorise=_allow)


def test_security_headers_replace_a_routes_own_copy_and_leave_websockets_alone() -> None:
    inner = Inner(headers=[(b"x-content-type-options", b"sniff-me"), (b"content-type", b"text/plain")])
    app = SecurityHeadersMiddleware(inner, origin="https://opex.example")
    sent, _ = _run(app, {"type": "http", "method": "GET", "path": "/"}, [b""])
    headers = sent[0]["headers"]
    assert [v for k, v in headers if k == b"x-content-type-options"] == [b"nosniff"]
    assert (b"content-type", b"text/plain") in headers and (b"x-frame-options", b"DENY") in headers
    seen: list[Any] = []

    async def socket_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(send)

    async def send(message: Any) -> None:
        return None

    asyncio.run(SecurityHeadersMiddleware(socket_app, origin="https://x.example")({"type": "websocket"}, None, send))
    assert seen == [send]  # the very same send: nothing wraps the websocket


def test_csp_connects_only_to_the_site_origin() -> None:
    policy = content_security_policy("https://opex.example")
    assert "connect-src 'self' https://opex.example wss://opex.example;" in policy
    assert "frame-ancestors 'none'" in policy and "wss: " not in policy


def test_a_declared_length_over_the_limit_is_refused_before_the_body(gate) -> None:
    sent, seen = _run(gate, _http(headers=[(b"content-length", b"101")]), [b"x" * 101])
    assert sent[0]["status"] == 413 and seen == []
    sent, seen = _run(gate, _http(headers=[(b"content-length", b"ten")]), [b""])
    assert sent[0]["status"] == 400 and seen == []


def test_a_streamed_body_is_cut_at_the_limit_and_answered_413(gate) -> None:
    sent, seen = _run(gate, _http(), [b"x" * 60, b"x" * 60, b"x" * 60])
    assert [m["type"] for m in seen] == ["http.request", "http.disconnect"]  # the third part is never read
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]


def test_a_body_within_the_limit_reaches_the_app(gate) -> None:
    sent, seen = _run(gate, _http(), [b"x" * 60, b"x" * 40])
    assert sum(len(m["body"]) for m in seen) == 100 and sent[0]["status"] == 200


def test_refusals_of_the_authoriser_and_missing_headers(monkeypatch) -> None:
    monkeypatch.setattr(upload_guard, "upload_handler", lambda name: object())

    async def anonymous(scope: Any, token: str, handler: Any) -> None:
        raise Refused(401, "Your session has ended. Please log in again.")

    gate = UploadGuardMiddleware(Inner(), max_bytes=100, authorise=anonymous)
    sent, seen = _run(gate, _http(), [b"x"])
    assert sent[0]["status"] == 401 and seen == []
    bare = {"type": "http", "method": "POST", "path": "/_upload", "headers": []}
    sent, seen = _run(gate, bare, [b"x"])
    assert sent[0]["status"] == 400 and seen == []


def test_other_paths_pass_untouched(gate) -> None:
    sent, seen = _run(gate, _http(path="/api/health"), [b"x" * 500])
    assert sent[0]["status"] == 200 and len(seen[0]["body"]) == 500


def test_the_socket_gate_swaps_the_session_token_for_its_key() -> None:
    from opex_app.api.socket_session import SocketSessionMiddleware
    from opex_app.services import sessions

    seen: list[dict[bytes, bytes]] = []

    async def reflex_socket(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope["headers"]))

    def handshake(*cookies: bytes) -> dict[bytes, bytes]:
        raw = [(b"origin", b"http://localhost"), *((b"cookie", c) for c in cookies)]
        asyncio.run(SocketSessionMiddleware(reflex_socket)({"type": "websocket", "headers": raw}, None, None))
        return seen.pop()

    key = sessions.session_key("tok-1")
    headers = handshake(b"theme=dark; opex_session=tok-1", b"opex_session_key=forged; lang=en")
    assert headers[b"cookie"] == f"theme=dark; lang=en; opex_session_key={key}".encode()
    assert b"tok-1" not in b"".join(headers.values()) and b"forged" not in headers[b"cookie"]
    assert b"cookie" not in handshake(b"opex_session_key=forged")  # a key comes only from a real cookie
    assert handshake()[b"origin"] == b"http://localhost"
    http = {"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", b"opex_session=tok-1")]}
    inner = Inner()
    sent, _ = _run(SocketSessionMiddleware(inner), http, [b""])
    assert sent[0]["status"] == 200  # plain HTTP (uploads, the api) passes untouched and reads its own cookie
