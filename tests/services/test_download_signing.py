"""Download tickets are signed with OPEX_SECRET_KEY and bound to the user who asked for them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opex_app.services import downloads
from opex_app.settings import get_settings


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    return tmp_path / "downloads"


def _issue(user_id: int | None = 7) -> downloads.Ticket:
    with downloads.issue("budget-FY27.xlsx", user_id=user_id) as ticket:
        ticket.path.write_bytes(b"PK\x03\x04 data")
    return ticket


def _edit_meta(folder: Path, ticket: downloads.Ticket, **changes: object) -> None:
    meta_path = folder / f"{ticket.token}.json"
    meta = json.loads(meta_path.read_text())
    meta.update(changes)
    meta_path.write_text(json.dumps(meta))


def test_the_metadata_carries_the_user_and_a_signature(folder: Path) -> None:
    ticket = _issue(user_id=7)
    meta = json.loads((folder / f"{ticket.token}.json").read_text())
    assert meta["user_id"] == 7
    assert len(meta["signature"]) == 64
    assert downloads.lookup(ticket.token) == ticket and ticket.user_id == 7


@pytest.mark.parametrize(
    "change",
    [
        {"user_id": 8},  # handed to someone else
        {"created_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},  # life lengthened
        {"file_name": "budget-FY27.html", "media_type": "text/html"},  # served as something else
        {"signature": "0" * 64},
    ],
)
def test_an_edited_metadata_file_is_refused(folder: Path, change: dict[str, object]) -> None:
    ticket = _issue()
    _edit_meta(folder, ticket, **change)
    assert downloads.lookup(ticket.token) is None
    assert downloads.claim(ticket.token) is None


def test_a_ticket_signed_with_another_key_is_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = _issue()
    monkeypatch.setattr(get_settings(), "secret_key", "another-secret-key-of-enough-length-0123456789")
    assert downloads.lookup(ticket.token) is None


def test_another_user_cannot_spend_the_ticket_and_its_owner_still_can(folder: Path) -> None:
    ticket = _issue(user_id=7)
    assert downloads.lookup(ticket.token, user_id=8) is None
    assert downloads.claim(ticket.token, user_id=8) is None
    assert downloads.claim(ticket.token, user_id=7) == ticket
    assert downloads.claim(ticket.token, user_id=7) is None  # single use still


def test_a_metadata_file_without_signature_is_refused(folder: Path) -> None:
    """What a ticket written before signing (or by hand) looks like: not served."""
    ticket = _issue()
    meta_path = folder / f"{ticket.token}.json"
    meta = json.loads(meta_path.read_text())
    del meta["signature"]
    meta_path.write_text(json.dumps(meta))
    assert downloads.claim(ticket.token) is None
