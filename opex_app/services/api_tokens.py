"""Personal API tokens for the read API: a user creates, names and revokes their own on the profile page.

The raw token is returned once, by `create`, and never stored: the table keeps its SHA-256 (to find it
again on each request) and its first characters (so the user can tell tokens apart). A token acts as its
user with the user's current roles, exactly as a login session does (`sessions.principal_of`), so the API
checks the same permissions as the UI; disabling the user or revoking the token ends it at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import ApiToken, AppUser
from opex_app.models._types import utcnow
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.sessions import principal_of

TOKEN_PREFIX = "opex_"  # lets secret scanners and people recognise the token
PREFIX_LENGTH = 12  # characters kept in clear: 'opex_' + 7 random ones
NAME_MAX = 100
LAST_USED_RESOLUTION = timedelta(seconds=60)  # one write a minute at most, however often a token is used


@dataclass(frozen=True)
class TokenInfo:
    """What the profile page shows of a token: never its hash."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at is not None else "active"


@dataclass(frozen=True)
class CreatedToken:
    token: str  # the raw token: shown to the user once, stored nowhere
    info: TokenInfo


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    assert row.id is not None
    return TokenInfo(row.id, row.name, row.prefix, row.created_at, row.last_used_at, row.revoked_at)


def _owner(session: Session, principal: Principal, *, lock: bool = False) -> AppUser:
    """The principal's own account; `lock` holds it until the transaction ends, so that two creates of the
    same user check the name in turn (there is no unique index on live names)."""
    require(principal, Permission.VIEW_DASHBOARDS)
    if principal.user_id is None:
        raise ServiceError("API tokens belong to a user account; log in as a user to manage them")
    stmt = select(AppUser).where(AppUser.id == principal.user_id)
    user = session.exec(stmt.with_for_update() if lock else stmt).first()
    if user is None:
        raise NotFound("your user account no longer exists")
    return user


def _clean_name(name: str, *, user_id: int, session: Session) -> str:
    """The trimmed name (inner runs of spaces become one), 1..NAME_MAX characters, not already used by one of
    the user's live tokens: compared without regard to case, as 'Power BI' and 'power bi' would confuse."""
    value = " ".join(str(name).split())
    if not value:
        raise ServiceError("give the token a name, e.g. 'Power BI finance report'")
    if len(value) > NAME_MAX:
        raise ServiceError(f"a token name is at most {NAME_MAX} characters (this one has {len(value)})")
    taken = session.exec(
        select(ApiToken.id).where(
            ApiToken.user_id == user_id,
            col(ApiToken.revoked_at).is_(None),
            func.lower(ApiToken.name) == value.lower(),
        )
    ).first()
    if taken is not None:
        raise ServiceError(f"you already have a live token named '{value}': pick another name or revoke that one")
    return value


def create(session: Session, principal: Principal, *, name: str) -> CreatedToken:
    """A new token for the principal's own account; the raw token is in the result and nowhere else."""
    user = _owner(session, principal, lock=True)
    assert user.id is not None
    value = _clean_name(name, user_id=user.id, session=session)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=value, token_hash=token_hash(token), prefix=token[:PREFIX_LENGTH])
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        action="create",
        entity="api_token",
        entity_id=row.id,
        changes={"name": [None, value], "prefix": [None, row.prefix]},
    )
    return CreatedToken(token, _info(row))


def list_tokens(session: Session, principal: Principal) -> list[TokenInfo]:
    """The principal's own tokens, live ones first, newest first within each."""
    user = _owner(session, principal)
    rows = session.exec(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [_info(row) for row in rows]


def revoke(session: Session, principal: Principal, *, token_id: int) -> TokenInfo:
    """Revoke one of the principal's own tokens; it stops working at its next request.

    Someone else's token is reported as not found, so the answer says nothing about other users' tokens."""
    user = _owner(session, principal)
    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None or row.user_id != user.id:
        raise NotFound(f"you have no API token #{token_id}")
    if row.revoked_at is not None:
        raise ServiceError(f"the token '{row.name}' was already revoked on {row.revoked_at:%d-%b-%Y %H:%M} UTC")
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        action="revoke",
        entity="api_token",
        entity_id=row.id,
        changes={"revoked_at": [None, audit.jsonable(row.revoked_at)]},
    )
    return _info(row)


def authenticate(session: Session, raw: str | None) -> Principal | None:
    """The principal a raw token acts as, or None (missing, unknown, revoked, or its user disabled).

    Notes the last use at most once a minute (LAST_USED_RESOLUTION); the caller commits it."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(raw))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(AppUser, row.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.add(row)
    return principal_of(session, user)
