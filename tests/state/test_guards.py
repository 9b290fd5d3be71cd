"""Every event handler of every State class goes through the one permission check."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
import reflex as rx
from sqlmodel import select

from opex_app.auth.permissions import Permission, Principal, RoleName, require
from opex_app.state.guard import GUARD_ATTR, PUBLIC_ATTR

# Handlers that need no login by nature; anything else must be guarded.
# submit and refused only show the login form busy or refused (the credentials go to POST /api/session).
PUBLIC_ALLOWED = {"check_login", "logout", "submit", "refused", "redirect_if_logged_in"}


def _app_states() -> list[type[rx.State]]:
    importlib.import_module("opex_app.opex_app")  # registers every page and state
    from opex_app.state.base import AppState

    found, todo = [], [AppState]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _own_handlers(cls: type[rx.State]) -> dict[str, object]:
    return {
        name: handler.fn
        for name, handler in cls.event_handlers.items()
        if getattr(handler.fn, "__module__", "").startswith("opex_app")
    }


def test_there_are_states_and_handlers_to_check() -> None:
    states = _app_states()
    assert len(states) >= 4
    assert sum(len(_own_handlers(cls)) for cls in states) >= 8


def test_every_handler_is_guarded_or_knowingly_public() -> None:
    unguarded = []
    for cls in _app_states():
        for name, fn in _own_handlers(cls).items():
            if getattr(fn, GUARD_ATTR, None) is not None:
                continue
            if getattr(fn, PUBLIC_ATTR, False) and name in PUBLIC_ALLOWED:
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
