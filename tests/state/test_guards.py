"""Every event handler of every State class goes through the one permission check."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import reflex as rx
from sqlmodel import select

from opex_app.auth.permissions import Permission, Principal, RoleName, require
from opex_app.state.guard import GUARD_ATTR, PUBLIC_ATTR
from tests.state.principals import app_states

# Handlers that run with nobody logged in, and why each is safe to leave open; any other must be guarded.
# (tests/state/test_direct_calls.py calls each as nobody and proves it gives nothing away.)
PUBLIC = {
    "AppState.check_login": "reads only the caller's own session; without one it clears the shell and goes to /login",
    "AppState.logout": "ends only the caller's own session and resets the tab's states",
    "LoginState.submit": "only shows the form busy; the credentials go from the browser to POST /api/session",
    "LoginState.refused": "only shows the login's refusal message and clears the busy flag",
    "LoginState.redirect_if_logged_in": "only decides whether the login page forwards to the overview",
}


def _own_handlers(cls: type[rx.State]) -> dict[str, object]:
    """Every event handler of the class but Reflex's generic setvar (tests/state/test_direct_calls.py shows it
    reaches only guarded handlers): a setter Reflex would generate for a var counts, and is unguarded."""
    return {name: handler.fn for name, handler in cls.event_handlers.items() if name != "setvar"}


def test_there_are_states_and_handlers_to_check() -> None:
    states = app_states()
    assert len(states) >= 4
    assert sum(len(_own_handlers(cls)) for cls in states) >= 8


def test_every_handler_is_guarded_or_knowingly_public() -> None:
    unguarded = []
    for cls in app_states():
        for name, fn in _own_handlers(cls).items():
            if getattr(fn, GUARD_ATTR, None) is not None:
                continue
            owner = next(c.__name__ for c in cls.__mro__ if name in vars(c))
            if getattr(fn, PUBLIC_ATTR, False) and f"{owner}.{name}" in PUBLIC:
                continue
            unguarded.append(f"{cls.__name__}.{name}")
    assert unguarded == [], f"event handlers without require(): {unguarded}"


def test_viewer_is_refused_and_nothing_changes(database_url: str) -> None:
    from opex_app.db import read_session
    from opex_app.models import AppUser
    from opex_app.state.admin import UsersState

    viewer = Principal(actor="viewer@example.com", user_id=None, roles=frozenset({RoleName.VIEWER}))
    fake_state = SimpleNamespace(_require=lambda permission: require(viewer, permission), error="", message="")
    handler = UsersState.event_handlers["add_user"].fn
    assert getattr(handler, GUARD_ATTR) == Permission.MANAGE_USERS
    result = handler(fake_state, {"email": "intruder@example.com", "role": "admin"})
    assert "Your role does not allow this" in str(result)
    with read_session() as session:
        assert session.exec(select(AppUser).where(AppUser.email == "intruder@example.com")).first() is None
    assert fake_state.message == ""


@pytest.mark.parametrize("role", [RoleName.ADMIN])
def test_admin_passes_the_same_guard(database_url: str, role: RoleName) -> None:
    from opex_app.db import read_session
    from opex_app.models import AppUser
    from opex_app.state.admin import UsersState

    admin = Principal(actor="admin@example.com", roles=frozenset({role}))
    fake_state = SimpleNamespace(_require=lambda permission: require(admin, permission), error="", message="")
    UsersState.event_handlers["add_user"].fn(fake_state, {"email": "guarded-ok@example.com", "role": "viewer"})
    assert "guarded-ok@example.com" in fake_state.message
    with read_session() as session:
        assert session.exec(select(AppUser).where(AppUser.email == "guarded-ok@example.com")).one()


def test_the_app_would_not_start_with_an_unguarded_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check runs when the app module loads (opex_app.py): a handler without require() stops the start,
    whatever put it there (a new handler without @guarded, the setters of REFLEX_STATE_AUTO_SETTERS=true)."""
    from opex_app.state.budget_grid import BudgetGridState
    from opex_app.state.guard import refuse_unguarded_handlers, unguarded_handlers

    assert unguarded_handlers() == []
    refuse_unguarded_handlers()
    # what REFLEX_STATE_AUTO_SETTERS=true adds for each var: a plain setter event, without the guard
    setter = rx.event.EventHandler(fn=lambda self, value: None, state=BudgetGridState)
    monkeypatch.setitem(BudgetGridState.event_handlers, "set_page_number", setter)
    assert unguarded_handlers() == ["BudgetGridState.set_page_number"]
    with pytest.raises(RuntimeError, match=r"BudgetGridState\.set_page_number\. Is REFLEX_STATE_AUTO_SETTERS set"):
        refuse_unguarded_handlers()
    monkeypatch.undo()
    assert unguarded_handlers() == []
