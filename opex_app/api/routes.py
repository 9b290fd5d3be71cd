"""HTTP routes mounted beside Reflex: health for load balancers and orchestrators, one-time downloads."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from opex_app.api import v1
from opex_app.services import downloads

GONE = "This download link is unknown, expired or already used. Export again."


async def health(request: Request) -> JSONResponse:
    from opex_app.db import get_engine

    def ping() -> bool:
        with get_engine().connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    try:
        ok = await asyncio.to_thread(ping)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the probe
        return JSONResponse({"status": "error", "database": str(exc).splitlines()[0]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok" if ok else "error"})


async def download(request: Request) -> Response:
    """Serve a generated file once (GET /api/downloads/{token}); the token is the capability.

    HEAD answers without using the ticket up, so a probe cannot spend someone's download.
    """
    token = request.path_params["token"]
    if request.method == "HEAD":
        ticket = await asyncio.to_thread(downloads.lookup, token)
    else:
        ticket = await asyncio.to_thread(downloads.claim, token)
    if ticket is None:
        return PlainTextResponse(GONE, status_code=404, headers={"Cache-Control": "no-store"})
    return FileResponse(
        ticket.path,
        media_type=ticket.media_type,
        filename=ticket.file_name,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=None if request.method == "HEAD" else BackgroundTask(downloads.discard, ticket),
    )


api = Starlette(
    routes=[
        Route("/api/health", health),
        Route(downloads.URL_PREFIX + "{token}", download, methods=["GET", "HEAD"]),
        Mount(v1.PREFIX, routes=v1.ROUTES),
    ]
)
