"""HTTP routes mounted beside Reflex: health for load balancers and orchestrators."""

from __future__ import annotations

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def health(request: Request) -> JSONResponse:
    import asyncio

    from opex_app.db import get_engine

    def ping() -> bool:
        with get_engine().connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    try:
        ok = await asyncio.to_thread(ping)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the probe
        return JSONResponse({"status": "error", "database": str(exc).splitlines()[0]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok" if ok else "error"})


api = Starlette(routes=[Route("/api/health", health)])
