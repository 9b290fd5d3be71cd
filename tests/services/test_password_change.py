"""A user changes their own password (services/user_admin.change_password): the current one is required, the
new one must pass the same rule as an admin-made account's plus the common-password list; their other sessions
end, this one stays; the change is audited without the password."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session, col, select

from opex_app.auth.common_passwords import is_common
from opex_app.auth.permissions import Principal, cli_principal
from opex_app.models import AppUser, AuditEvent, LoginAttempt
from opex_app.services import sessions, user_admin
from opex_app.services.errors import ServiceError
from tests.conftest import make_principal

PASSWORD = "correct horse battery"
NEW = "a brand new passphrase"


pytestmark = pytest.mark.usefixtures("cheap_hashing")


@pytest.fixture()
def user(session: Session) -> Principal:
    return make_principal(session, "analyst", f"pw-{uuid.uuid4().hex[:8]}@example.com")


def _change(session: Session, user: Principal, current: str, new: str, **kwargs) -> int:
    return user_admin.change_password(session=session, principal=user, current=current, new=new, **kwargs)


def test_the_common_password_list_is_the_packaged_one() -> None:
    assert is_common("password123") and is_common(" Qwertyuiop ") and is_common("1234567890")
    assert not is_common(PASSWORD) and not is_common(NEW)


def test_a_change_ends_the_other_sessions_keeps_this_one_and_is_audited(session: Session, user: Principal) -> None:
    mine, _ = sessions.login(session, email=user.actor, password=PASSWORD)
    other, _ = sessions.login(session, email=user.actor, password=PASSWORD)
    before = session.get(AppUser, user.user_id).password_hash

    assert _change(session, user, PASSWORD, NEW, keep_session=sessions.session_key(mine), ip="198.51.100.4") == 1
    assert sessions.resolve(session, mine) is not None
    assert sessions.resolve(session, other) is None
    with pytest.raises(sessions.LoginRefused):
        sessions.login(session, email=user.actor, password=PASSWORD)
    assert sessions.login(session, email=user.actor, password=NEW)[1].user_id == user.user_id
    after = session.get(AppUser, user.user_id).password_hash
    assert after != before and after.startswith("$argon2id$")

    [event] = session.exec(
        select(AuditEvent).where(AuditEvent.action == "change_password", AuditEvent.entity_id == str(user.user_id))
    ).all()
    assert event.actor == user.actor
    assert event.changes == {"password": ["(old)", "(changed by the user)"], "sessions_ended": 1}
    assert after not in str(event.changes) and NEW not in str(event.changes)


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("not my password", NEW, "current password is not right"),
        (PASSWORD, "short one", "The new password must have at least 10 characters"),
        (PASSWORD, "Password123", "The new password is on a list of the most common passwords"),
        (PASSWORD, PASSWORD, "The new password is your current one"),
    ],
)
def test_a_refused_change_says_why_and_leaves_the_password(
    session: Session, user: Principal, current: str, new: str, message: str
) -> None:
    before = session.get(AppUser, user.user_id).password_hash
    with pytest.raises(ServiceError, match=message):
        _change(session, user, current, new)
    session.expire_all()
    assert session.get(AppUser, user.user_id).password_hash == before
    assert sessions.login(session, email=user.actor, password=PASSWORD)[1].user_id == user.user_id


def test_a_wrong_current_password_counts_as_a_failed_login_and_is_throttled(
    session: Session, user: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(2):
        with pytest.raises(ServiceError, match="current password is not right"):
            _change(session, user, "guess number one", NEW, ip="203.0.113.9")
    failures = session.exec(
        select(LoginAttempt).where(LoginAttempt.email_key == user.actor, col(LoginAttempt.success).is_(False))
    ).all()
    assert [(a.ip, a.success) for a in failures] == [("203.0.113.9", False)] * 2
    from opex_app.services import login_throttle

    monkeypatch.setattr(login_throttle, "wait_seconds", lambda *a, **k: 8)
    with pytest.raises(ServiceError, match="Try again in 8 seconds"):
        _change(session, user, PASSWORD, NEW, ip="203.0.113.9")  # refused before the password is looked at


def test_the_operator_has_no_password_to_change(session: Session) -> None:
    with pytest.raises(ServiceError, match="only a user account"):
        _change(session, cli_principal(), "x", NEW)
