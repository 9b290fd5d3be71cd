"""HTTP routes mounted beside Reflex: health for load balancers and orchestrators, one-time downloads (each one
served is written to the activity log, with the client's address), log-in and log-out (api/session.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import BinaryIO
from urllib.parse import quote

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from opex_app.api import session, v1
from opex_app.api.socket_session import SocketSessionMiddleware
from opex_app.services import activity, downloads

GONE = "This download link is unknown, expired or already used. Export again."


def _redis_status() -> str:
    """'ok', 'not configured', or the error of one ping with a short timeout (a probe must answer quickly)."""
    import redis

    from opex_app.settings import get_settings

    url = get_settings().redis_url
    if not url:
        return "not configured"
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return "ok" if client.ping() else "error: no answer"
    except redis.RedisError as exc:
        return f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    finally:
        client.close()


async def health(request: Request) -> JSONResponse:
    """The app's own health (Reflex's /_health answers 503 whenever Redis is down): 503 only when the database
    is down; 200 with status 'degraded' when Redis is (the figures cache is bypassed; events need it)."""
    from opex_app.db import get_engine

    def ping() -> bool:
        with get_engine().connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    redis_status = await asyncio.to_thread(_redis_status)
    try:
        ok = await asyncio.to_thread(ping)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the probe
        body = {"status": "error", "database": str(exc).splitlines()[0], "redis": redis_status}
        return JSONResponse(body, status_code=503)
    status = "ok" if redis_status in ("ok", "not configured") else "degraded"
    return JSONResponse(
        {"status": status if ok else "error", "database": "ok" if ok else "error", "redis": redis_status}
    )


def _attachment(file_name: str) -> str:
    quoted = quote(file_name)
    return f"attachment; filename*=utf-8''{quoted}" if quoted != file_name else f'attachment; filename="{file_name}"'


async def _deliver(ticket: downloads.Ticket, handle: BinaryIO, size: int) -> AsyncIterator[bytes]:
    """The file's bytes; the ticket is spent when the last one has been sent, and given back when the transfer
    breaks off before (the browser gone, the connection reset): the browser retries an interrupted download."""
    sent = 0
    try:
        while chunk := await asyncio.to_thread(handle.read, 1 << 16):
            yield chunk
            sent += len(chunk)
    finally:
        handle.close()
        # plain calls (a rename or two unlinks): this may run while the task is being cancelled
        if sent >= size:
            downloads.discard(ticket)
        else:
            downloads.release(ticket)


def client_ip(request: Request) -> str:
    """The client's address by the rule Reflex applies to the event websocket (`trusted_proxy_hops`), so that a
    login and a download of one person behind nginx show the same address: the entry that many hops from the
    right of X-Forwarded-For when the chain is that long, else the peer's."""
    from reflex.config import get_config

    peer = request.client.host if request.client else ""
    hops = get_config().trusted_proxy_hops
    forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
    return forwarded[-hops] if hops and len(forwarded) >= hops else peer


def _claim_and_log(token: str, ip: str) -> downloads.Ticket | None:
    """Use the ticket up and log its serving (export or download) in the activity log; None: nothing to serve."""
    from opex_app.db import transaction

    ticket = downloads.claim(token)
    if ticket is not None:
        with transaction() as session:
            activity.record_served(session, ticket=ticket, ip=ip)
    return ticket


async def download(request: Request) -> Response:
    """Serve a generated file once (GET /api/downloads/{token}); the token is the capability.

    HEAD answers without using the ticket up, so a probe cannot spend someone's download.
    GET claims the ticket (of two requests for it, one gets it) and logs it in the activity log, streams the
    file from a handle, and spends the ticket only once the last byte went out. Spending it on the request
    instead, as before, turned a transfer broken off midway into a bare 404 for the browser's retry (Chromium
    resumes an interrupted download with a new GET). The files stay until then: streaming from our own handle,
    never handing the path to the server (a FileResponse under granian is served after the response returns,
    ASGI pathsend).
    """
    token = request.path_params["token"]
    if request.method == "HEAD":
        ticket = await asyncio.to_thread(downloads.lookup, token)
    else:
        ticket = await asyncio.to_thread(_claim_and_log, token, client_ip(request))
    if ticket is None:
        return PlainTextResponse(GONE, status_code=404, headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if request.method == "HEAD":
        return FileResponse(ticket.path, media_type=ticket.media_type, filename=ticket.file_name, headers=headers)
    try:
        handle = await asyncio.to_thread(ticket.path.open, "rb")
    except OSError:
        downloads.release(ticket)
        raise
    size = os.fstat(handle.fileno()).st_size
    headers |= {"Content-Disposition": _attachment(ticket.file_name), "Content-Length": str(size)}
    return StreamingResponse(_deliver(ticket, handle, size), media_type=ticket.media_type, headers=headers)


api = Starlette(
    routes=[
        Route("/api/health", health),
        Route(downloads.URL_PREFIX + "{token}", download, methods=["GET", "HEAD"]),
        *session.ROUTES,
        Mount(v1.PREFIX, routes=v1.ROUTES),
    ],
    # Reflex mounts itself inside this app (api_transformer), so the event socket passes through here too.
    middleware=[Middleware(SocketSessionMiddleware)],
)
