"""Profile (every logged-in user): how amounts are grouped, their password, and personal API tokens for the
read API (a new token's value is written into the page by the creating event's script, never kept in state)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.state.base import AppState
from opex_app.state.profile import (
    COPY_SCRIPT,
    NEW_TOKEN_ELEMENT,
    NUMBER_FORMAT_CHOICES,
    PASSWORD_RULE,
    ProfileState,
)

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = ProfileState

TOKEN_COLUMNS = [
    ("name", "Name"),
    ("prefix", "Token"),
    ("created", "Created"),
    ("last_used", "Last used"),
]  # then the status badge and the Revoke button


def _card(title: str, intro: str, *body: rx.Component, test_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3"), rx.text(intro, size="2", color_scheme="gray"), *body, spacing="3"),
        width="100%",
        data_testid=test_id,
    )


def _number_format_card() -> rx.Component:
    choices = [
        rx.text(
            rx.hstack(rx.radio_group.item(value=value, data_testid=f"number-format-{value}"), label, spacing="2"),
            as_="label",
            size="2",
        )
        for value, label in NUMBER_FORMAT_CHOICES
    ]
    return _card(
        "Number format",
        "How amounts are grouped on every page. Exports keep plain numbers.",
        rx.radio_group.root(
            rx.vstack(*choices, spacing="2"),
            value=AppState.number_format,
            on_change=S.save_number_format,
        ),
        test_id="number-format",
    )


def _new_token_callout() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.text(
                f"Your new token '{S.new_token_name}'. Copy it now: it is shown only once.",
                weight="medium",
                size="2",
            ),
            rx.hstack(
                # filled by the creating event's script (state/profile.reveal_script): empty as rendered
                rx.code(id=NEW_TOKEN_ELEMENT, size="2", data_testid="new-token", word_break="break-all"),
                rx.button(
                    rx.icon("copy", size=14),
                    "Copy",
                    size="1",
                    variant="soft",
                    on_click=rx.call_script(COPY_SCRIPT),
                    data_testid="new-token-copy",
                ),
                rx.button("Done", size="1", on_click=S.dismiss_token, data_testid="new-token-done"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
        ),
        color_scheme="green",
        width="100%",
        data_testid="new-token-callout",
    )


def _new_token_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="name",
                placeholder="Name, e.g. Power BI finance report",
                max_length=100,
                width="22rem",
                data_testid="token-name",
            ),
            rx.button(rx.icon("plus", size=14), "New token", type="submit", data_testid="token-create"),
            spacing="2",
            align="center",
        ),
        on_submit=S.create_token,
        reset_on_submit=True,
    )


def _revoke_button(item: Any) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Revoke", size="1", variant="soft", color_scheme="red", data_testid="token-revoke")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(f"Revoke '{item['name']}'?"),
            rx.alert_dialog.description("Programs that use this token are refused from now on. This cannot be undone."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Revoke",
                        color_scheme="red",
                        on_click=S.revoke_token(item["id"]),
                        data_testid="token-revoke-confirm",
                    )
                ),
                justify="end",
                spacing="2",
                margin_top="1rem",
            ),
        ),
    )


def _token_table() -> rx.Component:
    def row(item: Any) -> rx.Component:
        return rx.table.row(
            *[rx.table.cell(item[key], white_space="nowrap") for key, _ in TOKEN_COLUMNS],
            rx.table.cell(rx.badge(item["status"], color_scheme=rx.cond(item["status"] == "active", "green", "gray"))),
            rx.table.cell(rx.cond(item["status"] == "active", _revoke_button(item))),
            data_testid="token-row",
        )

    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[rx.table.column_header_cell(header) for _, header in TOKEN_COLUMNS],
                rx.table.column_header_cell("Status"),
                rx.table.column_header_cell(""),
            )
        ),
        rx.table.body(rx.foreach(S.tokens, row)),
        size="1",
        variant="surface",
        width="100%",
        data_testid="token-table",
    )


def _tokens_card() -> rx.Component:
    return _card(
        "API tokens",
        "For Power BI, Excel Power Query or scripts: send a token as 'Authorization: Bearer <token>' to "
        "/api/v1/summary or /api/v1/variance (described at /api/v1/openapi.json). A token reads what you may "
        "read, and stops working when you revoke it.",
        _new_token_form(),
        rx.cond(S.new_token_name != "", _new_token_callout()),
        rx.cond(
            S.tokens.length() > 0,
            _token_table(),
            rx.text("You have no API tokens yet.", size="2", data_testid="token-empty"),
        ),
        test_id="api-tokens",
    )


def _password_input(name: str, label: str, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", as_="label"),
        rx.input(
            name=name,
            type="password",
            auto_complete=autocomplete,
            max_length=200,
            width="18rem",
            data_testid=f"password-{name.replace('_', '-')}",
        ),
        spacing="1",
    )


def _password_card() -> rx.Component:
    return _card(
        "Change password",
        f"{PASSWORD_RULE} Your other sessions (other browsers and devices) end; this one stays.",
        rx.form(
            rx.hstack(
                _password_input("current_password", "Current password", "current-password"),
                _password_input("new_password", "New password", "new-password"),
                _password_input("repeat", "New password again", "new-password"),
                rx.button("Change password", type="submit", data_testid="password-submit"),
                spacing="2",
                align="end",
                wrap="wrap",
            ),
            on_submit=S.change_password,
            reset_on_submit=True,
        ),
        test_id="change-password",
    )


def _sections() -> list[rx.Component]:
    """The profile's cards, in order."""
    return [_number_format_card(), _password_card(), _tokens_card()]


@app_page(routes.PROFILE, on_load=[ProfileState.load])
def profile_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.error != "",
            rx.callout(S.error, color_scheme="red", icon="triangle-alert", data_testid="profile-error", width="100%"),
        ),
        rx.cond(
            S.message != "",
            rx.callout(S.message, color_scheme="green", icon="check", data_testid="profile-message", width="100%"),
        ),
        *_sections(),
        spacing="3",
        width="100%",
        max_width="60rem",
        on_unmount=S.dismiss_token,  # leaving the page takes a new token out of the state
    )
