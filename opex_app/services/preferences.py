"""A user's own display preferences, set on the profile page: for now, how amounts are grouped.

The choice lives on the user's account (`app_user.number_format`), so it follows them to every browser; the
principal carries it (`sessions.principal_of`) and the shell reads it at login and on every page load.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.money import NUMBER_FORMATS, NumberFormat, format_amount, format_short
from opex_app.models import AppUser
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError

_EXAMPLE = Decimal("12345678.90")


def number_format_choices() -> list[tuple[NumberFormat, str]]:
    """(format, label) for every format, the label showing one amount in full and short as the pages do."""
    return [
        (choice, f"{choice.title()}: {format_amount(_EXAMPLE, choice)} ({format_short(_EXAMPLE, choice)})")
        for choice in NUMBER_FORMATS
    ]


def set_number_format(session: Session, principal: Principal, value: str) -> NumberFormat:
    """Store the principal's number format ('indian' or 'western'); returns it. Unchanged: nothing recorded."""
    require(principal, Permission.VIEW_DASHBOARDS)
    if principal.user_id is None:
        raise ServiceError("the number format is a user's preference; log in as a user to set it")
    choice = next((f for f in NUMBER_FORMATS if f == str(value).strip().lower()), None)
    if choice is None:
        raise ServiceError(f"'{value}' is not a number format (expected: {', '.join(NUMBER_FORMATS)})")
    user = session.get(AppUser, principal.user_id)
    if user is None:
        raise NotFound("your user account no longer exists")
    before = user.number_format
    if before == choice:
        return choice
    user.number_format = choice
    session.add(user)
    session.flush()
    audit.record(
        session,
        principal,
        action="update",
        entity="app_user",
        entity_id=user.id,
        changes={"number_format": [before, choice]},
    )
    return choice
