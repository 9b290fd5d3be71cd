"""The role matrix page is generated from ROLE_PERMISSIONS, the table `require()` checks."""

from __future__ import annotations

import re

from opex_app.auth.permissions import PERMISSION_DESCRIPTIONS, ROLE_PERMISSIONS, Permission, RoleName


def test_every_permission_is_described() -> None:
    assert set(PERMISSION_DESCRIPTIONS) == set(Permission)
    assert all(text.strip() for text in PERMISSION_DESCRIPTIONS.values())


def test_matrix_cells_are_the_enforced_grants() -> None:
    from opex_app.components.roles_matrix import matrix

    rendered = str(matrix())
    cells = dict(re.findall(r'"data-testid":"grant-([a-z_]+-[a-z_]+)"[^}]*?"data-granted":"(yes|no)"', rendered))
    if not cells:  # attribute order is Reflex's business: read them the other way round
        cells = {
            k: v
            for v, k in re.findall(r'"data-granted":"(yes|no)"[^}]*?"data-testid":"grant-([a-z_]+-[a-z_]+)"', rendered)
        }
    expected = {
        f"{role.value}-{permission.value}": "yes" if permission in ROLE_PERMISSIONS[role] else "no"
        for role in RoleName
        for permission in Permission
    }
    assert cells == expected
    assert sum(v == "yes" for v in cells.values()) == 1 + 4 + 3 + 9  # viewer, analyst, approver, admin
