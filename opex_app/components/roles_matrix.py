"""The role matrix: which role holds which permission, read-only. Generated from ROLE_PERMISSIONS, the one
table `require()` checks, so the page cannot drift from what the code enforces."""

from __future__ import annotations

import reflex as rx

from opex_app.auth.permissions import PERMISSION_DESCRIPTIONS, ROLE_PERMISSIONS, Permission, RoleName

ROLES = list(RoleName)  # least to most powerful


def _mark(role: RoleName, permission: Permission) -> rx.Component:
    granted = permission in ROLE_PERMISSIONS[role]
    return rx.table.cell(
        rx.center(
            rx.icon("check", size=16, color=rx.color("green", 10), aria_label="granted")
            if granted
            else rx.text("–", color_scheme="gray", aria_label="not granted"),
        ),
        data_testid=f"grant-{role.value}-{permission.value}",
        data_granted="yes" if granted else "no",
    )


def matrix() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Permission"),
                rx.table.column_header_cell("What it allows"),
                *[rx.table.column_header_cell(role.value.title(), text_align="center") for role in ROLES],
            )
        ),
        rx.table.body(
            *[
                rx.table.row(
                    rx.table.cell(rx.code(permission.value), white_space="nowrap"),
                    rx.table.cell(PERMISSION_DESCRIPTIONS[permission]),
                    *[_mark(role, permission) for role in ROLES],
                )
                for permission in Permission
            ]
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid="roles-matrix",
    )
