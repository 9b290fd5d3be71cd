"""A user's own display preferences, set on the profile page: for now, how amounts are grouped.

The choice lives on the user's account (`app_user.number_format`), so it follows them to every browser; the
principal carries it (`sessions.principal_of`) and the shell reads it at login and on every page load.
"""

from __future__ import annotations

from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import AppUser
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError

# the closed set of number formats, with the label the profile page shows
NUMBER_FORMATS: dict[str, str] = {
    "indian": "Indian: 12,34,567.89, lakh and crore",
    "western": "Western: 1,234,567.89",
}


def set_number_format(session: Session, principal: Principal, value: str) -> str:
    """Store the principal's number format ('indian' or 'western'); returns it. Unchanged: nothing recorded."""
    require(principal, Permission.VIEW_DASHBOARDS)
    if principal.user_id is None:
        raise ServiceError("the number format is a user's preference; log in as a user to set it")
    choice = str(value).strip().lower()
    if choice not in NUMBER_FORMATS:
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
