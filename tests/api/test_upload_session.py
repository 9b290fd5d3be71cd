"""Who may upload (state/upload_session.authorise_upload) against the real database: the request's own session
cookie decides, and the tab named by Reflex-Client-Token must belong to the cookie's user."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from opex_app.api.upload_guard import Refused
from opex_app.auth.permissions import Permission, RoleName, cli_principal
from opex_app.db import transaction
from opex_app.services import sessions
from opex_app.services.users import create_user
from opex_app.state.guard import GUARD_ATTR
from opex_app.state.upload_session import authorise_upload

PASSWORD = "correct horse battery"


def _user(role: RoleName) -> tuple[str, str]:
    email = f"upload-{role.value}-{uuid.uuid4().hex[:6]}@example.com"
    with transaction() as session:
        create_user(session, cli_principal(), email=email, role=role, password=PASSWORD)
        token, _ = sessions.login(session, email=email, password=PASSWORD)
    return email, token


@pytest.fixture()
def tabs(monkeypatch) -> dict[str, str]:
    """client token -> the e-mail its tab's AppState shows (instead of Reflex's state manager)."""
    import reflex.istate.wrappers

    owners: dict[str, str] = {}

    async def get_state(client_token: str, state_cls: Any) -> Any:
        return SimpleNamespace(user_email=owners.get(client_token, ""))

    monkeypatch.setattr(reflex.istate.wrappers, "get_state", get_state)
    return owners


def _handler() -> Any:
    def handle_upload(self: Any, files: Any) -> None: ...

    setattr(handle_upload, GUARD_ATTR, Permission.IMPORT)
    return SimpleNamespace(fn=handle_upload)


def _authorise(cookie: str | None, client_token: str) -> None:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    asyncio.run(authorise_upload({"type": "http", "headers": headers}, client_token, _handler()))


def test_the_uploads_own_cookie_decides(database_url: str, tabs) -> None:
    analyst, token = _user(RoleName.ANALYST)
    tabs["tab-a"] = analyst
    _authorise(f"{sessions.COOKIE_NAME}={token}", "tab-a")  # allowed: no Refused
    for cookie in (None, "theme=dark", f"{sessions.COOKIE_NAME}=not-a-session"):
        with pytest.raises(Refused) as refused:
            _authorise(cookie, "tab-a")
        assert refused.value.status == 401
    with transaction() as session:
        sessions.logout(session, token)
    with pytest.raises(Refused) as refused:
        _authorise(f"{sessions.COOKIE_NAME}={token}", "tab-a")
    assert refused.value.status == 401


def test_another_users_tab_and_a_missing_permission_are_refused(database_url: str, tabs) -> None:
    analyst, analyst_token = _user(RoleName.ANALYST)
    viewer, viewer_token = _user(RoleName.VIEWER)
    tabs["tab-analyst"], tabs["tab-viewer"] = analyst, viewer
    with pytest.raises(Refused) as refused:  # a live session, but the files would land in someone else's tab
        _authorise(f"{sessions.COOKIE_NAME}={viewer_token}", "tab-analyst")
    assert refused.value.status == 401
    with pytest.raises(Refused) as refused:
        _authorise(f"{sessions.COOKIE_NAME}={viewer_token}", "tab-viewer")
    assert refused.value.status == 403
    _authorise(f"{sessions.COOKIE_NAME}={analyst_token}", "tab-analyst")
