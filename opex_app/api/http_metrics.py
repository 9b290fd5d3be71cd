"""Times, counts and logs every HTTP request, labelled by route template (`/api/v1/lines/{line_id}`), never the raw
path: raw paths (ids, tickets, the frontend's pages) would make a metric series per URL.

Pure ASGI, outermost in the app's stack, so it times everything the app answers (security headers and upload
gate included). Websockets (Reflex's event channel) pass untouched: their events are timed one by one by
`state/event_metrics.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opex_app.services.log_lines import log_fields
from opex_app.services.metrics import record_http
from opex_app.services.request_ids import new_request_id
from opex_app.services.scrape_figures import sample_pool

log = logging.getLogger("opex_app.http")
UNMATCHED = "unmatched"  # a 404 of no route: one label for every such path


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The template of the route that answers `scope`, mounts' prefixes joined (`/api/v1` + `/lines/{line_id}`).
    A mount without routes of its own (static files, the frontend) gives its prefix and `/{path}`."""
    for route in routes:
        match, child = route.matches(scope)
        if match != Match.FULL:
            continue
        if isinstance(route, Mount):
            inner = route.routes
            if not inner:
                return route.path + "/{path}"
            found = route_template(inner, {**scope, **child})
            return UNMATCHED if found == UNMATCHED else route.path + found
        return str(getattr(route, "path", UNMATCHED))
    return UNMATCHED


class HttpMetricsMiddleware:
    """Starts a request id, then records `opex_http_request_duration_seconds` and logs one line per request.

    `routes` is the live routing table of the whole stack (`metrics_api.routes`, into which Reflex mounts the rest
    of the app, its own routes and the frontend included); it is matched again after each response."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        new_request_id()
        sample_pool()
        before_routing = dict(scope)  # the routers below rewrite root_path and path_params in place
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(self.routes, before_routing)
            record_http(scope["method"], route, status, seconds)
            sample_pool()
            fields = log_fields(
                kind="http", method=scope["method"], route=route, status=status, duration_ms=round(seconds * 1000, 2)
            )
            log.info("%s %s %s", scope["method"], route, status, extra=fields)
