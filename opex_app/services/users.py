"""User accounts and their roles: created by an admin (or the CLI), never by public sign-up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select

from opex_app.auth.passwords import check_password_strength, generate_password, hash_password
from opex_app.auth.permissions import Permission, Principal, RoleName, require
from opex_app.models import AppUser, Role, UserRole
from opex_app.services import audit
from opex_app.services.errors import ServiceError


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ServiceError(f"'{email.strip()}' is not an e-mail address")
    return value


@dataclass(frozen=True)
class CreatedUser:
    user_id: int
    email: str
    role: RoleName
    password: str | None  # set only when generated, to be shown once


def roles_of(session: Session, user_id: int) -> frozenset[RoleName]:
    stmt = select(Role.name).join(UserRole, col(UserRole.role_id) == col(Role.id)).where(UserRole.user_id == user_id)
    return frozenset(RoleName(name) for name in session.exec(stmt))


def create_user(
    session: Session,
    principal: Principal,
    *,
    email: str,
    role: RoleName,
    password: str | None = None,
    full_name: str = "",
) -> CreatedUser:
    return create_user_with_roles(session, principal, email=email, roles=[role], password=password, full_name=full_name)


def create_user_with_roles(
    session: Session,
    principal: Principal,
    *,
    email: str,
    roles: Sequence[RoleName],
    password: str | None = None,
    full_name: str = "",
) -> CreatedUser:
    """A new account with `roles` (the first is the one `CreatedUser.role` names); without `password`, a
    generated one is returned in `CreatedUser.password`, to be shown once."""
    require(principal, Permission.MANAGE_USERS)
    if not roles:
        raise ServiceError("choose at least one role")
    email_key = normalise_email(email)
    if session.exec(select(AppUser.id).where(AppUser.email == email_key)).first() is not None:
        raise ServiceError(f"a user with e-mail {email_key} already exists")
    generated = password is None
    secret = generate_password() if password is None else password
    try:
        check_password_strength(secret)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    user = AppUser(email=email_key, full_name=full_name.strip(), password_hash=hash_password(secret))
    session.add(user)
    session.flush()
    assert user.id is not None
    replace_roles(session, user.id, list(roles))
    audit.record(
        session,
        principal,
        action="create",
        entity="app_user",
        entity_id=user.id,
        changes={
            "email": [None, email_key],
            "full_name": [None, user.full_name],
            "roles": [None, [r.value for r in roles]],
        },
    )
    return CreatedUser(user.id, email_key, roles[0], secret if generated else None)


def replace_roles(session: Session, user_id: int, roles: list[RoleName]) -> None:
    session.exec(delete(UserRole).where(col(UserRole.user_id) == user_id))  # type: ignore[call-overload]
    role_ids = session.exec(select(Role.id).where(col(Role.name).in_([r.value for r in roles]))).all()
    for role_id in role_ids:
        assert role_id is not None
        session.add(UserRole(user_id=user_id, role_id=role_id))
    session.flush()


def list_users(session: Session, principal: Principal) -> list[tuple[AppUser, frozenset[RoleName]]]:
    require(principal, Permission.MANAGE_USERS)
    users = session.exec(select(AppUser).order_by(col(AppUser.email))).all()
    return [(u, roles_of(session, u.id)) for u in users if u.id is not None]


def count_users(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AppUser)).one())
