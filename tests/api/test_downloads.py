"""One-time downloads: tickets on disk, GET /api/downloads/{token}, and DownloadState that issues them."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from opex_app.api.routes import api
from opex_app.auth.permissions import Permission, Principal, RoleName, require
from opex_app.services import downloads
from opex_app.settings import get_settings
from opex_app.state.downloads import DownloadState
from opex_app.state.guard import GUARD_ATTR

CONTENT = b"PK\x03\x04 not really a workbook"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    return tmp_path / "downloads"


@pytest.fixture()
def client(database_url: str) -> TestClient:  # a served download is written to the activity log
    return TestClient(api)


def _issue(name: str = "budget-FY27.xlsx", content: bytes = CONTENT, **kwargs: Any) -> downloads.Ticket:
    with downloads.issue(name, **kwargs) as ticket:
        ticket.path.write_bytes(content)
    return ticket


def test_a_ticket_downloads_once_as_an_attachment(folder: Path, client: TestClient) -> None:
    ticket = _issue()
    assert ticket.url == f"/api/downloads/{ticket.token}"
    assert ticket.path == folder / f"{ticket.token}.xlsx"

    response = client.get(ticket.url)
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="budget-FY27.xlsx"'
    assert response.headers["cache-control"] == "no-store"

    assert client.get(ticket.url).status_code == 404  # used up
    assert list(folder.iterdir()) == []  # and its files are gone


def test_head_does_not_use_the_ticket_up(folder: Path, client: TestClient) -> None:
    ticket = _issue()
    assert client.head(ticket.url).status_code == 200
    assert client.get(ticket.url).content == CONTENT


def test_tokens_are_long_random_and_url_safe(folder: Path) -> None:
    tokens = {_issue().token for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 32 and downloads.is_valid_token(t) for t in tokens)


def test_unknown_token_is_404(folder: Path, client: TestClient) -> None:
    _issue()
    response = client.get("/api/downloads/" + "A" * 43)
    assert response.status_code == 404
    assert "expired" in response.text


@pytest.mark.parametrize(
    "token",
    ["..", "." * 40, "..%2F..%2Fsecret", "%2e%2e%2fsecret", "secret.json", "a" * 40 + "%00", "short"],
)
def test_traversal_looking_tokens_are_404(folder: Path, client: TestClient, token: str) -> None:
    # a ticket-shaped pair of files one level up must never be reachable
    parent = folder.parent
    (parent / "secret.xlsx").write_bytes(b"secret")
    (parent / "secret.json").write_text('{"file_name": "s.xlsx", "created_at": "2999-01-01T00:00:00+00:00"}')
    _issue()
    response = client.get(f"/api/downloads/{token}")
    assert response.status_code == 404
    assert b"secret" not in response.content
    assert downloads.claim("../secret") is None and downloads.lookup("../secret") is None
    assert (parent / "secret.xlsx").exists()


def test_an_expired_ticket_is_404_and_removed(folder: Path, client: TestClient) -> None:
    ticket = _issue(now=datetime.now(UTC) - downloads.TICKET_TTL - timedelta(seconds=1))
    assert downloads.lookup(ticket.token) is None
    assert client.get(ticket.url).status_code == 404
    assert not ticket.path.exists()


def test_expired_files_are_swept_when_a_ticket_is_issued(folder: Path) -> None:
    old = _issue()
    stale = time.time() - downloads.TICKET_TTL.total_seconds() - 5
    for path in folder.iterdir():
        os.utime(path, (stale, stale))
    (folder / "README").write_text("not ours")  # files that are not tickets are left alone
    fresh = _issue()
    assert sorted(p.name for p in folder.iterdir()) == sorted(["README", fresh.path.name, f"{fresh.token}.json"])
    assert downloads.lookup(old.token) is None


def test_a_failed_write_leaves_nothing(folder: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), downloads.issue("budget-FY27.xlsx") as ticket:
        ticket.path.write_bytes(b"half")
        raise RuntimeError("boom")
    assert list(folder.iterdir()) == []
    assert downloads.lookup(ticket.token) is None


def test_friendly_names_are_made_safe(folder: Path, client: TestClient) -> None:
    ticket = _issue('../budget "FY27"\r\n.xlsx')
    assert ticket.file_name == "_budget _FY27_.xlsx" and ticket.path.parent == folder
    assert "\n" not in client.get(ticket.url).headers["content-disposition"]


def test_only_one_of_two_claims_wins(folder: Path) -> None:
    ticket = _issue()
    assert downloads.claim(ticket.token) == ticket
    assert downloads.claim(ticket.token) is None


# --- DownloadState ------------------------------------------------------------------------------


class _Proxy:
    """Stands in for the StateProxy a background task gets: `async with self` and a server-side check."""

    busy = False
    error = ""
    _busy_since = 0.0
    _run = DownloadState._run

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.entered = 0

    def _require(self, permission: Permission) -> Principal:
        return require(self.principal, permission)

    async def __aenter__(self) -> _Proxy:
        self.entered += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def _events(handler: str, proxy: _Proxy, arg: Any) -> list[Any]:
    async def collect() -> list[Any]:
        return [event async for event in DownloadState.event_handlers[handler].fn(proxy, arg)]

    return asyncio.run(collect())


def _payload(event: Any) -> dict[str, Any]:
    return {name._js_expr: getattr(value, "_var_value", value) for name, value in event.args}


def test_download_handlers_are_guarded_background_tasks() -> None:
    for name in ("export_budget", "download_template"):
        handler = DownloadState.event_handlers[name]
        assert handler.is_background
        assert getattr(handler.fn, GUARD_ATTR) == Permission.VIEW_DASHBOARDS


def test_template_download_end_to_end(database_url: str, folder: Path, client: TestClient) -> None:
    proxy = _Proxy(Principal(actor="viewer@example.com", roles=frozenset({RoleName.VIEWER})))
    events = _events("download_template", proxy, "FY27")
    assert proxy.busy is False and proxy.error == ""
    download = _payload(events[0])
    assert download["filename"] == "budget-template-FY27.xlsx"
    assert download["url"].startswith("/api/downloads/")

    response = client.get(download["url"])
    assert response.status_code == 200
    target = folder.parent / "fetched.xlsx"
    target.write_bytes(response.content)
    assert openpyxl.load_workbook(target)["Budget"]["L1"].value == "Apr-26"


def test_export_errors_are_shown_and_busy_is_reset(database_url: str, folder: Path) -> None:
    proxy = _Proxy(Principal(actor="viewer@example.com", roles=frozenset({RoleName.VIEWER})))
    events = _events("export_budget", proxy, {"fy": "FY41", "unknown": "ignored"})
    assert len(events) == 1 and "no fiscal year FY41" in str(events[0])
    assert proxy.busy is False and proxy.error == "there is no fiscal year FY41"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_user_without_a_role_is_refused_before_any_work(folder: Path) -> None:
    proxy = _Proxy(Principal(actor="nobody@example.com"))
    events = _events("export_budget", proxy, {})
    assert len(events) == 1 and "Your role does not allow this" in str(events[0])
    assert proxy.entered == 0 and proxy.busy is False


def test_a_second_click_while_busy_does_nothing(folder: Path) -> None:
    proxy = _Proxy(Principal(actor="viewer@example.com", roles=frozenset({RoleName.VIEWER})))
    proxy.busy, proxy._busy_since = True, time.time()
    assert _events("download_template", proxy, "FY27") == []


def test_an_ended_session_in_a_background_task_is_refused() -> None:
    from reflex.utils.exceptions import ImmutableStateError

    from opex_app.auth.permissions import PermissionDenied

    class Ended:
        def _principal(self) -> None:
            return None

        def _clear_user(self) -> None:
            raise ImmutableStateError("read-only outside `async with self`")

    with pytest.raises(PermissionDenied, match="session has ended"):
        DownloadState._require(Ended(), Permission.VIEW_DASHBOARDS)  # type: ignore[arg-type]
