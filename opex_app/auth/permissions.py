"""Roles, permissions and the one server-side check, `require(principal, permission)`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Permission(enum.StrEnum):
    VIEW_DASHBOARDS = "view_dashboards"
    EDIT_BUDGET = "edit_budget"
    IMPORT = "import"
    CREATE_PO = "create_po"
    APPROVE_PO = "approve_po"
    MANAGE_FX = "manage_fx"
    MANAGE_MASTERS = "manage_masters"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"


# What each permission lets a user do: shown on the role matrix page (/admin/roles).
PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW_DASHBOARDS: "See the overview, budget lines, POs, invoices and reports",
    Permission.EDIT_BUDGET: "Edit budget lines, enter and link invoices, add notes",
    Permission.IMPORT: "Import budget, PO, invoice and FX workbooks",
    Permission.CREATE_PO: "Create purchase orders and submit them for approval",
    Permission.APPROVE_PO: "Approve or reject submitted purchase orders",
    Permission.MANAGE_FX: "Add and correct FX rates",
    Permission.MANAGE_MASTERS: "Create, rename, deactivate and merge master data; activate currencies and FYs",
    Permission.MANAGE_USERS: "Add users, change their roles, deactivate them, reset passwords",
    Permission.VIEW_AUDIT: "Read the audit trail",
}


class RoleName(enum.StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    APPROVER = "approver"
    ADMIN = "admin"

    @classmethod
    def parse(cls, text: str) -> RoleName:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role '{text}' (expected one of: {names})") from None


_VIEWER = {Permission.VIEW_DASHBOARDS}
_ANALYST = _VIEWER | {Permission.EDIT_BUDGET, Permission.IMPORT, Permission.CREATE_PO}
_APPROVER = _VIEWER | {Permission.APPROVE_PO, Permission.VIEW_AUDIT}
ROLE_PERMISSIONS: dict[RoleName, frozenset[Permission]] = {
    RoleName.VIEWER: frozenset(_VIEWER),
    RoleName.ANALYST: frozenset(_ANALYST),
    RoleName.APPROVER: frozenset(_APPROVER),
    RoleName.ADMIN: frozenset(Permission),
}


class PermissionDenied(Exception):
    """The principal may not do this. The message is safe to show to the user."""


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user, or the trusted CLI."""

    actor: str  # what the audit trail records: the user's e-mail or cli:<os user>
    user_id: int | None = None
    display_name: str = ""
    roles: frozenset[RoleName] = field(default_factory=frozenset)
    trusted: bool = False  # the CLI: an operator on the server, no login
    number_format: str = "indian"  # how this user reads amounts: 'indian' (lakh/crore) or 'western'

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.trusted:
            return frozenset(Permission)
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def role_label(self) -> str:
        order = [RoleName.ADMIN, RoleName.APPROVER, RoleName.ANALYST, RoleName.VIEWER]
        return ", ".join(r.value.title() for r in order if r in self.roles) or ("Operator" if self.trusted else "")


def require(principal: Principal | None, permission: Permission) -> Principal:
    """The one permission check: returns the principal when allowed, raises PermissionDenied otherwise."""
    if principal is None:
        raise PermissionDenied("Please log in.")
    if not principal.can(permission):
        raise PermissionDenied(f"Your role does not allow this ({permission.value.replace('_', ' ')}).")
    return principal


def cli_principal() -> Principal:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return Principal(actor=f"cli:{user}", display_name=f"cli:{user}", trusted=True)
