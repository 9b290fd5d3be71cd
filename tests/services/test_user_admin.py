"""User administration: search, create with a one-time password, roles, deactivation, password reset;
every change that alters access ends the user's other sessions (sessions.resolve then returns None)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied, Principal, RoleName
from opex_app.models import AuditEvent
from opex_app.services import sessions, user_admin
from opex_app.services.errors import ServiceError
from tests.conftest import make_principal

PASSWORD = "correct horse battery"


def _events(session: Session, user_id: int | None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.entity == "app_user", AuditEvent.entity_id == str(user_id))
    return list(session.exec(stmt.order_by(col(AuditEvent.id))))


def _login(session: Session, email: str, password: str = PASSWORD) -> str:
    token, _ = sessions.login(session, email=email, password=password)
    return token


def test_create_account_gives_a_one_time_password_that_logs_in(session: Session, admin: Principal) -> None:
    created = user_admin.create_account(
        session=session,
        principal=admin,
        email="New.Analyst@example.com",
        full_name=" Nia Analyst ",
        roles=["analyst", "approver"],
    )
    assert created.password and len(created.password) >= 12
    token, principal = sessions.login(session, email="new.analyst@example.com", password=created.password)
    assert principal.roles == frozenset({RoleName.ANALYST, RoleName.APPROVER})
    assert principal.display_name == "Nia Analyst"
    (event,) = [e for e in _events(session, created.user_id) if e.action == "create"]
    assert event.actor == admin.actor
    assert event.changes == {
        "email": [None, "new.analyst@example.com"],
        "full_name": [None, "Nia Analyst"],
        "roles": [None, ["approver", "analyst"]],
    }
    assert created.password not in json.dumps(event.changes) and "argon2" not in json.dumps(event.changes)
    assert sessions.resolve(session, token) is not None


def test_create_account_needs_a_role_and_a_known_one(session: Session, admin: Principal) -> None:
    with pytest.raises(ServiceError, match="at least one role"):
        user_admin.create_account(session=session, principal=admin, email="x@example.com", full_name="", roles=[])
    with pytest.raises(ServiceError, match="unknown role 'boss'"):
        user_admin.create_account(session=session, principal=admin, email="x@example.com", full_name="", roles=["boss"])


def test_changing_roles_ends_the_users_sessions_and_is_audited(session: Session, admin: Principal) -> None:
    target = make_principal(session, "analyst", email="roles@example.com")
    token = _login(session, "roles@example.com")
    assert target.user_id is not None
    after = user_admin.set_roles(session=session, principal=admin, user_id=target.user_id, roles=["viewer"])
    assert after == (RoleName.VIEWER,)
    assert sessions.resolve(session, token) is None
    new_token = _login(session, "roles@example.com")
    resolved = sessions.resolve(session, new_token)
    assert resolved is not None and resolved.roles == frozenset({RoleName.VIEWER})
    (event,) = [e for e in _events(session, target.user_id) if e.action == "set_roles"]
    assert event.changes == {"roles": [["analyst"], ["viewer"]], "sessions_ended": 1}


def test_same_roles_change_nothing_and_keep_sessions(session: Session, admin: Principal) -> None:
    target = make_principal(session, "analyst", email="same@example.com")
    token = _login(session, "same@example.com")
    assert target.user_id is not None
    user_admin.set_roles(session=session, principal=admin, user_id=target.user_id, roles=[RoleName.ANALYST])
    assert sessions.resolve(session, token) is not None
    assert [e.action for e in _events(session, target.user_id)] == ["create", "login"]


def test_an_admin_editing_their_own_roles_keeps_this_session_only(session: Session) -> None:
    me = make_principal(session, "admin", email="me@example.com")
    here, elsewhere = _login(session, "me@example.com"), _login(session, "me@example.com")
    assert me.user_id is not None
    user_admin.set_roles(
        session=session,
        principal=me,
        user_id=me.user_id,
        roles=["admin", "approver"],
        keep_session=sessions.session_key(here),
    )
    assert sessions.resolve(session, here) is not None
    assert sessions.resolve(session, elsewhere) is None


def test_you_cannot_remove_your_own_admin_role_or_deactivate_yourself(session: Session) -> None:
    me = make_principal(session, "admin", email="self@example.com")
    token = _login(session, "self@example.com")
    assert me.user_id is not None
    with pytest.raises(ServiceError, match="cannot remove your own Admin role"):
        user_admin.set_roles(session=session, principal=me, user_id=me.user_id, roles=["analyst"])
    with pytest.raises(ServiceError, match="cannot deactivate your own account"):
        user_admin.set_active(session=session, principal=me, user_id=me.user_id, active=False)
    resolved = sessions.resolve(session, token)
    assert resolved is not None and RoleName.ADMIN in resolved.roles


def test_deactivation_ends_sessions_and_login_reactivation_restores_it(session: Session, admin: Principal) -> None:
    target = make_principal(session, "analyst", email="leaver@example.com")
    token = _login(session, "leaver@example.com")
    assert target.user_id is not None
    assert user_admin.set_active(session=session, principal=admin, user_id=target.user_id, active=False)
    assert sessions.resolve(session, token) is None
    with pytest.raises(sessions.LoginRefused):
        _login(session, "leaver@example.com")
    assert not user_admin.set_active(session=session, principal=admin, user_id=target.user_id, active=False)
    assert user_admin.set_active(session=session, principal=admin, user_id=target.user_id, active=True)
    assert sessions.resolve(session, _login(session, "leaver@example.com")) is not None
    changes = {e.action: e.changes for e in _events(session, target.user_id)}
    assert changes["deactivate"] == {"is_active": [True, False], "sessions_ended": 1}
    assert changes["reactivate"] == {"is_active": [False, True]}


def test_reset_password_ends_sessions_and_only_the_new_password_works(session: Session, admin: Principal) -> None:
    target = make_principal(session, "viewer", email="forgot@example.com")
    token = _login(session, "forgot@example.com")
    assert target.user_id is not None
    fresh = user_admin.reset_password(session=session, principal=admin, user_id=target.user_id)
    assert fresh != PASSWORD and len(fresh) >= 12
    assert sessions.resolve(session, token) is None
    with pytest.raises(sessions.LoginRefused):
        _login(session, "forgot@example.com")
    assert sessions.resolve(session, _login(session, "forgot@example.com", fresh)) is not None
    event = next(e for e in _events(session, target.user_id) if e.action == "reset_password")
    assert event.changes == {"password": ["(old)", "(reset by admin)"], "sessions_ended": 1}
    assert fresh not in json.dumps(event.changes)


def test_search_is_paged_on_the_server_and_takes_wildcards_literally(session: Session, admin: Principal) -> None:
    for n in range(5):
        make_principal(session, "viewer", email=f"pager{n}@search.example")
    make_principal(session, "viewer", email="under_score@search.example")
    first = user_admin.search_users(session=session, principal=admin, query="@SEARCH.example", page_size=4)
    assert (first.total, first.page, first.page_count, len(first.rows)) == (6, 1, 2, 4)
    assert [r.email for r in first.rows] == [f"pager{n}@search.example" for n in range(4)]
    last = user_admin.search_users(session=session, principal=admin, query="search.example", page=9, page_size=4)
    assert (last.page, [r.email for r in last.rows]) == (2, ["pager4@search.example", "under_score@search.example"])
    literal = user_admin.search_users(session=session, principal=admin, query="r_s")
    assert [r.email for r in literal.rows] == ["under_score@search.example"]
    assert user_admin.search_users(session=session, principal=admin, query="%").total == 0
    assert last.rows[0].roles == (RoleName.VIEWER,)


def test_only_user_managers_administer_users(session: Session, analyst: Principal) -> None:
    target = make_principal(session, "viewer", email="victim@example.com")
    token = _login(session, "victim@example.com")
    assert target.user_id is not None
    with pytest.raises(PermissionDenied):
        user_admin.search_users(session=session, principal=analyst)
    with pytest.raises(PermissionDenied):
        user_admin.set_active(session=session, principal=analyst, user_id=target.user_id, active=False)
    with pytest.raises(PermissionDenied):
        user_admin.reset_password(session=session, principal=analyst, user_id=target.user_id)
    with pytest.raises(PermissionDenied):
        user_admin.set_roles(session=session, principal=analyst, user_id=target.user_id, roles=["admin"])
    assert sessions.resolve(session, token) is not None
