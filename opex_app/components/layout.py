"""The app shell: sidebar with the areas the user may open, header with name, role and logout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.state.base import AppState

ACCENT = "teal"


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str
    visible: rx.Var[bool] | bool = True
    count: rx.Var[int] | None = None  # a badge beside the label when above zero


def _granted(permission: Permission) -> rx.Var[bool]:
    granted: Any = AppState.permissions  # a Var of the user's permission names
    return granted.contains(permission.value)  # type: ignore[no-any-return]


def nav_items() -> list[NavItem]:
    return [
        NavItem("Dashboard", "/", "layout-dashboard"),
        NavItem("Budget lines", "/budgets", "table"),
        NavItem("Purchase orders", "/pos", "file-text"),
        NavItem("Variance report", "/variance", "scale"),
        NavItem(
            "Approvals",
            "/approvals",
            "inbox",
            _granted(Permission.APPROVE_PO),
            count=AppState.approvals_waiting,  # type: ignore[arg-type]
        ),
        NavItem("Unlinked actuals", "/actuals/unlinked", "unlink", AppState.can_edit_budget),
        NavItem("Import", "/import", "upload", AppState.can_import),
        NavItem("FX rates", "/admin/fx", "coins", _granted(Permission.MANAGE_FX)),
        NavItem("Master data", "/admin/masters", "database", _granted(Permission.MANAGE_MASTERS)),
        NavItem("Users", "/admin/users", "users", AppState.is_admin),
        NavItem("Roles", "/admin/roles", "shield-check", AppState.is_admin),
        NavItem("Audit trail", "/admin/audit", "history", AppState.can_view_audit),
        NavItem("Import history", "/admin/imports", "file-clock", AppState.can_view_audit),
    ]


def _count_badge(item: NavItem) -> rx.Component:
    if item.count is None:
        return rx.fragment()
    count: Any = item.count
    return rx.cond(
        count > 0,
        rx.badge(count, color_scheme="amber", variant="solid", radius="full", size="1", data_testid="nav-count"),
    )


def _nav_link(item: NavItem) -> rx.Component:
    link = rx.link(
        rx.hstack(
            rx.icon(item.icon, size=16),
            rx.text(item.label, size="2"),
            rx.spacer(),
            _count_badge(item),
            spacing="2",
            align="center",
            width="100%",
        ),
        href=item.route,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        padding_x="0.75rem",
        padding_y="0.45rem",
        border_radius="6px",
        width="100%",
        _hover={"background": rx.color(ACCENT, 3)},
        data_testid=f"nav-{item.route.strip('/').replace('/', '-') or 'home'}",
    )
    if item.visible is True:
        return link
    return rx.cond(item.visible, link)


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("wallet", color=rx.color(ACCENT, 9)),
            rx.heading("OPEX Manager", size="4"),
            align="center",
            padding="1rem 0.75rem",
        ),
        *[_nav_link(item) for item in nav_items()],
        spacing="1",
        width="13rem",
        min_width="13rem",
        height="100vh",
        position="sticky",
        top="0",
        padding="0.5rem",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        display=["none", "none", "flex"],
    )


def _menu_entry(item: NavItem) -> rx.Component:
    entry = rx.menu.item(
        rx.hstack(rx.icon(item.icon, size=14), item.label, _count_badge(item), align="center"),
        on_click=rx.redirect(item.route),
    )
    return entry if item.visible is True else rx.cond(item.visible, entry)


def compact_nav() -> rx.Component:
    """The sidebar's areas as a menu, for screens too narrow for the sidebar (tablets, phones)."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", size="2", aria_label="Menu")),
            rx.menu.content(*[_menu_entry(item) for item in nav_items()]),
        ),
        display=["block", "block", "none"],
    )


def header(title: str) -> rx.Component:
    return rx.hstack(
        compact_nav(),
        rx.heading(title, size="5"),
        rx.spacer(),
        rx.link(  # the user's own profile: number format, API tokens
            rx.vstack(
                rx.text(AppState.user_name, size="2", weight="medium", data_testid="user-name"),
                rx.text(AppState.role_label, size="1", color_scheme="gray", data_testid="user-role"),
                spacing="0",
                align="end",
            ),
            href="/profile",
            underline="hover",
            color_scheme="gray",
            high_contrast=True,
            title="Your profile",
            data_testid="nav-profile",
        ),
        rx.color_mode.button(variant="ghost", size="2"),
        rx.button(
            rx.icon("log-out", size=16),
            "Log out",
            variant="soft",
            size="2",
            on_click=AppState.logout,
            data_testid="logout",
        ),
        align="center",
        width="100%",
        padding="0.75rem 1.25rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        spacing="3",
    )


def shell(title: str, content: rx.Component) -> rx.Component:
    return rx.hstack(
        sidebar(),
        rx.vstack(
            header(title),
            rx.box(content, padding="1rem 1.25rem", width="100%", overflow_x="auto"),
            width="100%",
            min_width="0",
            spacing="0",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def _not_allowed() -> rx.Component:
    return rx.callout(
        "Your role does not allow this page. Ask an administrator if you need it.",
        icon="lock",
        color_scheme="amber",
        data_testid="not-allowed",
    )


def app_page(
    route: str, title: str, *, on_load: list | None = None, permission: Permission | None = None
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a page behind the login, wrapped in the shell. `on_load` runs after the login check.

    With `permission`, users without it see a short explanation instead of the page (the handlers behind
    the page check it again on the server: this is only what the user sees)."""

    def decorate(body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            content = body()
            if permission is not None:
                granted: Any = AppState.permissions  # a Var of the user's permission names
                content = rx.cond(granted.contains(permission.value), content, _not_allowed())
            return rx.cond(AppState.is_logged_in, shell(title, content), rx.center(rx.spinner(), height="100vh"))

        page.__name__ = body.__name__
        rx.page(route=route, title=f"{title} · OPEX Manager", on_load=[AppState.check_login, *(on_load or [])])(page)
        return page

    return decorate
