"""Mapping profiles: saved column mappings, audited, offered again for a file whose headers fit."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, delete, select

from opex_app.auth.permissions import PermissionDenied
from opex_app.models import AuditEvent, MappingProfile
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.mapping_profiles import (
    delete_profile,
    get_profile,
    list_profiles,
    profile_for_headers,
    rename_profile,
    save_profile,
)

ACME = {"Cost ID": "uid", "Spend Area": "tower"}


@pytest.fixture(autouse=True)
def no_profiles(session: Session) -> None:
    """Each test sees only the profiles it saves (CLI tests commit theirs; this is rolled back)."""
    session.exec(delete(MappingProfile))  # type: ignore[call-overload]


def _events(session: Session, profile_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "mapping_profile", AuditEvent.entity_id == str(profile_id))
            .order_by(col(AuditEvent.id))
        )
    )


def test_save_creates_then_replaces_the_mapping_and_audits_both(session: Session, analyst) -> None:
    created = save_profile(
        session, analyst, kind=" Budget", name="  Acme  workbook ", mapping={" Cost ID ": " uid", "Spend Area": "tower"}
    )
    assert (created.kind, created.name, created.mapping) == ("budget", "Acme  workbook", ACME)
    assert created.updated_by == analyst.actor
    row = session.get(MappingProfile, created.id)
    assert row is not None and row.name_key == "acme workbook" and row.header_keys == ["costid", "spendarea"]
    assert row.created_by == analyst.actor

    new_mapping = {"Cost ID": "uid", "Area": "tower", "Supplier": "vendor"}
    replaced = save_profile(session, analyst, kind="budget", name="ACME Workbook", mapping=new_mapping)
    assert replaced.id == created.id
    assert replaced.name == "Acme  workbook"  # the name is kept; renaming is its own action
    assert replaced.mapping == new_mapping
    assert replaced.updated_at > created.updated_at
    session.refresh(row)
    assert row.header_keys == ["area", "costid", "supplier"]

    save_profile(session, analyst, kind="budget", name="acme workbook", mapping=dict(new_mapping))  # no change
    events = _events(session, created.id)
    assert [e.action for e in events] == ["create", "update"]
    assert all(e.actor == analyst.actor for e in events)
    assert events[0].changes == {"kind": [None, "budget"], "name": [None, "Acme  workbook"], "mapping": [None, ACME]}
    assert events[1].changes == {"mapping": [ACME, new_mapping]}

    other_kind = save_profile(session, analyst, kind="pos", name="Acme workbook", mapping={"PO No": "po_number"})
    assert other_kind.id != created.id  # names are unique per kind only
    assert [p.name for p in list_profiles(session, analyst, kind="budget")] == ["Acme  workbook"]


def test_rename_is_audited_and_refuses_a_name_taken_in_the_same_kind(session: Session, analyst) -> None:
    acme = save_profile(session, analyst, kind="budget", name="Acme", mapping=ACME)
    save_profile(session, analyst, kind="budget", name="Globex", mapping={"Line": "uid"})
    save_profile(session, analyst, kind="actuals", name="Initech", mapping={"Invoice": "invoice_number"})

    renamed = rename_profile(session, analyst, profile_id=acme.id, new_name="  Acme 2026 ")
    assert renamed.name == "Acme 2026" and renamed.mapping == ACME
    assert get_profile(session, analyst, kind="budget", name="acme") is None
    assert rename_profile(session, analyst, profile_id=acme.id, new_name="ACME 2026").name == "ACME 2026"
    assert rename_profile(session, analyst, profile_id=acme.id, new_name="ACME 2026").name == "ACME 2026"  # no-op
    assert rename_profile(session, analyst, profile_id=acme.id, new_name="Initech").name == "Initech"

    with pytest.raises(ServiceError, match="Another budget mapping profile is already named 'Globex'"):
        rename_profile(session, analyst, profile_id=acme.id, new_name=" globex ")
    with pytest.raises(NotFound, match="Mapping profile 987654 does not exist"):
        rename_profile(session, analyst, profile_id=987654, new_name="Anything")

    events = _events(session, acme.id)
    assert [e.action for e in events] == ["create", "update", "update", "update"]
    assert [e.changes for e in events[1:]] == [
        {"name": ["Acme", "Acme 2026"]},
        {"name": ["Acme 2026", "ACME 2026"]},
        {"name": ["ACME 2026", "Initech"]},
    ]
    row = session.get(MappingProfile, acme.id)
    assert row is not None and row.updated_by == analyst.actor


def test_delete_is_audited_with_the_deleted_mapping(session: Session, analyst) -> None:
    acme = save_profile(session, analyst, kind="fx", name="Rates sheet", mapping={"Ccy": "currency"})
    delete_profile(session, analyst, profile_id=acme.id)
    assert session.get(MappingProfile, acme.id) is None
    assert get_profile(session, analyst, kind="fx", name="rates sheet") is None
    event = _events(session, acme.id)[-1]
    assert event.action == "delete" and event.actor == analyst.actor
    assert event.changes == {
        "kind": ["fx", None],
        "name": ["Rates sheet", None],
        "mapping": [{"Ccy": "currency"}, None],
    }
    with pytest.raises(NotFound):
        delete_profile(session, analyst, profile_id=acme.id)


def test_list_is_by_name_ignoring_case_and_get_matches_names_loosely(session: Session, analyst) -> None:
    for name in ("beta", "Alpha", "gamma"):
        save_profile(session, analyst, kind="pos", name=name, mapping={"PO": "po_number"})
    save_profile(session, analyst, kind="budget", name="Delta", mapping=ACME)
    assert [p.name for p in list_profiles(session, analyst, kind="pos")] == ["Alpha", "beta", "gamma"]
    found = get_profile(session, analyst, kind="POS", name="  ALPHA ")
    assert found is not None and found.name == "Alpha" and found.mapping == {"PO": "po_number"}
    assert get_profile(session, analyst, kind="budget", name="Alpha") is None
    assert list_profiles(session, analyst, kind="actuals") == []


def test_a_viewer_may_not_touch_profiles(session: Session, analyst, viewer) -> None:
    acme = save_profile(session, analyst, kind="budget", name="Acme", mapping=ACME)
    calls = [
        lambda: list_profiles(session, viewer, kind="budget"),
        lambda: get_profile(session, viewer, kind="budget", name="Acme"),
        lambda: save_profile(session, viewer, kind="budget", name="Mine", mapping=ACME),
        lambda: rename_profile(session, viewer, profile_id=acme.id, new_name="Mine"),
        lambda: delete_profile(session, viewer, profile_id=acme.id),
        lambda: profile_for_headers(session, viewer, kind="budget", headers=["Cost ID", "Spend Area"]),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert [p.name for p in list_profiles(session, analyst, kind="budget")] == ["Acme"]


@pytest.mark.parametrize(
    ("kind", "name", "mapping", "message"),
    [
        ("budget", "   ", ACME, "Give the mapping profile a name"),
        ("budget", "x" * 101, ACME, r"at most 100 characters \(101 given\)"),
        ("invoices", "Acme", ACME, r"Unknown import kind 'invoices' \(expected one of: budget, pos, actuals, fx\)"),
        ("budget", "Acme", {}, "The mapping is empty"),
        ("budget", "Acme", {"  ": "uid"}, "A mapped column has no header text"),
        ("budget", "Acme", {"Cost ID": " "}, "Column 'Cost ID' is mapped to no field"),
        ("budget", "Acme", {"---": "uid"}, "Column '---' has no letters or digits"),
        (
            "budget",
            "Acme",
            {"Cost ID": "uid", "cost-id": "parent_uid"},
            "Columns 'Cost ID' and 'cost-id' are the same header once case, spaces and punctuation are ignored",
        ),
    ],
)
def test_bad_profiles_are_refused(session: Session, analyst, kind: str, name: str, mapping, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        save_profile(session, analyst, kind=kind, name=name, mapping=mapping)
    assert session.exec(select(MappingProfile)).all() == []


def test_a_hundred_character_name_fits_even_when_case_folding_lengthens_it(session: Session, analyst) -> None:
    name = "ß" * 100  # its key is 'ss' * 100
    saved = save_profile(session, analyst, kind="budget", name=name, mapping=ACME)
    assert saved.name == name
    acme = save_profile(session, analyst, kind="budget", name="Acme", mapping=ACME)
    with pytest.raises(ServiceError, match="at most 100"):
        rename_profile(session, analyst, profile_id=acme.id, new_name="y" * 101)
    with pytest.raises(ServiceError, match="Give the mapping profile a name"):
        rename_profile(session, analyst, profile_id=acme.id, new_name="")


def test_the_profile_offered_maps_the_most_headers_then_is_the_latest(session: Session, analyst) -> None:
    area = save_profile(session, analyst, kind="budget", name="Area", mapping=ACME)
    supplier = save_profile(
        session, analyst, kind="budget", name="Supplier", mapping={"Cost ID": "uid", "Supplier": "vendor"}
    )
    short = save_profile(session, analyst, kind="budget", name="Short", mapping={"Cost ID": "uid"})  # the newest
    save_profile(session, analyst, kind="pos", name="PO", mapping={"Cost ID": "po_number"})

    def offered(*headers: str, kind: str = "budget") -> str | None:
        found = profile_for_headers(session, analyst, kind=kind, headers=headers)
        return None if found is None else found.name

    # case, spaces and punctuation of the file's headers do not matter; extra headers do not either
    assert offered("cost-id", "SPEND  AREA", "Remarks") == "Area"
    assert offered("COST_ID") == "Short"
    # two profiles map two headers each: the one changed last wins
    assert offered("Cost ID", "Spend Area", "Supplier") == "Supplier"
    save_profile(session, analyst, kind="budget", name="area", mapping={"Cost ID": "uid", "Spend Area": "budget_head"})
    assert offered("Cost ID", "Spend Area", "Supplier") == "Area"
    # a profile is offered only when every header it maps is in the file
    assert offered("Spend Area", "Supplier") is None
    assert offered("Cost", "Spend Area") is None
    assert offered("Cost ID", kind="pos") == "PO"
    assert offered("Cost ID", kind="fx") is None
    assert offered() is None
    assert offered("", "  ", "---") is None
    delete_profile(session, analyst, profile_id=short.id)
    assert offered("Cost ID", "Remarks") is None
    assert {area.id, supplier.id} == {p.id for p in list_profiles(session, analyst, kind="budget")}


def test_a_file_without_one_of_the_mapped_headers_is_offered_nothing(session: Session, analyst) -> None:
    save_profile(session, analyst, kind="actuals", name="Ledger", mapping={"Invoice No": "invoice", "Amount": "amount"})
    assert profile_for_headers(session, analyst, kind="actuals", headers=["Invoice No", "Date"]) is None
    found = profile_for_headers(session, analyst, kind="actuals", headers=["invoice no.", "AMOUNT", "Date"])
    assert found is not None and found.name == "Ledger"
