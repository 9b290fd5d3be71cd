"""The running app (as production runs it, no nginx in front) sends its own security headers on every kind of
response, accepts only its own origin for CORS and the event websocket, and gates Reflex's `/_upload`: size
refused before the body is stored, anonymous clients refused, a non-upload handler answered with a 4xx.
The pages work under the policy: Chromium reports no CSP violation on the login page, dashboard and grid."""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningApp, import_budget

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}
EVIL = "https://evil.example"
STATE = "reflex___state____state.opex_app___state___base____app_state"
UPLOAD_HANDLER = f"{STATE}.opex_app___state___imports____import_state.handle_upload"
MB = 1024 * 1024
BOUNDARY = "opexboundary"


def _connection(app: RunningApp) -> http.client.HTTPConnection:
    parts = urlsplit(app.url)
    return http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=60)


def _request(
    app: RunningApp, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = _connection(app)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _assert_security_headers(headers: dict[str, str]) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (name, headers)
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, csp


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),  # the static frontend
        ("GET", "/login/", 200),
        ("GET", "/api/health", 200),
        ("GET", "/api/v1/summary", 401),  # no API token
        ("GET", "/api/downloads/unknown-ticket", 404),
        ("POST", "/_upload", 400),  # no upload headers
    ],
)
def test_every_kind_of_response_carries_the_security_headers(running_app, method, path, status) -> None:
    got, headers, _ = _request(running_app, method, path)
    assert got == status
    _assert_security_headers(headers)
    assert headers["content-security-policy"].count("frame-ancestors") == 1
    assert list(headers).count("x-content-type-options") == 1


def test_cors_answers_only_the_site_origin(running_app) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "content-type"}
    status, headers, _ = _request(running_app, "OPTIONS", "/api/health", {"Origin": EVIL, **preflight})
    assert status == 400 and "access-control-allow-origin" not in headers
    _status, headers, _ = _request(running_app, "GET", "/api/health", {"Origin": EVIL})
    assert "access-control-allow-origin" not in headers  # the browser keeps the answer from evil.example

    status, headers, _ = _request(running_app, "OPTIONS", "/api/health", {"Origin": running_app.url, **preflight})
    assert status == 200 and headers["access-control-allow-origin"] == running_app.url
    _status, headers, _ = _request(running_app, "GET", "/api/health", {"Origin": running_app.url})
    assert headers["access-control-allow-origin"] == running_app.url


def _websocket_status(app: RunningApp, origin: str) -> int:
    """The status of a raw websocket handshake on the event endpoint (101 = accepted)."""
    parts = urlsplit(app.url)
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request.encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_event_websocket_refuses_a_foreign_origin(running_app) -> None:
    assert _websocket_status(running_app, EVIL) != 101
    assert _websocket_status(running_app, running_app.url) == 101


def _upload_headers(token: str, handler: str = UPLOAD_HANDLER, **extra: str) -> dict[str, str]:
    return {
        "Reflex-Client-Token": token,
        "Reflex-Event-Handler": handler,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    }


def _multipart(size: int) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head + b"x" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def test_upload_refuses_anonymous_clients_and_non_upload_handlers(running_app) -> None:
    body = _multipart(10)
    status, headers, payload = _request(running_app, "POST", "/_upload", _upload_headers(str(uuid.uuid4())), body)
    assert status == 401, payload
    _assert_security_headers(headers)

    logout = f"{STATE}.logout"
    status, _headers, payload = _request(running_app, "POST", "/_upload", _upload_headers("t", logout), body)
    assert status == 400 and "does not take uploaded files" in json.loads(payload)["detail"]
    status, _headers, payload = _request(running_app, "POST", "/_upload", _upload_headers("t", f"{STATE}.nope"), body)
    assert status == 400 and "Unknown upload event handler" in json.loads(payload)["detail"]


def test_upload_declaring_60_mb_is_refused_before_the_body_is_sent(running_app) -> None:
    conn = _connection(running_app)
    try:
        conn.putrequest("POST", "/_upload")
        for name, value in _upload_headers(str(uuid.uuid4()), **{"Content-Length": str(60 * MB)}).items():
            conn.putheader(name, value)
        conn.endheaders()  # not one byte of the body: the answer comes from the headers alone
        response = conn.getresponse()
        assert response.status == 413
        assert "limit of 50 MB" in json.loads(response.read())["detail"]
    finally:
        conn.close()


def _logged_in_client_token(page, login, app: RunningApp, email: str, role: str) -> tuple[str, str]:
    """(the tab's client token, the Cookie header its uploads carry: the browser's session cookie)."""
    login(email)
    expect(page.get_by_test_id("user-role")).to_have_text(role)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "opex_session"]
    return str(page.evaluate("window.sessionStorage.getItem('token')")), f"opex_session={cookie['value']}"


def test_upload_refuses_a_user_without_the_import_permission(page, login, running_app) -> None:
    token, cookie = _logged_in_client_token(page, login, running_app, running_app.viewer_email, "Viewer")
    body = _multipart(10)
    status, _headers, payload = _request(running_app, "POST", "/_upload", _upload_headers(token, Cookie=cookie), body)
    assert status == 403, payload
    # the tab's client token alone is not a session: the upload's own cookie is
    status, _headers, payload = _request(running_app, "POST", "/_upload", _upload_headers(token), body)
    assert status == 401, payload


def test_chunked_upload_past_the_limit_is_cut_off(page, login, running_app) -> None:
    """A logged-in analyst streams up to 200 MB without a Content-Length: the app answers 413 once 50 MB have
    arrived and stops reading, so the client cannot send the rest. (Loopback socket buffers take up to about
    10 MB that the server never reads, so the margin is wide: 60 MB once all went out on a busy machine.)"""
    token, cookie = _logged_in_client_token(page, login, running_app, running_app.analyst_email, "Analyst")
    conn = _connection(running_app)
    sent = 0
    chunk = b"x" * MB
    try:
        conn.putrequest("POST", "/_upload")
        for name, value in _upload_headers(token, Cookie=cookie, **{"Transfer-Encoding": "chunked"}).items():
            conn.putheader(name, value)
        conn.endheaders()
        head = _multipart(0).split(b"\r\n--" + BOUNDARY.encode() + b"--")[0]
        try:
            for piece in [head] + [chunk] * 200:
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading and closed: expected
        response = conn.getresponse()
        assert response.status == 413, response.read()
    finally:
        conn.close()
    assert sent < 100 * MB, f"the app read {sent // MB} MB of the body, not stopping at the limit"


@pytest.fixture(scope="module")
def budget_fy54(running_app, tmp_path_factory) -> str:
    """One budget line in FY54, so that the dashboard draws its plotly charts (the part that needs eval)."""
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from tests.domain.workbooks import write_workbook

    tag = uuid.uuid4().hex[:6].upper()
    header = ["UID", "Description", "Tower", "Vendor", "Entity", "Currency", *FiscalYear(2054).month_labels()]
    row = [f"CSP-{tag}", "CSP e2e line", f"CSP Tower {tag}", f"CSP Vendor {tag}", "CSP Entity", "INR", *[1000] * 12]
    path = write_workbook(tmp_path_factory.mktemp("csp") / "budget.xlsx", [header, row])
    with transaction() as session:
        import_budget(session, path, FiscalYear(2054))
    return "FY54"


def test_pages_work_under_the_content_security_policy(page, login, running_app, budget_fy54) -> None:
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)

    def violations() -> list[str]:
        return list(page.evaluate("window.__csp")) + console

    page.goto(f"{running_app.url}/login")
    expect(page.get_by_test_id("login-email")).to_be_visible()
    assert violations() == []
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin")  # the login worked: the socket is up
    assert violations() == []
    page.goto(f"{running_app.url}/?fy={budget_fy54}")
    expect(page.get_by_test_id("kpi-budget")).to_be_visible()
    expect(page.get_by_test_id("chart-towers").locator("g.trace.bars g.point path").first).to_be_visible()
    assert violations() == []
    page.goto(f"{running_app.url}/budgets?fy={budget_fy54}")
    expect(page.get_by_test_id("grid-row").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations() == []
