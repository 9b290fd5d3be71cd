"""Users (Admin): find a colleague, add one (their password is shown once), change roles, deactivate,
reactivate, reset a password. Accounts are never deleted: their history stays."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.pager import pager
from opex_app.state.admin import NO_SECRET, REVEALED_SECRET, ROLES, UsersState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = UsersState

COLUMNS = [
    ("email", "E-mail"),
    ("name", "Name"),
    ("roles", "Roles"),
    ("last_login", "Last login"),
]


def _role_boxes(prefix: str, checked: Any = None) -> rx.Component:
    """One checkbox per role, named role_<name> (the handler reads the ticked ones)."""
    return rx.hstack(
        *[
            rx.el.label(
                rx.checkbox(
                    name=f"role_{role}",
                    default_checked=(role == "viewer") if checked is None else checked.contains(role),
                    data_testid=f"{prefix}-role-{role}",
                ),
                role.title(),
                display="flex",
                gap="0.35rem",
                align_items="center",
            )
            for role in ROLES
        ],
        spacing="3",
        wrap="wrap",
    )


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
            rx.input(name="name", placeholder="Full name", data_testid="new-user-name"),
            _role_boxes("new-user"),
            rx.button(rx.icon("user-plus", size=14), "Add user", type="submit", data_testid="new-user-submit"),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        on_submit=S.add_user,
        reset_on_submit=True,
    )


def _search_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="query", placeholder="Search e-mail or name", width="18rem", data_testid="users-search"),
            rx.button(rx.icon("search", size=14), "Search", type="submit", variant="soft"),
            spacing="2",
        ),
        on_submit=S.search,
        reset_on_submit=False,
    )


def _actions(row: Any) -> rx.Component:
    return rx.hstack(
        rx.button("Roles", size="1", variant="soft", on_click=S.open_roles(row["id"])),
        rx.button("Reset password", size="1", variant="soft", on_click=S.ask_confirm("reset", row["id"])),
        rx.cond(
            row["active"] == "yes",
            rx.button(
                "Deactivate",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.ask_confirm("deactivate", row["id"]),
            ),
            rx.button("Reactivate", size="1", variant="soft", color_scheme="green", on_click=S.reactivate(row["id"])),
        ),
        spacing="2",
    )


def _status(row: Any) -> rx.Component:
    return rx.cond(
        row["active"] == "yes",
        rx.badge("active", color_scheme="green", variant="soft"),
        rx.badge("deactivated", color_scheme="gray", variant="soft"),
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[rx.table.column_header_cell(h) for _, h in COLUMNS],
                rx.table.column_header_cell("Status"),
                rx.table.column_header_cell(""),
            )
        ),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda row: rx.table.row(
                    *[rx.table.cell(row[key], white_space="nowrap") for key, _ in COLUMNS],
                    rx.table.cell(_status(row)),
                    rx.table.cell(_actions(row)),
                    color=rx.cond(row["active"] == "yes", "inherit", rx.color("gray", 10)),
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid="users-table",
    )


def _roles_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Roles of ", S.edit_email),
            rx.dialog.description(
                "Their other sessions end when you save: an open tab of theirs must log in again.", size="2"
            ),
            rx.form(
                rx.vstack(
                    _role_boxes("edit", S.edit_roles),
                    rx.hstack(
                        rx.button(
                            "Cancel", type="button", variant="soft", color_scheme="gray", on_click=S.close_dialogs
                        ),
                        rx.button("Save roles", type="submit", data_testid="roles-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    margin_top="0.75rem",
                ),
                key=S.edit_user_id,
                on_submit=S.save_roles,
                reset_on_submit=False,
            ),
            max_width="32rem",
            data_testid="roles-dialog",
        ),
        open=S.edit_user_id != 0,
        on_open_change=lambda _: S.close_dialogs(),
    )


def _confirm_dialog() -> rx.Component:
    deactivating = S.confirm_action == "deactivate"
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(rx.cond(deactivating, "Deactivate ", "Reset the password of "), S.confirm_email, "?"),
            rx.alert_dialog.description(
                rx.cond(
                    deactivating,
                    "They can no longer log in, and their open sessions end now. Their history stays; "
                    "you can reactivate them later.",
                    "A new password is generated and shown once. Their open sessions end now.",
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        rx.cond(deactivating, "Deactivate", "Reset password"),
                        color_scheme=rx.cond(deactivating, "red", "teal"),
                        on_click=S.confirm,
                        data_testid="confirm-action",
                    )
                ),
                justify="end",
                spacing="2",
                margin_top="1rem",
            ),
            max_width="30rem",
        ),
        open=S.confirm_action != "",
        on_open_change=lambda _: S.close_dialogs(),
    )


def _secret_dialog() -> rx.Component:
    """The generated password, shown once. It is held only in this page's memory (state/admin.py
    REVEALED_SECRET, pushed by the handler that made it): closing the dialog forgets it."""
    secret: Any = REVEALED_SECRET.value
    forget = REVEALED_SECRET.set_value(NO_SECRET)
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Password for ", secret["email"]),
            rx.dialog.description(
                "Copy it now and give it to them over a safe channel: it is shown only this once.", size="2"
            ),
            rx.hstack(
                rx.code(secret["password"], size="5", data_testid="one-time-password"),
                rx.icon_button(
                    rx.icon("copy", size=14),
                    variant="soft",
                    on_click=rx.set_clipboard(secret["password"]),
                    aria_label="Copy",
                ),
                align="center",
                spacing="3",
                margin_y="1rem",
            ),
            rx.hstack(
                rx.button("Done", on_click=forget, data_testid="one-time-password-done"),
                justify="end",
            ),
            max_width="30rem",
        ),
        open=secret["password"] != "",
        on_open_change=forget,
    )


@app_page(routes.USERS, on_load=[UsersState.load])
def users_page() -> rx.Component:
    return rx.vstack(
        rx.card(rx.vstack(rx.heading("Add a colleague", size="3"), _add_form(), spacing="2"), width="100%"),
        rx.cond(
            S.error != "", rx.callout(S.error, color_scheme="red", icon="triangle-alert", data_testid="users-error")
        ),
        rx.cond(
            S.message != "",
            rx.callout(S.message, color_scheme="green", icon="check", data_testid="new-user-message"),
        ),
        _search_form(),
        _table(),
        pager(
            S,
            rx.text(
                S.total,
                rx.cond(S.total == 1, " user", " users"),
                " · page ",
                S.page_number,
                " of ",
                S.page_count,
                size="2",
            ),
            test_id_prefix="users",
        ),
        _roles_dialog(),
        _confirm_dialog(),
        _secret_dialog(),
        spacing="3",
        width="100%",
    )
