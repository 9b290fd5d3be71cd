"""User administration (Admin): find, create, re-role, deactivate, reactivate and reset passwords; and the one
change a user makes to their own account here, their password (`change_password`, on /profile).

Accounts are never deleted: their history (audit events, POs they approved) names them. Every change
that alters what a user may do or how they log in (roles, password, deactivation) ends their other
sessions in the same transaction, so an open tab of theirs is refused at its next event: every guarded
handler resolves the session on the server (`sessions.resolve`), which then finds it revoked.
A generated password is returned to the caller once and stored only as its argon2 hash; audit events
record who changed what, never a password or its hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, func, select, update

from opex_app.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    check_password_strength,
    generate_password,
    hash_password,
    verify_password,
)
from opex_app.auth.permissions import Permission, Principal, RoleName, require
from opex_app.domain.names import contains_pattern
from opex_app.models import AppUser, LoginAttempt, UserSession
from opex_app.models._types import utcnow
from opex_app.services import audit, login_throttle, users
from opex_app.services.errors import NotFound, ServiceError

PAGE_SIZE = 25
ROLE_ORDER = (RoleName.ADMIN, RoleName.APPROVER, RoleName.ANALYST, RoleName.VIEWER)


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    full_name: str
    roles: tuple[RoleName, ...]  # in ROLE_ORDER
    is_active: bool
    last_login_at: datetime | None


@dataclass(frozen=True)
class UserPage:
    rows: list[UserRow]
    total: int  # users matching the search, over every page
    page: int  # 1-based, clamped to the pages there are
    page_count: int


def _ordered(roles: Iterable[RoleName]) -> tuple[RoleName, ...]:
    wanted = set(roles)
    return tuple(r for r in ROLE_ORDER if r in wanted)


def search_users(
    *, session: Session, principal: Principal, query: str = "", page: int = 1, page_size: int = PAGE_SIZE
) -> UserPage:
    """One page of users whose e-mail or name contains `query` (case-insensitive), ordered by e-mail."""
    require(principal, Permission.MANAGE_USERS)
    pattern = contains_pattern(query)
    matches = col(AppUser.email).ilike(pattern, escape="\\") | col(AppUser.full_name).ilike(pattern, escape="\\")
    total = int(session.exec(select(func.count()).select_from(AppUser).where(matches)).one())
    page_count = max(1, -(-total // page_size))
    page = min(max(1, page), page_count)
    found = session.exec(
        select(AppUser).where(matches).order_by(col(AppUser.email)).offset((page - 1) * page_size).limit(page_size)
    ).all()
    roles = _roles_of_many(session, [u.id for u in found if u.id is not None])
    rows = [
        UserRow(u.id, u.email, u.full_name, _ordered(roles.get(u.id, ())), u.is_active, u.last_login_at)
        for u in found
        if u.id is not None
    ]
    return UserPage(rows, total, page, page_count)


def _roles_of_many(session: Session, user_ids: list[int]) -> dict[int, list[RoleName]]:
    """{user id: roles} of one page of users, in one query."""
    if not user_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT ur.user_id, r.name FROM user_role ur JOIN role r ON r.id = ur.role_id WHERE ur.user_id = ANY(:ids)"
        ),
        {"ids": user_ids},
    ).all()
    out: dict[int, list[RoleName]] = {}
    for user_id, name in rows:
        out.setdefault(user_id, []).append(RoleName(name))
    return out


def _parse_roles(roles: Iterable[RoleName | str]) -> tuple[RoleName, ...]:
    parsed = _ordered(r if isinstance(r, RoleName) else RoleName.parse(r) for r in roles)
    if not parsed:
        raise ServiceError("choose at least one role")
    return parsed


def create_account(
    *, session: Session, principal: Principal, email: str, full_name: str, roles: Iterable[RoleName | str]
) -> users.CreatedUser:
    """A new active account with a generated password (in the result, to be shown once)."""
    require(principal, Permission.MANAGE_USERS)
    try:
        parsed = _parse_roles(roles)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    return users.create_user_with_roles(session, principal, email=email, roles=parsed, full_name=full_name)


def _user(session: Session, user_id: int) -> AppUser:
    user = session.get(AppUser, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def end_sessions(session: Session, user_id: int, *, keep_session: str | None = None) -> int:
    """Revoke every live session of `user_id` except the caller's own (`keep_session`, its key:
    sessions.session_key); returns how many."""
    stmt = update(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
    if keep_session:
        stmt = stmt.where(col(UserSession.token_hash) != keep_session)
    result = session.exec(stmt.values(revoked_at=utcnow()))  # type: ignore[call-overload]
    return int(result.rowcount or 0)


def set_roles(
    *,
    session: Session,
    principal: Principal,
    user_id: int,
    roles: Iterable[RoleName | str],
    keep_session: str | None = None,
) -> tuple[RoleName, ...]:
    """Replace a user's roles. You cannot remove your own Admin role (another admin must)."""
    require(principal, Permission.MANAGE_USERS)
    try:
        wanted = _parse_roles(roles)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    user = _user(session, user_id)
    before = _ordered(users.roles_of(session, user_id))
    if user_id == principal.user_id and RoleName.ADMIN in before and RoleName.ADMIN not in wanted:
        raise ServiceError("You cannot remove your own Admin role: ask another admin.")
    if before == wanted:
        return wanted
    users.replace_roles(session, user_id, list(wanted))
    ended = end_sessions(session, user_id, keep_session=keep_session)
    audit.record(
        session,
        principal,
        action="set_roles",
        entity="app_user",
        entity_id=user.id,
        changes={"roles": [[r.value for r in before], [r.value for r in wanted]], "sessions_ended": ended},
    )
    return wanted


def set_active(
    *, session: Session, principal: Principal, user_id: int, active: bool, keep_session: str | None = None
) -> bool:
    """Deactivate (ending every session) or reactivate a user; returns whether anything changed.
    You cannot deactivate yourself."""
    require(principal, Permission.MANAGE_USERS)
    user = _user(session, user_id)
    if not active and user_id == principal.user_id:
        raise ServiceError("You cannot deactivate your own account: ask another admin.")
    if user.is_active == active:
        return False
    user.is_active = active
    session.add(user)
    session.flush()
    changes: dict[str, object] = {"is_active": [not active, active]}
    if not active:
        changes["sessions_ended"] = end_sessions(session, user_id, keep_session=keep_session)
    action = "reactivate" if active else "deactivate"
    audit.record(session, principal, action=action, entity="app_user", entity_id=user.id, changes=changes)
    return True


def reset_password(*, session: Session, principal: Principal, user_id: int, keep_session: str | None = None) -> str:
    """A new generated password for the user (returned to be shown once); their other sessions end."""
    require(principal, Permission.MANAGE_USERS)
    user = _user(session, user_id)
    secret = generate_password()
    user.password_hash = hash_password(secret)
    session.add(user)
    session.flush()
    ended = end_sessions(session, user_id, keep_session=keep_session)
    audit.record(
        session,
        principal,
        action="reset_password",
        entity="app_user",
        entity_id=user.id,
        changes={"password": ["(old)", "(reset by admin)"], "sessions_ended": ended},
    )
    return secret


WRONG_CURRENT_PASSWORD = "Your current password is not right: nothing was changed."
PASSWORD_RULE = f"At least {MIN_PASSWORD_LENGTH} characters, and not one of the most common passwords."


def change_password(
    *,
    session: Session,
    principal: Principal,
    current: str,
    new: str,
    keep_session: str | None = None,
    ip: str | None = None,
) -> int:
    """Change the principal's own password: `current` must be right, `new` long enough and not a common password
    (auth/passwords.check_password_strength, as for accounts an admin creates) nor the current one. Their other
    sessions end (`keep_session`, the caller's session key, stays); returns how many. Audited without the
    password or its hash.

    A wrong `current` counts as a failed login of the account from `ip` and is held back by the login throttle
    like one, so a borrowed open session cannot guess the password faster than the login page allows; the
    failure is committed even though the change is refused (as `sessions.login` does)."""
    require(principal, Permission.VIEW_DASHBOARDS)
    if principal.user_id is None:
        raise ServiceError("only a user account has a password to change")
    user = _user(session, principal.user_id)
    now, address = utcnow(), login_throttle.client_ip(ip)
    wait = login_throttle.wait_seconds(session, email_key=user.email, ip=address, now=now)
    if wait:
        raise ServiceError(login_throttle.throttled_message(wait))
    if not verify_password(user.password_hash, current):
        session.add(LoginAttempt(email_key=user.email, ip=address, at=now, success=False))
        session.commit()
        raise ServiceError(WRONG_CURRENT_PASSWORD)
    try:
        check_password_strength(new)
    except ValueError as exc:
        raise ServiceError(f"The new {exc}.") from None
    if verify_password(user.password_hash, new):
        raise ServiceError("The new password is your current one: choose another.")
    user.password_hash = hash_password(new)
    session.add(user)
    session.flush()
    ended = end_sessions(session, principal.user_id, keep_session=keep_session)
    audit.record(
        session,
        principal,
        action="change_password",
        entity="app_user",
        entity_id=user.id,
        changes={"password": ["(old)", "(changed by the user)"], "sessions_ended": ended},
    )
    return ended
