"""The one registry of the app's pages: path, title, permission and place in the sidebar.

Pages register under these entries (`components.layout.app_page`), the sidebar and the menu are generated from
them, and states and pages build their redirects and links with `Route.url()`: a URL is spelled once, here.
The paths are public (bookmarks, e-mailed links, tests): change one only with a redirect from the old.

Imports nothing but the permission names, so pages, components and states may all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opex_app.auth.permissions import Permission

# Sidebar sections, top to bottom: the daily work, then the administration.
WORK, ADMIN = "work", "admin"
SECTIONS = (WORK, ADMIN)


@dataclass(frozen=True)
class NavPlace:
    """Where a page sits in the sidebar: its section, its order inside it, its icon and label."""

    section: str
    order: int
    icon: str
    label: str


@dataclass(frozen=True)
class Route:
    path: str  # Reflex's route: `[name]` marks a dynamic segment
    title: str  # the heading and the browser tab's title
    permission: Permission | None = None  # who may open it; None: anyone logged in (or anyone, for the login)
    nav: NavPlace | None = None  # in the sidebar, or reached by links only

    def url(self, **params: Any) -> Any:
        """The path with each `[name]` segment filled from `params`. A value may be a Reflex Var (a row's id in
        `rx.foreach`, a state var): formatting keeps it a Var, so the link follows the state."""
        parts = []
        for part in self.path.split("/"):
            if part.startswith("[") and part.endswith("]"):
                parts.append(f"{params.pop(part[1:-1])}")
            else:
                parts.append(part)
        if params:
            raise TypeError(f"{self.path} has no segment named {', '.join(sorted(params))}")
        return "/".join(parts)

    @property
    def test_id(self) -> str:
        """The sidebar link's data-testid: nav-budgets, nav-admin-users, nav-home for '/'."""
        return f"nav-{self.path.strip('/').replace('/', '-') or 'home'}"


LOGIN = Route("/login", "Log in")
DASHBOARD = Route("/", "Dashboard", nav=NavPlace(WORK, 10, "layout-dashboard", "Dashboard"))
BUDGETS = Route("/budgets", "Budget lines", nav=NavPlace(WORK, 20, "table", "Budget lines"))
BUDGET_LINE = Route("/budgets/[line_id]", "Budget line")
POS = Route("/pos", "Purchase orders", Permission.VIEW_DASHBOARDS, NavPlace(WORK, 30, "file-text", "Purchase orders"))
PO_NEW = Route("/pos/new", "New PO", Permission.CREATE_PO)
PO = Route("/pos/[po_id]", "Purchase order")
PO_EDIT = Route("/pos/[po_id]/edit", "Edit PO", Permission.CREATE_PO)
VARIANCE = Route(
    "/variance", "Variance report", Permission.VIEW_DASHBOARDS, NavPlace(WORK, 40, "scale", "Variance report")
)
APPROVALS = Route("/approvals", "Approvals", Permission.APPROVE_PO, NavPlace(WORK, 50, "inbox", "Approvals"))
UNLINKED_ACTUALS = Route(
    "/actuals/unlinked", "Unlinked actuals", Permission.EDIT_BUDGET, NavPlace(WORK, 60, "unlink", "Unlinked actuals")
)
ACTUAL_NEW = Route("/actuals/new", "New actual", Permission.EDIT_BUDGET)
ACTUAL = Route("/actuals/[actual_id]", "Actual", Permission.VIEW_DASHBOARDS)
IMPORT = Route("/import", "Import", Permission.IMPORT, NavPlace(WORK, 70, "upload", "Import"))
FX = Route("/admin/fx", "FX rates", Permission.MANAGE_FX, NavPlace(ADMIN, 10, "coins", "FX rates"))
MASTERS = Route(
    "/admin/masters", "Master data", Permission.MANAGE_MASTERS, NavPlace(ADMIN, 20, "database", "Master data")
)
USERS = Route("/admin/users", "Users", Permission.MANAGE_USERS, NavPlace(ADMIN, 30, "users", "Users"))
ROLES = Route("/admin/roles", "Roles", Permission.MANAGE_USERS, NavPlace(ADMIN, 40, "shield-check", "Roles"))
AUDIT = Route("/admin/audit", "Audit trail", Permission.VIEW_AUDIT, NavPlace(ADMIN, 50, "history", "Audit trail"))
IMPORT_HISTORY = Route(
    "/admin/imports", "Import history", Permission.VIEW_AUDIT, NavPlace(ADMIN, 60, "file-clock", "Import history")
)
ACTIVITY = Route(
    "/admin/activity", "Activity log", Permission.VIEW_AUDIT, NavPlace(ADMIN, 70, "activity", "Activity log")
)
PROFILE = Route("/profile", "Profile", Permission.VIEW_DASHBOARDS)

ROUTES: tuple[Route, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Route))


def route_at(path: str) -> Route:
    """The registered route of `path`; a KeyError names a path nobody registered."""
    for route in ROUTES:
        if route.path == path:
            return route
    raise KeyError(f"{path} is not in opex_app.routes")


def sidebar_routes() -> list[tuple[Route, NavPlace]]:
    """The sidebar's pages with their places, in order: by section, then by their order inside it."""
    placed = [(r, r.nav) for r in ROUTES if r.nav is not None]
    return sorted(placed, key=lambda pair: (SECTIONS.index(pair[1].section), pair[1].order))
