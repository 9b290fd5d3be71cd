"""GET /metrics: Prometheus text format, every worker's metrics of this host or pod in one scrape.

Who may read it (no user session needed; a scraper has none):
- with OPEX_METRICS_TOKEN set: any address presenting `Authorization: Bearer <token>`;
- without it: peers on loopback or a private network (RFC 1918, ULA, link-local) whose request did not come
  through a proxy (no X-Forwarded-For / Forwarded / X-Real-IP header): behind nginx every request arrives from
  nginx's private address, so those headers are what tells a forwarded public request apart. deploy/nginx.conf
  also answers /metrics itself with 404, so a public request never gets that far.
Anyone else gets 404, as if there were nothing here.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from opex_app.services.metrics import CONTENT_TYPE_LATEST, render
from opex_app.services.scrape_figures import live_sessions, sample_pool
from opex_app.settings import get_settings

PATH = "/metrics"
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
# Spelled out rather than `ip_address.is_private`, which also counts documentation and reserved ranges.
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
        "::1/128", "fc00::/7", "fe80::/10",
    )
)  # fmt: skip


def _internal_peer(request: Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS) or request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:  # e.g. a test client's made-up host name
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in INTERNAL_NETWORKS)


def allowed(request: Request) -> bool:
    token = get_settings().metrics_token
    if token is None:
        return _internal_peer(request)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


async def metrics(request: Request) -> Response:
    if not allowed(request):
        return PlainTextResponse("Not Found", status_code=404)

    def scrape() -> bytes:
        sample_pool()
        return render(live_sessions)

    body = await asyncio.to_thread(scrape)  # the session count may wait on the database
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


# A Starlette of its own in the app's api_transformer list (opex_app.py): Reflex mounts the rest of the app under
# it, and an explicit route answers /metrics exactly (a mounted prometheus ASGI app would answer /metrics/ only).
metrics_api = Starlette(routes=[Route(PATH, metrics, methods=["GET"])])
