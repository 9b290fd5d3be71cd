"""Admin states: users (list, add a colleague) and the audit trail."""

from __future__ import annotations

import json
from typing import Any

from opex_app.auth.permissions import Permission, RoleName
from opex_app.db import read_session, transaction
from opex_app.services import audit, users
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded


class UsersState(AppState):
    rows: list[dict[str, str]] = []
    message: str = ""
    error: str = ""
    role_choices: list[str] = [r.value.title() for r in RoleName]

    @guarded(Permission.MANAGE_USERS)
    def load(self) -> None:
        with read_session() as session:
            listed = users.list_users(session, current_principal())
        self.rows = [
            {
                "email": u.email,
                "name": u.full_name,
                "roles": ", ".join(sorted(r.value.title() for r in roles)),
                "active": "yes" if u.is_active else "no",
                "last_login": u.last_login_at.strftime("%d-%b-%Y %H:%M") if u.last_login_at else "never",
            }
            for u, roles in listed
        ]

    @guarded(Permission.MANAGE_USERS)
    def add_user(self, form: dict[str, Any]) -> Any:
        self.message = self.error = ""
        try:
            role = RoleName.parse(str(form.get("role") or "viewer"))
            with transaction() as session:
                created = users.create_user(
                    session,
                    current_principal(),
                    email=str(form.get("email", "")),
                    role=role,
                    full_name=str(form.get("name", "")),
                )
        except (ServiceError, ValueError) as exc:
            self.error = str(exc)
            return None
        self.message = f"Created {created.email} ({role.value.title()}). Their password, shown once: {created.password}"
        return UsersState.load


class AuditState(AppState):
    rows: list[dict[str, str]] = []
    entity: str = ""
    entity_id: str = ""

    @guarded(Permission.VIEW_AUDIT)
    def load(self) -> None:
        with read_session() as session:
            events = audit.recent_events(
                session, current_principal(), entity=self.entity or None, entity_id=self.entity_id or None
            )
        self.rows = [
            {
                "at": e.at.strftime("%d-%b-%Y %H:%M:%S"),
                "actor": e.actor,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id or "",
                "changes": json.dumps(e.changes, ensure_ascii=False)[:300] if e.changes else "",
            }
            for e in events
        ]

    @guarded(Permission.VIEW_AUDIT)
    def apply_filter(self, form: dict[str, Any]) -> Any:
        self.entity = str(form.get("entity", "")).strip()
        self.entity_id = str(form.get("entity_id", "")).strip()
        return AuditState.load
