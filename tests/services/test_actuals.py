"""Actuals one at a time: the Unlinked actuals queue, linking (audited, with optimistic locking), manual
entry and editing by the import's rules, reconciliation notes."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, AuditEvent
from opex_app.services.actuals import (
    ActualInput,
    ActualUpdate,
    actual_notes,
    add_actual_note,
    create_actual,
    get_actual,
    link_actual,
    unlinked_actuals,
    update_actual,
)
from opex_app.services.errors import Conflict, NotFound, ServiceError
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import set_rate
from tests.services.test_actuals_import import _line, _po, _vendor

FY52 = FiscalYear(2052)
DAY = date(2051, 5, 20)


@pytest.fixture()
def tag() -> str:
    return uuid.uuid4().hex[:6]


def _new(session: Session, principal, invoice: str, **values) -> Actual:
    data = ActualInput(
        invoice_number=invoice,
        invoice_date=values.pop("invoice_date", DAY),
        amount=values.pop("amount", "1,000"),
        **values,
    )
    return create_actual(session, principal, data).actual


def _events(session: Session, actual: Actual) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "actual", AuditEvent.entity_id == str(actual.id))
            .order_by(col(AuditEvent.id))
        )
    )


# ---------------------------------------------------------------------------------------------- manual entry


def test_manual_entry_follows_the_imports_rules(session: Session, analyst, tag: str) -> None:
    set_rate(session, cli_principal(), currency="USD", rate="84.5", effective_from=date(2051, 5, 1))
    vendor_id = _vendor(session, f"Manual Vendor {tag}")
    line = _line(session, f"{tag}-1")
    (po_line,) = _po(session, f"PO-{tag}", vendor_id, [(line, "5000")])
    saved = create_actual(
        session,
        analyst,
        ActualInput(
            invoice_number=f" {tag}-1 ",
            invoice_date=DAY,
            amount="(12.50)",
            currency="usd",
            vendor=f"manual vendor {tag}",
            uid=f"{tag}-1",
            remarks="credit note",
        ),
    )
    actual = saved.actual
    assert saved.warnings == []
    assert (actual.invoice_number, actual.amount, actual.currency_code) == (f"{tag}-1", Decimal("-12.50"), "USD")
    assert (actual.fx_rate, actual.amount_base) == (Decimal("84.5"), Decimal("-1056.25"))
    assert actual.fiscal_year_id == ensure_fiscal_year(session, FY52).id and actual.fiscal_month == 2
    assert (actual.vendor_id, actual.budget_line_id, actual.po_line_id) == (vendor_id, line, po_line)
    (event,) = _events(session, actual)
    assert event.action == "create" and event.actor == analyst.actor
    assert event.changes["amount"] == [None, "-12.50"] and event.changes["budget_line"] == [None, f"{tag}-1"]


def test_manual_entry_is_refused_as_the_import_refuses_a_row(session: Session, analyst, viewer, tag: str) -> None:
    _new(session, analyst, f"{tag}-1")
    with pytest.raises(ServiceError, match="already recorded"):
        _new(session, analyst, f"{tag}-1")
    with pytest.raises(ServiceError, match=r"already stored with INR 1,000\.00 dated 20-May-2051"):
        _new(session, analyst, f"{tag}-1", amount="999")
    with pytest.raises(ServiceError, match="no CHF rate on 2051-05-20"):
        _new(session, analyst, f"{tag}-2", currency="CHF")
    with pytest.raises(ServiceError, match="not a known vendor"):
        _new(session, analyst, f"{tag}-3", vendor=f"Nobody {tag}")
    with pytest.raises(ServiceError, match="not a known currency"):
        _new(session, analyst, f"{tag}-4", currency="XXY")
    with pytest.raises(ValidationError):
        ActualInput(invoice_number="x", invoice_date=DAY, amount="ten")
    with pytest.raises(PermissionDenied):
        _new(session, viewer, f"{tag}-5")
    assert len(session.exec(select(Actual).where(col(Actual.invoice_number).startswith(tag))).all()) == 1


def test_an_unmatched_reference_is_saved_unlinked_with_a_warning(session: Session, analyst, tag: str) -> None:
    saved = create_actual(
        session, analyst, ActualInput(invoice_number=f"{tag}-1", invoice_date=DAY, amount=5, uid=f"{tag}-none")
    )
    assert saved.actual.budget_line_id is None and saved.actual.uid_ref == f"{tag}-none"
    assert saved.warnings == [
        f"UID '{tag}-none' matches no budget line of FY52 (the FY of the invoice date): the invoice is stored "
        "unlinked, in the Unlinked actuals queue"
    ]


def test_editing_converts_and_links_again_with_locking(session: Session, analyst, admin, tag: str) -> None:
    set_rate(session, cli_principal(), currency="EUR", rate="90", effective_from=date(2051, 4, 1))
    line = _line(session, f"{tag}-1")
    actual = _new(session, analyst, f"{tag}-1", amount=100)
    assert actual.budget_line_id is None and actual.version == 1
    saved = update_actual(
        session, admin, actual.id, expected_version=1, changes=ActualUpdate(currency="eur", uid=f"{tag}-1")
    )
    assert saved.actual.version == 2 and saved.actual.updated_by == admin.actor
    assert (saved.actual.amount_base, saved.actual.budget_line_id) == (Decimal("9000.00"), line)
    event = _events(session, actual)[-1]
    assert event.action == "update"
    assert event.changes["currency"] == ["INR", "EUR"] and event.changes["budget_line"] == [None, f"{tag}-1"]
    with pytest.raises(Conflict) as raised:
        update_actual(session, analyst, actual.id, expected_version=1, changes=ActualUpdate(remarks="late"))
    assert admin.actor in str(raised.value) and "Currency: INR → EUR" in str(raised.value)
    # only the remarks: the links and the conversion stay
    kept = update_actual(session, analyst, actual.id, expected_version=2, changes=ActualUpdate(remarks="late"))
    assert (kept.actual.remarks, kept.actual.budget_line_id, kept.actual.version) == ("late", line, 3)
    # nothing changed: nothing written
    same = update_actual(session, analyst, actual.id, expected_version=3, changes=ActualUpdate(amount="100.00"))
    assert same.actual.version == 3 and len(_events(session, actual)) == 3


def test_an_edit_may_not_take_another_invoices_key(session: Session, analyst, tag: str) -> None:
    _new(session, analyst, f"{tag}-1")
    other = _new(session, analyst, f"{tag}-2")
    with pytest.raises(ServiceError, match="already recorded"):
        update_actual(session, analyst, other.id, expected_version=1, changes=ActualUpdate(invoice_number=f"{tag}-1"))
    moved = update_actual(
        session, analyst, other.id, expected_version=1, changes=ActualUpdate(invoice_date=date(2051, 3, 1))
    )
    assert moved.actual.fiscal_year_id == ensure_fiscal_year(session, FiscalYear(2051)).id
    assert moved.actual.fiscal_month == 12


# ---------------------------------------------------------------------------------------------- queue, linking


def test_the_queue_lists_unlinked_actuals_and_linking_takes_them_out(
    session: Session, analyst, viewer, tag: str
) -> None:
    line = _line(session, f"{tag}-1")
    waiting = [_new(session, analyst, f"{tag}-{i}", po_number=f"NOPE-{tag}", amount=10 * i) for i in range(1, 4)]
    page = unlinked_actuals(session, viewer, page=1, page_size=500)
    mine = [row for row in page.rows if row.invoice_number.startswith(tag)]
    assert [row.invoice_number for row in mine] == [f"{tag}-3", f"{tag}-2", f"{tag}-1"]  # ties: newest first
    assert mine[0].po_ref == f"NOPE-{tag}" and mine[0].fiscal_year == "FY52" and mine[0].version == 1
    assert page.total_count >= 3 and page.total_base >= Decimal("60.00")

    saved = link_actual(session, analyst, waiting[0].id, expected_version=1, budget_line_id=line)
    assert saved.actual.budget_line_id == line and saved.actual.version == 2 and saved.warnings == []
    after = unlinked_actuals(session, viewer, page=1, page_size=500)
    assert after.total_count == page.total_count - 1
    assert f"{tag}-1" not in {row.invoice_number for row in after.rows}
    (event,) = [e for e in _events(session, waiting[0]) if e.action == "link"]
    assert event.changes == {"budget_line": [None, f"{tag}-1"]} and event.actor == analyst.actor
    with pytest.raises(Conflict, match="saved invoice"):
        link_actual(session, analyst, waiting[0].id, expected_version=1, budget_line_id=line)
    with pytest.raises(PermissionDenied):
        link_actual(session, viewer, waiting[1].id, expected_version=1, budget_line_id=line)


def test_linking_to_a_po_line_checks_it_and_says_when_it_is_exceeded(session: Session, analyst, tag: str) -> None:
    line, other = _line(session, f"{tag}-1"), _line(session, f"{tag}-2")
    fy51_line = _line(session, f"{tag}-3", FiscalYear(2051))
    (po_line,) = _po(session, f"PO-{tag}", None, [(line, "500")], status="closed")
    actual = _new(session, analyst, f"{tag}-1", amount=600)
    with pytest.raises(ServiceError, match="does not allocate to"):
        link_actual(session, analyst, actual.id, expected_version=1, budget_line_id=other, po_line_id=po_line)
    with pytest.raises(ServiceError, match="is a line of FY51"):
        link_actual(session, analyst, actual.id, expected_version=1, budget_line_id=fy51_line)
    with pytest.raises(NotFound):
        link_actual(session, analyst, actual.id, expected_version=1, budget_line_id=line, po_line_id=-1)
    saved = link_actual(session, analyst, actual.id, expected_version=1, budget_line_id=line, po_line_id=po_line)
    assert saved.actual.po_line_id == po_line and saved.actual.purchase_order_id is not None
    assert len(saved.warnings) == 2
    assert "is closed" in saved.warnings[0] and "INR 600.00 of INR 500.00 allocated" in saved.warnings[1]


# ---------------------------------------------------------------------------------------------- notes, reads


def test_reconciliation_notes_are_kept_with_who_and_when(session: Session, analyst, viewer, tag: str) -> None:
    actual = _new(session, analyst, f"{tag}-1")
    add_actual_note(session, analyst, actual.id, body="  matched to bank statement 14  ")
    add_actual_note(session, analyst, actual.id, body="credit note expected")
    notes = actual_notes(session, viewer, actual.id)
    assert [n.body for n in notes] == ["credit note expected", "matched to bank statement 14"]
    assert notes[0].author == analyst.actor
    assert get_actual(session, viewer, actual.id).version == 1  # a note is not an edit
    with pytest.raises(ServiceError, match="Write the note"):
        add_actual_note(session, analyst, actual.id, body="  ")
    with pytest.raises(PermissionDenied):
        add_actual_note(session, viewer, actual.id, body="x")


def test_get_actual_shows_values_links_and_notes(session: Session, analyst, viewer, tag: str) -> None:
    line = _line(session, f"{tag}-1")
    actual = _new(session, analyst, f"{tag}-1", uid=f"{tag}-1", remarks="r")
    add_actual_note(session, analyst, actual.id, body="ok")
    view = get_actual(session, viewer, actual.id)
    assert (view.budget_line_id, view.uid, view.po_number) == (line, f"{tag}-1", "")
    assert view.values["fiscal_year"] == "FY52" and view.values["fiscal_month"] == "May-51"
    assert view.values["amount"] == Decimal("1000.00") and [n.body for n in view.notes] == ["ok"]
    with pytest.raises(NotFound):
        get_actual(session, viewer, -1)
