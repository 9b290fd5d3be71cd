"""The users page's handlers, called directly as the browser would (no UI): a generated password is handed
to the browser once, in the event that shows it, and never kept in state; an ended session is refused at its
next event."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from opex_app.auth.permissions import Principal, RoleName, cli_principal
from opex_app.db import transaction
from opex_app.services import sessions
from opex_app.services.users import create_user

PASSWORD = "correct horse battery"


class FakeUsersPage:
    """The UsersState fields and private helpers, on a plain object whose `_require` resolves a real token."""

    def __init__(self, token: str) -> None:
        from opex_app.state.admin import UsersState

        importlib.import_module("opex_app.opex_app")
        for name in ("_reset_messages", "_load"):
            setattr(self, name, getattr(UsersState, name).__get__(self))
        self.token = token
        self.rows: list[dict[str, str]] = []
        self.query, self.page_number, self.page_count, self.total = "", 1, 1, 0
        self.message = self.error = ""
        self.edit_user_id, self.edit_email, self.edit_roles = 0, "", []
        self.confirm_action, self.confirm_user_id, self.confirm_email = "", 0, ""

    def _session_key(self) -> str:
        return sessions.session_key(self.token)

    def _require(self, permission: Any) -> Principal:
        from opex_app.auth.permissions import PermissionDenied, require

        with transaction() as session:
            principal = sessions.resolve(session, self.token)
        if principal is None:
            raise PermissionDenied("Your session has ended. Please log in again.")
        return require(principal, permission)


def _handler(name: str) -> Any:
    from opex_app.state.admin import UsersState

    return UsersState.event_handlers[name].fn


def _admin_page(email: str) -> FakeUsersPage:
    with transaction() as session:
        create_user(session, cli_principal(), email=email, role=RoleName.ADMIN, password=PASSWORD)
        token, _ = sessions.login(session, email=email, password=PASSWORD)
    return FakeUsersPage(token)


@pytest.fixture()
def revealed(monkeypatch) -> list[tuple[str, str]]:
    """The (e-mail, password) pairs the handlers hand to the browser through `reveal_secret`."""
    from opex_app.state import admin

    shown: list[tuple[str, str]] = []

    def capture(email: str, password: str) -> str:
        shown.append((email, password))
        return "reveal"

    monkeypatch.setattr(admin, "reveal_secret", capture)
    return shown


def test_one_time_password_is_handed_to_the_browser_never_kept(database_url: str, revealed) -> None:
    page = _admin_page("otp-admin@example.com")
    events = _handler("add_user")(page, {"email": "otp-new@example.com", "name": "Otto", "role_analyst": "on"})
    assert page.error == "" and "reveal" in events
    ((email, secret),) = revealed
    assert email == "otp-new@example.com" and len(secret) >= 12
    assert secret not in repr(vars(page))
    with transaction() as session:
        _, principal = sessions.login(session, email="otp-new@example.com", password=secret)
    assert principal.roles == frozenset({RoleName.ANALYST})
    _handler("search")(page, {"query": "otp-"})
    assert [row["email"] for row in page.rows] == ["otp-admin@example.com", "otp-new@example.com"]
    (row,) = [r for r in page.rows if r["email"] == "otp-new@example.com"]
    _handler("ask_confirm")(page, "reset", int(row["id"]))
    assert _handler("confirm")(page) == "reveal"
    assert revealed[-1][0] == "otp-new@example.com" and revealed[-1][1] not in (secret, "")
    assert revealed[-1][1] not in repr(vars(page))


def test_deactivated_admins_open_tab_is_refused_at_its_next_event(database_url: str) -> None:
    boss = _admin_page("otp-boss@example.com")
    other = _admin_page("otp-other@example.com")
    _handler("search")(boss, {"query": "otp-other"})
    (row,) = boss.rows
    _handler("ask_confirm")(boss, "deactivate", int(row["id"]))
    _handler("confirm")(boss)
    assert boss.error == "" and "is deactivated" in boss.message
    refused = _handler("search")(other, {"query": ""})
    assert "session has ended" in str(refused)
    assert other.rows == []


def test_you_cannot_deactivate_yourself_through_the_page(database_url: str) -> None:
    page = _admin_page("otp-self@example.com")
    _handler("search")(page, {"query": "otp-self"})
    (row,) = page.rows
    _handler("ask_confirm")(page, "deactivate", int(row["id"]))
    _handler("confirm")(page)
    assert page.error == "You cannot deactivate your own account: ask another admin."
    assert _handler("search")(page, {"query": "otp-self"}) is None  # not refused: still logged in
    assert [r["active"] for r in page.rows] == ["yes"]


def test_roles_dialog_saves_the_ticked_roles_and_ends_the_users_session(database_url: str) -> None:
    page = _admin_page("otp-roles-admin@example.com")
    target = _admin_page("otp-roles-target@example.com")  # an admin with an open tab
    _handler("search")(page, {"query": "otp-roles-target"})
    (row,) = page.rows
    _handler("open_roles")(page, int(row["id"]))
    assert (page.edit_email, page.edit_roles) == ("otp-roles-target@example.com", ["admin"])
    _handler("save_roles")(page, {"role_approver": "on", "role_viewer": "on"})
    assert page.error == "" and page.edit_user_id == 0
    assert page.message == "otp-roles-target@example.com now has: Approver, Viewer. Their other sessions have ended."
    assert [r["roles"] for r in page.rows] == ["Approver, Viewer"]
    assert "session has ended" in str(_handler("search")(target, {"query": ""}))
    _handler("open_roles")(page, int(row["id"]))
    _handler("save_roles")(page, {})
    assert page.error == "choose at least one role"
