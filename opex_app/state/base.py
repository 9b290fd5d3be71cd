"""AppState: the session token, who is logged in, and the principal every guarded handler checks."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission, PermissionDenied, Principal, require
from opex_app.db import read_session, transaction
from opex_app.services import sessions
from opex_app.services.purchase_orders import pending_count
from opex_app.services.request_ids import new_request_id
from opex_app.state.guard import public_handler

LOGIN_ROUTE = "/login"
HOME_ROUTE = "/"


class AppState(rx.State):
    """Root of the app's states. Holds only what the shell shows; the token lives in the browser."""

    session_token: str = rx.LocalStorage("", name="opex_session", sync=True)
    user_email: str = ""
    user_name: str = ""
    role_label: str = ""
    permissions: list[str] = []
    number_format: str = "indian"  # the user's amount grouping: 'indian' (lakh/crore) or 'western'
    approvals_waiting: int = 0  # POs waiting for this approver: the sidebar's badge (0 for non-approvers)

    def _principal(self) -> Principal | None:
        with transaction() as session:
            return sessions.resolve(session, self.session_token)

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

    def _clear_user(self) -> None:
        self.user_email = self.user_name = self.role_label = ""
        self.permissions = []
        self.number_format = "indian"
        self.approvals_waiting = 0

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
    def check_login(self) -> Any:
        """on_load of every page behind the login: refresh who is logged in, or go to the login page."""
        principal = self._principal()
        if principal is None:
            self._clear_user()
            return rx.redirect(LOGIN_ROUTE)
        self._set_user(principal)
        return None

    @public_handler
    def logout(self) -> Any:
        with transaction() as session:
            sessions.logout(session, self.session_token)
        self.session_token = ""
        self._clear_user()
        return rx.redirect(LOGIN_ROUTE)
