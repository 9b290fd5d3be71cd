"""AppState: who is logged in, and the principal every guarded handler checks.

The session token is never in state: the browser holds it in the HttpOnly `opex_session` cookie (set by
opex_app/api/session.py) and sends it with the event socket's handshake. Reflex copies the handshake's headers
into `router.headers` (server-side, from the connection's ASGI scope, not from the browser's event payload, and
it never sends the Cookie header to the browser), but before it does, the socket gate
(opex_app/api/socket_session.py) swaps the token for the session's key, its SHA-256: what the database stores,
and useless as a cookie. `_session_key` reads it at every event.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.state import BaseState

from opex_app import routes
from opex_app.auth.permissions import Permission, PermissionDenied, Principal, require
from opex_app.db import read_session, transaction
from opex_app.services import sessions
from opex_app.services.purchase_orders import pending_count
from opex_app.services.request_ids import new_request_id
from opex_app.state.guard import public_handler

LOGIN_ROUTE = routes.LOGIN.path
HOME_ROUTE = routes.DASHBOARD.path
# Expires the cookie (the server already ended its session), then a full navigation: a new event socket,
# without the cookie, for the login page.
LOGOUT_SCRIPT = (
    "fetch('/api/session/logout', {method: 'POST', credentials: 'same-origin'})"
    f".finally(() => window.location.assign('{LOGIN_ROUTE}'))"
)


def _descendants(cls: type[BaseState]) -> list[type[BaseState]]:
    found, todo = [], list(cls.get_substates())
    while todo:
        sub = todo.pop()
        found.append(sub)
        todo.extend(sub.get_substates())
    return found


class AppState(rx.State):
    """Root of the app's states. Holds only what the shell shows; the token lives in an HttpOnly cookie."""

    user_email: str = ""
    user_name: str = ""
    role_label: str = ""
    permissions: list[str] = []
    number_format: str = "indian"  # the user's amount grouping: 'indian' (lakh/crore) or 'western'
    approvals_waiting: int = 0  # POs waiting for this approver: the sidebar's badge (0 for non-approvers)

    def _session_key(self) -> str | None:
        """The key of the session whose cookie this tab's event socket was opened with (None without one)."""
        return sessions.cookie_value(self.router.headers.cookie, sessions.KEY_COOKIE_NAME)

    def _principal(self) -> Principal | None:
        with transaction() as session:
            return sessions.resolve_key(session, self._session_key())

    def _require(self, permission: Permission) -> Principal:
        """Resolve the session on the server and check `permission`; raises PermissionDenied."""
        new_request_id()
        principal = self._principal()
        if principal is None:
            # No state change here: background events may not write outside `async with self`.
            raise PermissionDenied("Your session has ended. Please log in again.")
        return require(principal, permission)

    def _set_user(self, principal: Principal) -> None:
        self.user_email = principal.actor
        self.user_name = principal.display_name
        self.role_label = principal.role_label
        self.permissions = sorted(p.value for p in principal.permissions)
        self.number_format = principal.number_format
        self.approvals_waiting = 0
        if principal.can(Permission.APPROVE_PO):  # one indexed count per page load
            with read_session() as session:
                self.approvals_waiting = pending_count(session, principal)

    async def _forget_client(self) -> None:
        """Put every state of this client back to its defaults: the shell and every page's rows, dialogs and
        backend vars, also those of pages not open now (each is loaded once, so that none is left behind in
        the state store under this client token)."""
        app_state = await self.get_state(AppState)
        for cls in _descendants(AppState):
            await app_state.get_state(cls)
        app_state.reset()

    @rx.var
    def is_logged_in(self) -> bool:
        return bool(self.user_email)

    @rx.var
    def is_admin(self) -> bool:
        return Permission.MANAGE_USERS.value in self.permissions

    @rx.var
    def can_import(self) -> bool:
        return Permission.IMPORT.value in self.permissions

    @rx.var
    def can_edit_budget(self) -> bool:
        return Permission.EDIT_BUDGET.value in self.permissions

    @rx.var
    def can_view_audit(self) -> bool:
        return Permission.VIEW_AUDIT.value in self.permissions

    @public_handler
    async def check_login(self) -> Any:
        """on_load of every page behind the login: refresh who is logged in, or go to the login page (a
        session that ended under an open tab takes everything the tab's states held with it)."""
        principal = self._principal()
        if principal is None:
            if self.user_email:
                await self._forget_client()
            return rx.redirect(LOGIN_ROUTE)
        self._set_user(principal)
        return None

    @public_handler
    async def logout(self) -> Any:
        """End the session on the server, forget every state of this client, then let the browser expire the
        cookie and load the login page afresh."""
        with transaction() as session:
            sessions.logout_key(session, self._session_key(), ip=self.router.session.client_ip)
        await self._forget_client()
        return rx.call_script(LOGOUT_SCRIPT)
