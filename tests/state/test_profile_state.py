"""The profile page's handlers, called directly as the browser would (no UI): a new API token reaches the browser
only in the creating event's script, never the (pickled, Redis-kept) state; the password form's messages."""

from __future__ import annotations

import importlib
import uuid
from types import SimpleNamespace
from typing import Any

from opex_app.auth.permissions import Principal, RoleName, cli_principal
from opex_app.db import transaction
from opex_app.services import api_tokens, sessions
from opex_app.services.users import create_user
from tests.state.fakes import require_for_token

PASSWORD = "correct horse battery"


class FakeProfilePage:
    """Every synced var ProfileState declares, on a plain object whose `_require` resolves a real token."""

    def __init__(self, token: str) -> None:
        from opex_app.state.profile import ProfileState

        importlib.import_module("opex_app.opex_app")
        for name in ("_forget_token", "_load_tokens"):
            setattr(self, name, getattr(ProfileState, name).__get__(self))
        for name in ProfileState.base_vars:  # the page's own vars (all str but `tokens`), as a fresh page has them
            setattr(self, name, [] if name == "tokens" else "")
        self.session_token, self.number_format = token, "indian"
        self.router = SimpleNamespace(session=SimpleNamespace(client_ip="198.51.100.30"))

    def _require(self, permission: Any) -> Principal:
        return require_for_token(self.session_token, permission)

    def _session_key(self) -> str:
        return sessions.session_key(self.session_token)


def _handler(name: str) -> Any:
    from opex_app.state.profile import ProfileState

    return ProfileState.event_handlers[name].fn


def _page(role: RoleName = RoleName.VIEWER) -> tuple[FakeProfilePage, str]:
    email = f"profile-{uuid.uuid4().hex[:8]}@example.com"
    with transaction() as session:
        create_user(session, cli_principal(), email=email, role=role, password=PASSWORD)
        token, _ = sessions.login(session, email=email, password=PASSWORD)
    return FakeProfilePage(token), email


def _script_of(event: Any) -> str:
    """The JavaScript a returned rx.call_script event runs in the browser."""
    [code] = [value._var_value for name, value in event.args if str(name) == "javascript_code"]
    return str(code)


def test_a_new_token_is_only_in_the_returned_script_never_in_the_state(database_url: str) -> None:
    from opex_app.state.profile import ProfileState

    page, _ = _page()
    before = set(vars(page))
    event = _handler("create_token")(page, {"name": "Power BI"})
    assert page.error == "" and page.new_token_name == "Power BI"
    [row] = page.tokens
    script = _script_of(event)
    raw = script[script.index(api_tokens.TOKEN_PREFIX) :].split('"')[0]
    assert raw.startswith(row["prefix"].rstrip("…")) and len(raw) >= 5 + 43
    with transaction() as session:  # the script carries the real token: it authenticates
        assert api_tokens.authenticate(session, raw) is not None
    assert "new-token" in script  # it writes into the page's element
    assert set(vars(page)) == before  # no new attribute ...
    assert all(raw not in repr(value) for value in vars(page).values())  # ... and none holds the token
    assert "new_token" not in ProfileState.base_vars  # the var that used to hold it is gone
    _handler("dismiss_token")(page)
    assert page.new_token_name == ""


def test_a_refused_token_returns_no_script(database_url: str) -> None:
    page, _ = _page()
    assert _handler("create_token")(page, {"name": "  "}) is None
    assert page.error.startswith("Give the token a name") and page.new_token_name == ""


def test_the_password_form_says_what_happened(database_url: str) -> None:
    page, email = _page(RoleName.ANALYST)
    change = _handler("change_password")
    change(page, {"current_password": PASSWORD, "new_password": "a brand new passphrase", "repeat": "typo"})
    assert page.error == "The new password and its repetition differ: nothing was changed."
    change(page, {"current_password": "", "new_password": "x", "repeat": "x"})
    assert page.error == "Enter your current password and the new one."
    change(page, {"current_password": PASSWORD, "new_password": "qwertyuiop", "repeat": "qwertyuiop"})
    assert page.error == "The new password is on a list of the most common passwords: choose another one."
    with transaction() as session:
        other, _ = sessions.login(session, email=email, password=PASSWORD)
    new = "a brand new passphrase"
    change(page, {"current_password": PASSWORD, "new_password": new, "repeat": new})
    assert page.error == "" and page.message == "Your password is changed. 1 other session of yours ended."
    with transaction() as session:
        assert sessions.resolve(session, page.session_token) is not None  # this tab stays logged in
        assert sessions.resolve(session, other) is None
        assert sessions.login(session, email=email, password=new)[1].actor == email
    assert all(new not in repr(value) for value in vars(page).values())
