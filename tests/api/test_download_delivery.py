"""A one-time download is spent by delivering it, not by asking for it: a transfer that is cut before its last
byte leaves the ticket usable, so the browser's retry (or its automatic resumption of an interrupted download)
gets the file instead of a 404; and a ticket is on disk, claimable by any worker, before its URL is sent to the
browser."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import ClientDisconnect
from starlette.testclient import TestClient

from opex_app.api.routes import api
from opex_app.auth.permissions import RoleName
from opex_app.services import downloads
from opex_app.settings import get_settings

BIG = os.urandom(300_000)  # several 64 KiB chunks


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    # database_url: a served download is written to the activity log
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    return tmp_path / "downloads"


def _issue(content: bytes = BIG) -> downloads.Ticket:
    with downloads.issue("budget-FY36.xlsx") as ticket:
        ticket.path.write_bytes(content)
    return ticket


def _get_cut_after(url: str, chunks: int) -> int:
    """GET `url` through the ASGI app as a browser whose connection breaks after `chunks` body chunks arrived
    (the server's send raises, as granian's does for a closed connection); the bytes that got through."""
    received = {"bytes": 0, "chunks": 0}

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the browser sends nothing more (it never says it left: the send fails)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            if received["chunks"] >= chunks:
                raise OSError("connection reset by peer")
            received["chunks"] += 1
            received["bytes"] += len(message["body"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }

    async def run() -> None:
        try:
            await api(scope, receive, send)
        except (OSError, ClientDisconnect):  # what the server sees of a browser gone midway
            pass

    asyncio.run(run())
    return received["bytes"]


def test_a_cut_transfer_leaves_the_ticket_for_the_retry(folder: Path) -> None:
    ticket = _issue()
    got = _get_cut_after(ticket.url, chunks=1)
    assert 0 < got < len(BIG)  # the first attempt broke off midway
    client = TestClient(api)
    retry = client.get(ticket.url)
    assert retry.status_code == 200 and retry.content == BIG
    assert client.get(ticket.url).status_code == 404  # delivered once: now it is spent
    assert list(folder.iterdir()) == []


def test_a_ticket_is_spent_once_the_last_byte_is_sent(folder: Path) -> None:
    ticket = _issue()
    client = TestClient(api)
    assert client.get(ticket.url).content == BIG
    assert client.get(ticket.url).status_code == 404
    assert list(folder.iterdir()) == []


def test_a_cut_before_any_byte_leaves_it_too(folder: Path) -> None:
    ticket = _issue()
    assert _get_cut_after(ticket.url, chunks=0) == 0
    assert TestClient(api).get(ticket.url).content == BIG


def test_fresh_tickets_are_served_by_another_process_at_once(folder: Path) -> None:
    """The loop that looked for the 404: a ticket issued here is claimed at once by a second process (as a
    second worker would), 200 times, with other tickets issued (and swept) meanwhile."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    tokens, answers = context.Queue(), context.Queue()
    worker = context.Process(target=_claimer, args=(str(folder.parent), tokens, answers))
    worker.start()
    try:
        for _ in range(200):
            tokens.put(_issue(b"x" * 100).token)
        tokens.put(None)
        assert answers.get(timeout=120) == (200, 0)
    finally:
        worker.join(timeout=30)


def _claimer(data_dir: str, tokens: Any, answers: Any) -> None:
    get_settings().data_dir = Path(data_dir)
    served = missed = 0
    while (token := tokens.get()) is not None:
        ticket = downloads.claim(token)
        if ticket is None:
            missed += 1
            continue
        served += 1
        downloads.discard(ticket)
    answers.put((served, missed))


def test_the_ticket_is_claimable_before_its_url_reaches_the_browser(
    database_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DownloadState sends rx.download only after the ticket is published: at that moment another thread (a
    second worker answering the browser's GET) finds it."""
    from opex_app.state.downloads import DownloadState
    from tests.state.principals import act_as, fresh_state, principal

    act_as(monkeypatch, principal(RoleName.ANALYST))
    seen: list[bool] = []
    state = fresh_state(DownloadState)
    handler = DownloadState.event_handlers["download_template"].fn

    async def watch() -> None:
        async for event in handler(state, "FY36"):
            if "/api/downloads/" in str(event):
                token = str(event).split("/api/downloads/")[1][:43]
                with ThreadPoolExecutor(1) as other:
                    seen.append(other.submit(downloads.lookup, token).result() is not None)

    asyncio.run(watch())
    assert seen == [True]
