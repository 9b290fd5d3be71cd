"""Roles (Admin): which role holds which permission, read-only. Generated from ROLE_PERMISSIONS, the one
table `require()` checks, so the page cannot drift from what the code enforces."""

from __future__ import annotations

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.roles_matrix import matrix


@app_page(routes.ROLES)
def roles_page() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Each user holds one or more roles; a user may do what any of their roles allows. Every action is "
            "checked on the server against this table.",
            size="2",
            color_scheme="gray",
        ),
        matrix(),
        spacing="3",
        width="100%",
    )
