"""The master data page's handlers called directly, as a raw client could: anyone without "manage masters"
is refused and nothing changes."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from opex_app.auth.permissions import Principal, RoleName, cli_principal, require
from opex_app.db import read_session, transaction
from opex_app.models import Vendor
from opex_app.services import masters_admin


def _handler(name: str) -> Any:
    importlib.import_module("opex_app.opex_app")
    from opex_app.state.admin_masters import MastersState

    return MastersState.event_handlers[name].fn


def _page(role: RoleName) -> SimpleNamespace:
    principal = Principal(actor=f"{role.value}@example.com", roles=frozenset({role}))
    return SimpleNamespace(
        _require=lambda permission: require(principal, permission), error="", message="", tab="vendor"
    )


@pytest.mark.parametrize("role", [RoleName.VIEWER, RoleName.ANALYST, RoleName.APPROVER])
def test_non_admins_are_refused_and_nothing_changes(database_url: str, role: RoleName) -> None:
    with transaction() as session:
        dup = masters_admin.create_master(session=session, principal=cli_principal(), kind="vendor", name=f"Dup {role}")
    page = _page(role)
    page.target_id = dup
    for name, args in [
        ("create", ({"name": "Sneaky Ltd"},)),
        ("merge", ({"survivor": "Anything"},)),
        ("set_active", (str(dup), False)),
        ("rename", ({"name": "Renamed"},)),
        ("load", ()),
    ]:
        result = _handler(name)(page, *args)
        assert "Your role does not allow this (manage masters)" in str(result), name
    with read_session() as session:
        row = session.get(Vendor, dup)
        assert row is not None and (row.name, row.is_active) == (f"Dup {role}", True)
        assert session.exec(select(Vendor).where(Vendor.name == "Sneaky Ltd")).first() is None
    assert page.message == ""
