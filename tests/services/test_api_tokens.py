"""Personal API tokens (services/api_tokens) and the number-format preference (services/preferences)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Principal, RoleName, cli_principal
from opex_app.models import ApiToken, AppUser, AuditEvent
from opex_app.models._types import utcnow
from opex_app.services import api_tokens, preferences
from opex_app.services.errors import NotFound, ServiceError
from tests.conftest import make_principal


def _events(session: Session, entity: str, entity_id: object) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
    return list(session.exec(stmt.order_by(col(AuditEvent.id))))


def test_create_shows_the_token_once_and_stores_only_its_hash(session: Session, viewer: Principal) -> None:
    created = api_tokens.create(session, viewer, name="  Power BI  ")
    assert created.token.startswith("opex_") and len(created.token) >= 5 + 43
    assert created.info.name == "Power BI" and created.info.status == "active"
    assert created.info.prefix == created.token[:12]
    row = session.get(ApiToken, created.info.id)
    assert row is not None and row.user_id == viewer.user_id
    assert row.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert created.token not in stored  # the raw token is stored nowhere
    [event] = _events(session, "api_token", created.info.id)
    assert event.action == "create" and event.actor == viewer.actor
    assert event.changes == {"name": [None, "Power BI"], "prefix": [None, created.info.prefix]}
    assert created.token not in str(event.changes)


def test_tokens_are_random(session: Session, viewer: Principal) -> None:
    tokens = {api_tokens.create(session, viewer, name=f"t{i}").token for i in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "give the token a name"),
        ("x" * 101, "at most 100 characters (this one has 101)"),
    ],
)
def test_bad_names_are_refused(session: Session, viewer: Principal, name: str, message: str) -> None:
    with pytest.raises(ServiceError, match=re.escape(message)):
        api_tokens.create(session, viewer, name=name)
    assert api_tokens.list_tokens(session, viewer) == []


def test_a_name_is_unique_among_live_tokens_only(session: Session, viewer: Principal) -> None:
    first = api_tokens.create(session, viewer, name="Excel")
    with pytest.raises(ServiceError, match="already have a live token named 'excel'"):
        api_tokens.create(session, viewer, name="excel")
    api_tokens.revoke(session, viewer, token_id=first.info.id)
    again = api_tokens.create(session, viewer, name="Excel")  # the old one is revoked: the name is free
    other = make_principal(session, "viewer")
    api_tokens.create(session, other, name="Excel")  # another user's names do not count
    assert again.info.id != first.info.id
    assert api_tokens.create(session, viewer, name="x" * 100).info.name == "x" * 100


def test_list_shows_own_tokens_live_first(session: Session, viewer: Principal, analyst: Principal) -> None:
    old = api_tokens.create(session, viewer, name="old")
    live = api_tokens.create(session, viewer, name="live")
    api_tokens.create(session, analyst, name="someone else's")
    api_tokens.revoke(session, viewer, token_id=old.info.id)
    listed = api_tokens.list_tokens(session, viewer)
    assert [(t.name, t.status) for t in listed] == [("live", "active"), ("old", "revoked")]
    assert listed[0] == live.info


def test_revoke_is_audited_and_limited_to_own_tokens(session: Session, viewer: Principal, analyst: Principal) -> None:
    mine = api_tokens.create(session, viewer, name="mine")
    with pytest.raises(NotFound, match=f"no API token #{mine.info.id}"):
        api_tokens.revoke(session, analyst, token_id=mine.info.id)
    assert api_tokens.authenticate(session, mine.token) is not None  # still live

    revoked = api_tokens.revoke(session, viewer, token_id=mine.info.id)
    assert revoked.status == "revoked" and revoked.revoked_at is not None
    assert [e.action for e in _events(session, "api_token", mine.info.id)] == ["create", "revoke"]
    assert api_tokens.authenticate(session, mine.token) is None
    with pytest.raises(ServiceError, match="already revoked"):
        api_tokens.revoke(session, viewer, token_id=mine.info.id)
    with pytest.raises(NotFound):
        api_tokens.revoke(session, viewer, token_id=-1)


def test_authenticate_acts_as_the_user_with_current_roles(session: Session, analyst: Principal) -> None:
    created = api_tokens.create(session, analyst, name="script")
    principal = api_tokens.authenticate(session, created.token)
    assert principal is not None
    assert (principal.actor, principal.user_id, principal.roles) == (
        analyst.actor,
        analyst.user_id,
        frozenset({RoleName.ANALYST}),
    )
    for bad in (None, "", created.token + "x", created.token[5:], "opex_" + "A" * 43):
        assert api_tokens.authenticate(session, bad) is None

    user = session.get(AppUser, analyst.user_id)
    assert user is not None
    user.is_active = False
    session.add(user)
    session.flush()
    assert api_tokens.authenticate(session, created.token) is None  # a disabled user's tokens stop working


def test_last_use_is_noted_at_most_once_a_minute(session: Session, viewer: Principal) -> None:
    created = api_tokens.create(session, viewer, name="bi")
    row = session.get(ApiToken, created.info.id)
    assert row is not None and row.last_used_at is None
    api_tokens.authenticate(session, created.token)
    assert row.last_used_at is not None

    recent = utcnow() - timedelta(seconds=30)
    row.last_used_at = recent
    session.add(row)
    session.flush()
    api_tokens.authenticate(session, created.token)
    assert row.last_used_at == recent  # within the minute: no write

    stale = utcnow() - timedelta(seconds=61)
    row.last_used_at = stale
    session.add(row)
    session.flush()
    api_tokens.authenticate(session, created.token)
    assert row.last_used_at > stale
    assert api_tokens.list_tokens(session, viewer)[0].last_used_at == row.last_used_at


def test_the_cli_operator_has_no_tokens(session: Session) -> None:
    with pytest.raises(ServiceError, match="belong to a user account"):
        api_tokens.create(session, cli_principal(), name="x")


def test_number_format_is_stored_and_audited(session: Session, viewer: Principal) -> None:
    assert preferences.set_number_format(session, viewer, " Western ") == "western"
    user = session.get(AppUser, viewer.user_id)
    assert user is not None and user.number_format == "western"
    [event] = [e for e in _events(session, "app_user", viewer.user_id) if e.action == "update"]
    assert event.changes == {"number_format": ["indian", "western"]}

    preferences.set_number_format(session, viewer, "western")  # unchanged: nothing more recorded
    assert len([e for e in _events(session, "app_user", viewer.user_id) if e.action == "update"]) == 1

    with pytest.raises(ServiceError, match=re.escape("'roman' is not a number format (expected: indian, western)")):
        preferences.set_number_format(session, viewer, "roman")
    assert user.number_format == "western"
