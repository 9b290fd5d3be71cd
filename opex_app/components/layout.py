"""The app shell: sidebar with the areas the user may open, header with name, role and logout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission
from opex_app.routes import Route
from opex_app.state.base import AppState

ACCENT = "teal"


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str
    visible: rx.Var[bool] | bool = True
    count: rx.Var[int] | None = None  # a badge beside the label when above zero
    test_id: str = ""


def _granted(permission: Permission) -> rx.Var[bool]:
    granted: Any = AppState.permissions  # a Var of the user's permission names
    return granted.contains(permission.value)  # type: ignore[no-any-return]


def _badges() -> dict[Route, Any]:
    return {routes.APPROVALS: AppState.approvals_waiting}  # POs waiting for this approver


def nav_items() -> list[NavItem]:
    """The sidebar's entries, from the route registry: shown to users who hold the page's permission."""
    badges = _badges()
    return [
        NavItem(
            nav.label,
            route.path,
            nav.icon,
            True if route.permission is None else _granted(route.permission),
            count=badges.get(route),
            test_id=route.test_id,
        )
        for route, nav in routes.sidebar_routes()
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
        data_testid=item.test_id,
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
            href=routes.PROFILE.path,
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


def _registered(route: Route | str, title: str | None, permission: Permission | None) -> Route:
    """The registry's entry of a page. A page still naming its path, title and permission (the older form)
    must agree with the registry, so the sidebar, links and page cannot drift apart."""
    if isinstance(route, Route):
        return route
    entry = routes.route_at(route)
    if (title is not None and title != entry.title) or (permission is not None and permission != entry.permission):
        raise ValueError(f"{route}: title/permission differ from opex_app.routes ({entry.title!r}, {entry.permission})")
    return entry


def app_page(
    route: Route | str,
    title: str | None = None,
    *,
    on_load: list | None = None,
    permission: Permission | None = None,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a page behind the login, wrapped in the shell, under its `opex_app.routes` entry. `on_load` runs
    after the login check.

    With a permission in the entry, users without it see a short explanation instead of the page (the handlers
    behind the page check it again on the server: this is only what the user sees)."""
    entry = _registered(route, title, permission)

    def decorate(body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            content = body()
            if entry.permission is not None:
                content = rx.cond(_granted(entry.permission), content, _not_allowed())
            return rx.cond(AppState.is_logged_in, shell(entry.title, content), rx.center(rx.spinner(), height="100vh"))

        page.__name__ = body.__name__
        rx.page(
            route=entry.path,
            title=f"{entry.title} · OPEX Manager",
            on_load=[AppState.check_login, *(on_load or [])],
        )(page)
        return page

    return decorate
