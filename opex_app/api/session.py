"""Log-in and log-out over HTTP: the only way the session token reaches the browser, as a cookie that page
scripts cannot read.

`POST /api/session` (JSON or form fields `email`, `password`): 200 `{"redirect": "/"}` with
`Set-Cookie: opex_session=<token>; HttpOnly; SameSite=Strict; Path=/` (`Secure` when the site is served over
https); 401 `{"error": ...}` for wrong credentials or a throttled attempt (the same words for known and unknown
e-mails, see services/sessions.py); 400 `{"error": ...}` for a missing field or an unreadable body. Every
login makes a new token and revokes the one the browser sent, if any.

`POST /api/session/logout`: revokes the cookie's session and expires the cookie; 200 `{"redirect": "/login"}`.

Both refuse (403) a request whose `Origin` is not the site's own: SameSite keeps the cookie off cross-site
requests, and this keeps another site from logging a visitor in or out. The event socket gets the session at its
handshake (api/socket_session.py, state/base.py), which is why the login page navigates after a success: the
page's socket was opened before the cookie existed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from opex_app.api.security_headers import site_origin
from opex_app.db import transaction
from opex_app.services import sessions

PATH = "/api/session"
HOME, LOGIN = "/", "/login"
MAX_BODY_BYTES = 16 * 1024
MISSING = "Enter your e-mail and password."
FOREIGN_ORIGIN = "This request did not come from the app's own pages."


def _answer(body: dict[str, str], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def client_ip(request: Request) -> str | None:
    """The client's address as the event socket sees it (Reflex's rule): the peer, or with
    `trusted_proxy_hops` configured, the forwarded address that many proxies back."""
    from reflex_base.config import get_config

    ip = request.client.host if request.client else None
    hops = get_config().trusted_proxy_hops
    if hops:
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            ip = forwarded[-hops]
    return ip


def _foreign(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and origin.rstrip("/") != site_origin()


async def _credentials(request: Request) -> tuple[str, str] | None:
    """(e-mail, password) from a JSON or form body; None for a body too large or unreadable."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return None
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            raw = await request.body()
            data: Any = json.loads(raw) if len(raw) <= MAX_BODY_BYTES else None
        else:
            data = await request.form(max_files=0, max_fields=10)
    except (ValueError, HTTPException, MultiPartException):
        return None
    if not hasattr(data, "get"):
        return None
    email, password = data.get("email"), data.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        return "", ""
    return email.strip(), password


def _cookie_secure() -> bool:
    return site_origin().startswith("https://")


def _login(email: str, password: str, ip: str | None, replaces: str | None) -> str:
    with transaction() as session:
        token, _ = sessions.login(session, email=email, password=password, ip=ip, replaces=replaces)
    return token


async def create_session(request: Request) -> Response:
    if _foreign(request):
        return _answer({"error": FOREIGN_ORIGIN}, 403)
    credentials = await _credentials(request)
    if credentials is None:
        return _answer({"error": "Unreadable log-in request."}, 400)
    email, password = credentials
    if not email or not password:
        return _answer({"error": MISSING}, 400)
    replaces = sessions.cookie_value(request.headers.get("cookie"))
    try:
        token = await asyncio.to_thread(_login, email, password, client_ip(request), replaces)
    except sessions.LoginRefused as exc:
        return _answer({"error": str(exc)}, 401)
    response = _answer({"redirect": HOME})
    response.set_cookie(
        sessions.COOKIE_NAME, token, path="/", httponly=True, samesite="strict", secure=_cookie_secure()
    )
    return response


def _logout(token: str | None, ip: str | None) -> None:
    with transaction() as session:
        sessions.logout(session, token, ip=ip)


async def end_session(request: Request) -> Response:
    if _foreign(request):
        return _answer({"error": FOREIGN_ORIGIN}, 403)
    token = sessions.cookie_value(request.headers.get("cookie"))
    await asyncio.to_thread(_logout, token, client_ip(request))
    response = _answer({"redirect": LOGIN})
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_cookie_secure())
    return response


ROUTES = [
    Route(PATH, create_session, methods=["POST"]),
    Route(PATH + "/logout", end_session, methods=["POST"]),
]
