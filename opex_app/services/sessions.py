"""Login, server-side sessions (kept in PostgreSQL, so they survive restarts and span workers), logout.

The browser holds the token only in the `opex_session` cookie (HttpOnly, set by opex_app/api/session.py).
A session is known by its key, the token's SHA-256, which is all the database stores. The event socket's gate
(opex_app/api/socket_session.py) swaps the cookie for the key before Reflex copies the handshake headers into
state, so event handlers resolve sessions by key (`resolve_key`); HTTP routes and uploads read the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, func, select

from opex_app.auth.passwords import verify_password
from opex_app.auth.permissions import Principal
from opex_app.models import AppUser, LoginAttempt, UserSession
from opex_app.models._types import utcnow
from opex_app.services import activity, audit, login_throttle
from opex_app.services.users import roles_of
from opex_app.settings import get_settings

WRONG_CREDENTIALS = "Wrong e-mail or password."
COOKIE_NAME = "opex_session"
KEY_COOKIE_NAME = "opex_session_key"  # set by the socket gate only, never by a browser
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


class LoginRefused(Exception):
    """Login failed; the message is safe to show and says nothing about which accounts exist."""


def session_key(token: str) -> str:
    """The key a session is stored and found by: the token's SHA-256 (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_value(cookie_header: str | None, name: str = COOKIE_NAME) -> str | None:
    """The value of cookie `name` (by default the session token) in a `Cookie` header, or None. Lenient: a
    malformed other cookie is skipped (http.cookies gives up on the whole header at the first one)."""
    for part in (cookie_header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def login(
    session: Session, *, email: str, password: str, ip: str | None = None, replaces: str | None = None
) -> tuple[str, Principal]:
    """Check the credentials; on success return a new session token (for the browser) and the principal.

    The token is new at every login; `replaces` (the token the browser still held, if any) is revoked with it,
    so a token fixed in a browser beforehand never becomes a logged-in session.

    `ip` is the client's address. Failures slow further attempts with growing delays per account and
    address, per address and per account (`login_throttle`), never a lockout: the owner at another
    address is not held up by an attacker's failures. Unknown e-mails are counted, verified against a
    dummy hash and answered exactly as wrong passwords are.
    """
    now = utcnow()
    email_key = email.strip().lower()
    address = login_throttle.client_ip(ip)
    login_throttle.serialise(session, email_key=email_key)
    wait = login_throttle.wait_seconds(session, email_key=email_key, ip=address, now=now)
    if wait:
        raise LoginRefused(login_throttle.throttled_message(wait))
    login_throttle.prune(session, now=now)
    user = session.exec(select(AppUser).where(AppUser.email == email_key)).first()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    session.add(LoginAttempt(email_key=email_key, ip=address, at=now, success=ok))
    if not ok or user is None or user.id is None:
        activity.record(session, kind=activity.Kind.LOGIN_FAILED, actor=email_key, ip=address, at=now)
        session.commit()  # the failed attempt must count even though the caller's work is refused
        raise LoginRefused(WRONG_CREDENTIALS)
    _revoke(session, session_key(replaces) if replaces else None)
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=session_key(token), user_id=user.id, last_seen_at=now))
    user.last_login_at = now
    session.add(user)
    principal = principal_of(session, user)
    audit.record(session, principal, action="login", entity="app_user", entity_id=user.id)
    activity.record(session, kind=activity.Kind.LOGIN, actor=user.email, ip=address, user_id=user.id, at=now)
    return token, principal


def principal_of(session: Session, user: AppUser) -> Principal:
    """Who `user` acts as: built in one place, so a login session and an API token grant the same rights."""
    assert user.id is not None
    return Principal(
        actor=user.email,
        user_id=user.id,
        display_name=user.full_name or user.email,
        roles=roles_of(session, user.id),
        number_format=user.number_format,
    )


def resolve(session: Session, token: str | None) -> Principal | None:
    """The principal of a live session token, or None (unknown, revoked, idle too long, user disabled)."""
    return resolve_key(session, session_key(token)) if token else None


def resolve_key(session: Session, key: str | None) -> Principal | None:
    """`resolve` for a session known by its key (`session_key`)."""
    if not key:
        return None
    now = utcnow()
    idle = timedelta(hours=get_settings().session_idle_hours)
    row = session.get(UserSession, key)
    if row is None or row.revoked_at is not None or row.last_seen_at < now - idle:
        return None
    user = session.get(AppUser, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        session.add(row)
    return principal_of(session, user)


def _revoke(session: Session, key: str | None) -> UserSession | None:
    """Revoke a live session; the row, or None when there was none to revoke."""
    row = session.get(UserSession, key) if key else None
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    session.add(row)
    return row


def logout(session: Session, token: str | None, *, ip: str | None = None) -> None:
    """End the session of `token` (nothing when it is unknown or already ended). `ip` is the client's address,
    for the activity record."""
    logout_key(session, session_key(token) if token else None, ip=ip)


def logout_key(session: Session, key: str | None, *, ip: str | None = None) -> None:
    """`logout` for a session known by its key (an event handler's view of its session)."""
    row = _revoke(session, key)
    if row is None:
        return
    user = session.get(AppUser, row.user_id)
    if user is not None:
        audit.record(session, principal_of(session, user), action="logout", entity="app_user", entity_id=user.id)
        activity.record(session, kind=activity.Kind.LOGOUT, actor=user.email, ip=ip, user_id=user.id)


def failed_attempts(session: Session, email: str) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.email_key == email.strip().lower(), col(LoginAttempt.success).is_(False))
        ).one()
    )
