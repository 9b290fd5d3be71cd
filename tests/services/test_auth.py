from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from opex_app.auth.passwords import verify_password
from opex_app.auth.permissions import Permission, PermissionDenied, RoleName, cli_principal, require
from opex_app.models import AppUser, AuditEvent, LoginAttempt, UserSession
from opex_app.services import sessions
from opex_app.services.errors import ServiceError
from opex_app.services.users import create_user
from tests.conftest import make_principal


def test_password_is_argon2id_and_verifies(session: Session) -> None:
    created = create_user(session, cli_principal(), email="A.User@Example.com", role=RoleName.ANALYST)
    user = session.get(AppUser, created.user_id)
    assert user is not None and user.email == "a.user@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert created.password and verify_password(user.password_hash, created.password)
    assert not verify_password(user.password_hash, "not the password")


def test_create_user_is_audited_by_cli_actor(session: Session) -> None:
    created = create_user(session, cli_principal(), email="b@example.com", role=RoleName.VIEWER)
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "app_user", AuditEvent.entity_id == str(created.user_id))
    ).one()
    assert event.actor.startswith("cli:")
    assert event.action == "create"
    assert event.changes and event.changes["roles"] == [None, ["viewer"]]


def test_duplicate_email_and_bad_email_refused(session: Session) -> None:
    create_user(session, cli_principal(), email="dup@example.com", role=RoleName.VIEWER)
    with pytest.raises(ServiceError, match="already exists"):
        create_user(session, cli_principal(), email="DUP@example.com", role=RoleName.ADMIN)
    with pytest.raises(ServiceError, match="not an e-mail"):
        create_user(session, cli_principal(), email="nobody", role=RoleName.ADMIN)


def test_only_admins_create_users(session: Session) -> None:
    analyst = make_principal(session, "analyst")
    with pytest.raises(PermissionDenied):
        create_user(session, analyst, email="x@example.com", role=RoleName.ADMIN)
    assert session.exec(select(AppUser).where(AppUser.email == "x@example.com")).first() is None


def test_login_resolve_logout(session: Session) -> None:
    make_principal(session, "approver", email="appr@example.com")
    token, principal = sessions.login(session, email=" APPR@example.com ", password="correct horse battery")
    assert principal.roles == frozenset({RoleName.APPROVER})
    resolved = sessions.resolve(session, token)
    assert resolved is not None and resolved.actor == "appr@example.com"
    assert session.exec(select(UserSession).where(UserSession.user_id == principal.user_id)).first() is not None
    sessions.logout(session, token)
    assert sessions.resolve(session, token) is None


def test_idle_session_expires(session: Session) -> None:
    user = make_principal(session, "viewer", email="idle@example.com")
    token, _ = sessions.login(session, email="idle@example.com", password="correct horse battery")
    row = session.exec(select(UserSession).where(UserSession.user_id == user.user_id)).one()
    row.last_seen_at = row.last_seen_at - timedelta(hours=9)
    session.add(row)
    session.flush()
    assert sessions.resolve(session, token) is None


def test_wrong_password_and_unknown_email_get_the_same_message(session: Session) -> None:
    make_principal(session, "viewer", email="known@example.com")
    with pytest.raises(sessions.LoginRefused) as wrong:
        sessions.login(session, email="known@example.com", password="nope")
    with pytest.raises(sessions.LoginRefused) as unknown:
        sessions.login(session, email="ghost@example.com", password="nope")
    assert str(wrong.value) == str(unknown.value) == sessions.WRONG_CREDENTIALS


@pytest.mark.parametrize("email", ["locked@example.com", "no-such-account@example.com"])
def test_five_failures_make_the_next_attempt_wait(
    session: Session, email: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The throttle itself is tested in test_login_throttle.py.) The clock stands still: under load, argon2
    alone could outlast the one-second wait that follows the fifth failure."""
    now = sessions.utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: now)
    make_principal(session, "viewer", email="locked@example.com")
    for _ in range(5):
        with pytest.raises(sessions.LoginRefused, match="Wrong e-mail or password"):
            sessions.login(session, email=email, password="bad")
    with pytest.raises(sessions.LoginRefused, match="Too many failed attempts"):
        sessions.login(session, email=email, password="correct horse battery")
    # once the window has passed, the right password works again
    for attempt in session.exec(select(LoginAttempt).where(LoginAttempt.email_key == email)):
        attempt.at = attempt.at - timedelta(minutes=16)
        session.add(attempt)
    session.flush()
    if email.startswith("locked"):
        token, _ = sessions.login(session, email=email, password="correct horse battery")
        assert token


def test_require_matrix() -> None:
    from opex_app.auth.permissions import Principal

    viewer = Principal(actor="v", roles=frozenset({RoleName.VIEWER}))
    analyst = Principal(actor="a", roles=frozenset({RoleName.ANALYST}))
    approver = Principal(actor="p", roles=frozenset({RoleName.APPROVER}))
    admin = Principal(actor="x", roles=frozenset({RoleName.ADMIN}))
    assert require(viewer, Permission.VIEW_DASHBOARDS) is viewer
    for denied in (Permission.EDIT_BUDGET, Permission.IMPORT, Permission.APPROVE_PO, Permission.MANAGE_USERS):
        with pytest.raises(PermissionDenied):
            require(viewer, denied)
    assert analyst.can(Permission.IMPORT) and not analyst.can(Permission.APPROVE_PO)
    assert approver.can(Permission.APPROVE_PO) and not approver.can(Permission.EDIT_BUDGET)
    assert all(admin.can(p) for p in Permission)
    with pytest.raises(PermissionDenied, match="log in"):
        require(None, Permission.VIEW_DASHBOARDS)


def test_audit_table_is_append_only(session: Session) -> None:
    create_user(session, cli_principal(), email="audited@example.com", role=RoleName.VIEWER)
    session.flush()
    for statement in ("UPDATE audit_event SET actor = 'forger'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        nested.rollback()
    assert session.exec(select(AuditEvent).where(AuditEvent.actor == "forger")).first() is None


def test_audit_trigger_binds_superusers_too(database_url: str) -> None:
    """The connection in tests is a superuser (trust auth as postgres): the trigger still refuses."""
    from opex_app.db import get_engine

    with get_engine().connect() as conn:
        is_super = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        conn.execute(text("INSERT INTO audit_event (actor, action, entity) VALUES ('t', 'create', 't')"))
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_event"))
        conn.rollback()
    assert is_super is True
