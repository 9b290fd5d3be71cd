"""Admin states: users (search, add, roles, deactivate, reset password). The audit log is state/audit.py."""

from __future__ import annotations

from typing import Any

from reflex.experimental.client_state import ClientStateVar

from opex_app.auth.permissions import Permission, RoleName
from opex_app.db import read_session, transaction
from opex_app.services import user_admin
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

# A generated password is never a state var (nor pickled into the state store): the handler that made it sends
# it once, inside the client-side script that opens the dialog; it lives in the page's memory until the dialog
# closes. {"email": ..., "password": ...}; an empty password means no dialog.
ROLES = [r.value for r in RoleName]  # least to most powerful: the role pickers' choices
NO_SECRET = {"email": "", "password": ""}
REVEALED_SECRET = ClientStateVar.create("opex_revealed_secret", default=NO_SECRET)


def reveal_secret(email: str, password: str) -> Any:
    """The client-side event that shows `password` for `email` in the one-time dialog."""
    return REVEALED_SECRET.push({"email": email, "password": password})


class UsersState(AppState):
    """One page of users, and the dialogs that change one. A generated password reaches the browser only in
    the event that shows it (`reveal_secret`), never through a state var."""

    rows: list[dict[str, str]] = []
    query: str = ""
    page_number: int = 1
    page_count: int = 1
    total: int = 0
    message: str = ""
    error: str = ""
    # the edit-roles dialog
    edit_user_id: int = 0
    edit_email: str = ""
    edit_roles: list[str] = []
    # the confirm dialog of deactivate / reset password
    confirm_action: str = ""  # "deactivate" | "reset"
    confirm_user_id: int = 0
    confirm_email: str = ""

    def _reset_messages(self) -> None:
        self.message = self.error = ""

    @guarded(Permission.MANAGE_USERS)
    def load(self) -> None:
        """on_load: a fresh first page, no dialog open."""
        self._reset_messages()
        self.query, self.page_number, self.edit_user_id, self.confirm_action = "", 1, 0, ""
        self._load()

    @guarded(Permission.MANAGE_USERS)
    def search(self, form: dict[str, Any]) -> None:
        self._reset_messages()
        self.query, self.page_number = str(form.get("query") or "").strip(), 1
        self._load()

    @guarded(Permission.MANAGE_USERS)
    def go_to_page(self, number: int) -> None:
        self.page_number = int(number)
        self._load()

    def _load(self) -> None:
        with read_session() as session:
            page = user_admin.search_users(
                session=session, principal=current_principal(), query=self.query, page=self.page_number
            )
        self.rows = [_user_row(r) for r in page.rows]
        self.page_number, self.page_count, self.total = page.page, page.page_count, page.total

    @guarded(Permission.MANAGE_USERS)
    def add_user(self, form: dict[str, Any]) -> Any:
        self.message = self.error = ""
        try:
            with transaction() as session:
                created = user_admin.create_account(
                    session=session,
                    principal=current_principal(),
                    email=str(form.get("email", "")),
                    full_name=str(form.get("name", "")),
                    roles=_form_roles(form),
                )
        except ServiceError as exc:
            self.error = str(exc)
            return None
        self.message = f"Created {created.email}. Give them the password shown once; they can change it later."
        return [reveal_secret(created.email, created.password or ""), UsersState.load_page]

    @guarded(Permission.MANAGE_USERS)
    def load_page(self) -> None:
        """Reload the current page after a change (keeps the search, the page and the messages)."""
        self._load()

    @guarded(Permission.MANAGE_USERS)
    def open_roles(self, user_id: int) -> None:
        self._reset_messages()
        row = next((r for r in self.rows if r["id"] == str(user_id)), None)
        if row is None:
            self.error = "That user is not on this page any more: search again."
            return
        self.edit_user_id, self.edit_email = int(user_id), row["email"]
        self.edit_roles = [r for r in row["role_values"].split(",") if r]

    @guarded(Permission.MANAGE_USERS)
    def close_dialogs(self) -> None:
        self.edit_user_id, self.confirm_action = 0, ""

    @guarded(Permission.MANAGE_USERS)
    def save_roles(self, form: dict[str, Any]) -> None:
        self._reset_messages()
        try:
            with transaction() as session:
                roles = user_admin.set_roles(
                    session=session,
                    principal=current_principal(),
                    user_id=self.edit_user_id,
                    roles=_form_roles(form),
                    keep_session=self._session_key(),
                )
        except ServiceError as exc:
            self.error = str(exc)
            return
        shown = ", ".join(r.value.title() for r in roles)
        self.message = f"{self.edit_email} now has: {shown}. Their other sessions have ended."
        self.edit_user_id = 0
        self._load()

    @guarded(Permission.MANAGE_USERS)
    def ask_confirm(self, action: str, user_id: int) -> None:
        self._reset_messages()
        row = next((r for r in self.rows if r["id"] == str(user_id)), None)
        if action not in {"deactivate", "reset"} or row is None:
            self.error = "That user is not on this page any more: search again."
            return
        self.confirm_action, self.confirm_user_id, self.confirm_email = action, int(user_id), row["email"]

    @guarded(Permission.MANAGE_USERS)
    def confirm(self) -> Any:
        self._reset_messages()
        action, user_id, email = self.confirm_action, self.confirm_user_id, self.confirm_email
        self.confirm_action = ""
        if action not in {"reset", "deactivate"}:
            return None
        secret = ""
        try:
            with transaction() as session:
                principal, own = current_principal(), self._session_key()
                if action == "reset":
                    secret = user_admin.reset_password(
                        session=session, principal=principal, user_id=user_id, keep_session=own
                    )
                else:
                    user_admin.set_active(
                        session=session, principal=principal, user_id=user_id, active=False, keep_session=own
                    )
        except ServiceError as exc:
            self.error = str(exc)
            return None
        self._load()
        if action == "reset":
            self.message = f"New password for {email}: their sessions have ended."
            return reveal_secret(email, secret)
        self.message = f"{email} is deactivated: their sessions have ended and they cannot log in."
        return None

    @guarded(Permission.MANAGE_USERS)
    def reactivate(self, user_id: int) -> None:
        self._reset_messages()
        try:
            with transaction() as session:
                user_admin.set_active(session=session, principal=current_principal(), user_id=int(user_id), active=True)
        except ServiceError as exc:
            self.error = str(exc)
            return
        self.message = "Reactivated: they can log in again with their password."
        self._load()


def _form_roles(form: dict[str, Any]) -> list[str]:
    """The roles a form ticked (`role_<name>` checkboxes), or its single `role` choice."""
    ticked = [r.value for r in RoleName if form.get(f"role_{r.value}")]
    single = str(form.get("role") or "").strip()
    return ticked + ([single] if single else [])


def _user_row(row: user_admin.UserRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "email": row.email,
        "name": row.full_name,
        "roles": ", ".join(r.value.title() for r in row.roles),
        "role_values": ",".join(r.value for r in row.roles),
        "active": "yes" if row.is_active else "no",
        "last_login": row.last_login_at.strftime("%d-%b-%Y %H:%M") if row.last_login_at else "never",
    }
