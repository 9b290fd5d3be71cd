"""Users (Admin): who has access, and adding a colleague without touching a server."""

from __future__ import annotations

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.components.cards import data_table
from opex_app.components.layout import app_page
from opex_app.state.admin import UsersState

COLUMNS = [
    ("email", "E-mail"),
    ("name", "Name"),
    ("roles", "Roles"),
    ("active", "Active"),
    ("last_login", "Last login"),
]


def _add_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="email",
                placeholder="colleague@company.com",
                type="email",
                required=True,
                data_testid="new-user-email",
            ),
            rx.input(name="name", placeholder="Full name"),
            rx.select(UsersState.role_choices, name="role", default_value="Viewer"),
            rx.button("Add user", type="submit", data_testid="new-user-submit"),
            spacing="2",
            wrap="wrap",
        ),
        on_submit=UsersState.add_user,
        reset_on_submit=True,
    )


@app_page("/admin/users", "Users", on_load=[UsersState.load], permission=Permission.MANAGE_USERS)
def users_page() -> rx.Component:
    return rx.vstack(
        rx.card(rx.vstack(rx.heading("Add a colleague", size="3"), _add_form(), spacing="2"), width="100%"),
        rx.cond(UsersState.error != "", rx.callout(UsersState.error, color_scheme="red", icon="triangle-alert")),
        rx.cond(
            UsersState.message != "",
            rx.callout(UsersState.message, color_scheme="green", icon="check", data_testid="new-user-message"),
        ),
        data_table(COLUMNS, UsersState.rows, test_id="users-table"),
        spacing="3",
        width="100%",
    )
