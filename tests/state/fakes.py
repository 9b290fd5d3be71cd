"""What the page-state tests share: the server-side check a real AppState runs, for a fake page's token."""

from __future__ import annotations

from opex_app.auth.permissions import Permission, PermissionDenied, Principal, require
from opex_app.db import transaction
from opex_app.services import sessions


def require_for_token(token: str, permission: Permission) -> Principal:
    """AppState._require for a page holding `token`: resolve the session on the server, then check."""
    with transaction() as session:
        principal = sessions.resolve(session, token)
    if principal is None:
        raise PermissionDenied("Your session has ended. Please log in again.")
    return require(principal, permission)
