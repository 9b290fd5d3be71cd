"""Budget lines on real PostgreSQL: the grid (filters, search, sorting, paging, totals), a line's detail
(committed and actual by month), the monthly editor with optimistic locking, and notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied, Principal, cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import (
    Actual,
    AuditEvent,
    BudgetLine,
    BudgetNote,
    FiscalYearRow,
    PoLine,
    PoStatus,
    PurchaseOrder,
)
from opex_app.services.budget_lines import add_note, get_line_detail, list_lines, parse_amount, update_line
from opex_app.services.budget_query import BudgetFilter
from opex_app.services.errors import Conflict, NotFound, ServiceError
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.masters import create_missing
from tests.conftest import make_principal
from tests.services.lines import add_line

FY = FiscalYear(2041)  # far from the FYs other tests (and the e2e seeds) use
FY_NAME = FY.name  # FY41
D = Decimal


@dataclass
class Seed:
    fy: FiscalYearRow
    lines: dict[str, BudgetLine]


_line = add_line


@pytest.fixture()
def seed(session: Session) -> Seed:
    fy = ensure_fiscal_year(session, FY)
    cli = cli_principal()
    create_missing(session, cli, "tower", ["Zeta Infra", "Zeta Apps"])
    create_missing(session, cli, "budget_head", ["Zeta Licences", "Zeta Support"])
    create_missing(session, cli, "cost_centre", ["Zeta CC-1"])
    create_missing(session, cli, "vendor", ["Zeta Vendor A", "Zeta Vendor B"])
    create_missing(session, cli, "entity", ["Zeta Entity"])
    lines = {
        "L1": _line(
            session,
            fy,
            "ZT-0001",
            {1: "100.00", 2: "100.00"},
            tower="Zeta Infra",
            vendor="Zeta Vendor A",
            budget_head="Zeta Licences",
            description="Server AMC, 50% discount",
        ),
        "L2": _line(
            session,
            fy,
            "ZT-0002",
            {1: "50.50", 12: "1000.00"},
            tower="Zeta Infra",
            vendor="Zeta Vendor B",
            description="Backup 5000 licences",
        ),
        "L3": _line(session, fy, "ZT-0003", {3: "10.00"}, tower="Zeta Apps", vendor="Zeta Vendor A"),
        "L4": _line(session, fy, "ZT-0004", {6: "700.00"}, tower="Zeta Apps", description="Cloud_credits"),
        "L5": _line(session, fy, "ZT-0005", {}, description="Nothing planned"),
    }
    # A line of another FY never shows in FY41's grid.
    other = ensure_fiscal_year(session, FiscalYear(2040))
    _line(session, other, "ZT-0001", {1: "999999.00"}, tower="Zeta Infra")
    return Seed(fy, lines)


def _uids(page) -> list[str]:
    return [r.uid for r in page.rows]


# ---------------------------------------------------------------------------------------------- grid


def test_grid_filters_by_master_names_and_totals_the_whole_filter(session: Session, seed: Seed, viewer) -> None:
    page = list_lines(session, viewer, BudgetFilter(fy=FY_NAME, tower="zeta infra"), sort="uid", page_size=50)
    assert page.fiscal_year == FY_NAME
    assert page.month_labels[0] == "Apr-40" and page.month_labels[11] == "Mar-41"
    assert _uids(page) == ["ZT-0001", "ZT-0002"]
    assert page.total_count == 2
    assert page.month_totals[0] == D("150.50")
    assert page.month_totals[1] == D("100.00")
    assert page.month_totals[11] == D("1000.00")
    assert page.total == D("1250.50")
    row = page.rows[0]
    assert (row.tower, row.vendor, row.budget_head) == ("Zeta Infra", "Zeta Vendor A", "Zeta Licences")
    assert row.total == D("200.00") and row.months[0] == D("100.00")

    by_vendor = list_lines(session, viewer, BudgetFilter(fy=FY_NAME, vendor="Zeta Vendor A"), sort="uid")
    assert _uids(by_vendor) == ["ZT-0001", "ZT-0003"]
    both = list_lines(session, viewer, BudgetFilter(fy=FY_NAME, tower="Zeta Apps", vendor="Zeta Vendor A"))
    assert _uids(both) == ["ZT-0003"]
    nothing = list_lines(session, viewer, BudgetFilter(fy=FY_NAME, tower="No Such Tower"))
    assert nothing.rows == [] and nothing.total_count == 0 and nothing.total == D("0")


def test_search_matches_uid_or_description_and_percent_is_literal(session: Session, seed: Seed, viewer) -> None:
    assert _uids(list_lines(session, viewer, BudgetFilter(fy=FY_NAME, search="50%"))) == ["ZT-0001"]
    # '_' is literal too: 'd_c' would match 'dAc' as a LIKE pattern.
    assert _uids(list_lines(session, viewer, BudgetFilter(fy=FY_NAME, search="d_c"))) == ["ZT-0004"]
    assert _uids(list_lines(session, viewer, BudgetFilter(fy=FY_NAME, search="zt-0003"))) == ["ZT-0003"]
    assert _uids(list_lines(session, viewer, BudgetFilter(fy=FY_NAME, search="LICENCES"))) == ["ZT-0002"]


def test_sorting_by_total_and_by_a_month_in_sql(session: Session, seed: Seed, viewer) -> None:
    flt = BudgetFilter(fy=FY_NAME)
    desc = list_lines(session, viewer, flt, sort="total", descending=True)
    assert _uids(desc) == ["ZT-0002", "ZT-0004", "ZT-0001", "ZT-0003", "ZT-0005"]
    asc = list_lines(session, viewer, flt, sort="total", descending=False)
    assert _uids(asc) == list(reversed(_uids(desc)))
    by_april = list_lines(session, viewer, flt, sort="m01", descending=True)
    assert _uids(by_april)[:2] == ["ZT-0001", "ZT-0002"]
    by_tower = list_lines(session, viewer, flt, sort="tower")
    assert _uids(by_tower)[-1] == "ZT-0005"  # no tower sorts last
    with pytest.raises(ServiceError, match="cannot sort"):
        list_lines(session, viewer, flt, sort="id; drop table budget_line")


def test_pagination_keeps_totals_of_the_whole_filter(session: Session, seed: Seed, viewer) -> None:
    flt = BudgetFilter(fy=FY_NAME)
    first = list_lines(session, viewer, flt, sort="uid", page=1, page_size=2)
    last = list_lines(session, viewer, flt, sort="uid", page=3, page_size=2)
    assert _uids(first) == ["ZT-0001", "ZT-0002"]
    assert _uids(last) == ["ZT-0005"]
    assert first.total_count == last.total_count == 5
    assert first.page_count == 3
    assert first.total == last.total == D("1960.50")
    beyond = list_lines(session, viewer, flt, sort="uid", page=99, page_size=2)
    assert beyond.page == 3 and _uids(beyond) == ["ZT-0005"]


def test_unknown_fy_gives_an_empty_page(session: Session, seed: Seed, viewer) -> None:
    page = list_lines(session, viewer, BudgetFilter(fy="FY12"))
    assert page.fiscal_year == "" and page.rows == [] and page.total_count == 0


# ---------------------------------------------------------------------------------------------- detail


def test_detail_shows_committed_and_actual_by_month(session: Session, seed: Seed, viewer) -> None:
    """The detail reads the figures model (tests/services/test_figures.py pins its arithmetic)."""
    line = seed.lines["L1"]
    assert line.id is not None and seed.fy.id is not None
    approved = PurchaseOrder(
        po_number="ZT-PO-1",
        fiscal_year_id=seed.fy.id,
        currency_code="INR",
        status=PoStatus.APPROVED.value,
        po_date=date(2040, 4, 10),
        fx_rate=D(1),
        created_by="seed",
    )
    draft = PurchaseOrder(
        po_number="ZT-PO-2", fiscal_year_id=seed.fy.id, currency_code="INR", status="draft", created_by="seed"
    )
    session.add_all([approved, draft])
    session.flush()
    assert approved.id is not None and draft.id is not None
    po_line = PoLine(
        purchase_order_id=approved.id,
        budget_line_id=line.id,
        amount=D("250.00"),
        amount_base=D("250.00"),
        service_start=date(2040, 4, 1),
        service_end=date(2040, 5, 31),
    )
    session.add(po_line)
    session.add(PoLine(purchase_order_id=draft.id, budget_line_id=line.id, amount=D("999"), amount_base=D("999")))
    session.flush()
    for po_line_id, month, amount in ((po_line.id, 1, "120.00"), (None, 3, "30.00")):
        session.add(
            Actual(
                fiscal_year_id=seed.fy.id,
                budget_line_id=line.id,
                purchase_order_id=approved.id if po_line_id else None,
                po_line_id=po_line_id,
                invoice_number=f"INV-{month}",
                invoice_date=date(2040, 3 + month, 5),
                fiscal_month=month,
                currency_code="INR",
                amount=D(amount),
                amount_base=D(amount),
                created_by="seed",
            )
        )
    session.flush()

    detail = get_line_detail(session, viewer, line.id)
    assert detail.uid == "ZT-0001" and detail.fiscal_year == FY_NAME
    assert detail.values["tower"] == "Zeta Infra" and detail.values["m01"] == D("100.00")
    assert [m.budget for m in detail.months[:2]] == [D("100.00"), D("100.00")]
    assert [m.budget_base for m in detail.months[:2]] == [D("100.00"), D("100.00")]
    assert not detail.shows_base and detail.currency == "INR"
    # 250 allocated less 120 invoiced against the PO line, spread over Apr and May; the draft PO commits nothing.
    assert [m.committed for m in detail.months[:3]] == [D("65.00"), D("65.00"), D("0.00")]
    assert detail.totals.committed == D("130.00")
    assert detail.months[0].actual == D("120.00") and detail.months[2].actual == D("30.00")
    assert detail.months[0].available == D("100.00") - D("65.00") - D("120.00")
    assert detail.totals.available == D("200.00") - D("130.00") - D("150.00")

    with pytest.raises(NotFound):
        get_line_detail(session, viewer, 987654321)


# ---------------------------------------------------------------------------------------------- editor


def test_update_line_writes_version_and_one_audit_event(session: Session, seed: Seed, analyst: Principal) -> None:
    line = seed.lines["L1"]
    assert line.id is not None
    updated = update_line(
        session,
        analyst,
        line.id,
        expected_version=1,
        changes={
            "m01": "1,23,456.78",
            "m02": "100",  # unchanged: not audited
            "tower": "zeta  apps",
            "description": "Server AMC renewed",
            "service_start": "2040-04-01",
            "currency_code": "usd",
        },
    )
    assert updated.version == 2 and updated.updated_by == analyst.actor and updated.updated_at is not None
    assert updated.m01 == D("123456.78")
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "budget_line", AuditEvent.entity_id == str(line.id))
    ).one()
    assert event.action == "update" and event.actor == analyst.actor
    assert event.changes == {
        "m01": ["100.00", "123456.78"],
        "tower": ["Zeta Infra", "Zeta Apps"],
        "description": ["Server AMC, 50% discount", "Server AMC renewed"],
        "service_start": [None, "2040-04-01"],
        "currency_code": ["INR", "USD"],
    }
    detail = get_line_detail(session, analyst, line.id)
    assert detail.history[-1].actor == analyst.actor
    assert any(c.label == "Apr-40" and c.after == "1,23,456.78" for c in detail.history[-1].changes)

    # Saving the same values again changes nothing and records nothing.
    again = update_line(session, analyst, line.id, expected_version=2, changes={"m01": "123456.78"})
    assert again.version == 2


def test_stale_version_is_a_conflict_naming_the_other_change(session: Session, seed: Seed, analyst) -> None:
    line = seed.lines["L2"]
    assert line.id is not None
    other = make_principal(session, "analyst", email="first.saver@example.com")
    update_line(session, other, line.id, expected_version=1, changes={"m01": "75"})
    with pytest.raises(Conflict) as raised:
        update_line(session, analyst, line.id, expected_version=1, changes={"m01": "999", "remarks": "mine"})
    message = str(raised.value)
    assert "first.saver@example.com" in message
    assert "Apr-40: 50.50 → 75.00" in message
    session.expire_all()
    fresh = session.get(BudgetLine, line.id)
    assert fresh is not None
    assert fresh.version == 2 and fresh.m01 == D("75.00") and fresh.remarks is None
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(line.id))).all()
    assert [e.actor for e in events if e.entity == "budget_line"] == ["first.saver@example.com"]


def test_viewer_may_not_edit_and_nothing_changes(session: Session, seed: Seed, viewer) -> None:
    line = seed.lines["L3"]
    assert line.id is not None
    with pytest.raises(PermissionDenied):
        update_line(session, viewer, line.id, expected_version=1, changes={"m03": "1"})
    with pytest.raises(PermissionDenied):
        add_note(session, viewer, line.id, body="sneaky")
    session.expire_all()
    fresh = session.get(BudgetLine, line.id)
    assert fresh is not None and fresh.version == 1 and fresh.m03 == D("10.00")
    assert session.exec(select(BudgetNote).where(BudgetNote.budget_line_id == line.id)).first() is None


def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(session: Session, seed: Seed, analyst) -> None:
    line = seed.lines["L4"]
    assert line.id is not None
    with pytest.raises(ServiceError) as raised:
        update_line(
            session,
            analyst,
            line.id,
            expected_version=1,
            changes={"m06": "12x", "m07": "1,00", "description": "changed", "vendor": "Nobody Ltd"},
        )
    message = str(raised.value)
    assert "Sep-40: '12x' is not an amount" in message
    assert "Oct-40: '1,00' is not an amount" in message
    assert "Vendor: 'Nobody Ltd' is not a known vendor" in message
    with pytest.raises(ServiceError, match="'XYZ' is not a known currency"):
        update_line(session, analyst, line.id, expected_version=1, changes={"currency_code": "xyz"})
    with pytest.raises(ServiceError, match=r"Service end .* is before service start"):
        update_line(
            session,
            analyst,
            line.id,
            expected_version=1,
            changes={"service_start": "2040-06-01", "service_end": "2040-05-31"},
        )
    with pytest.raises(ServiceError, match="cannot be edited: uid"):
        update_line(session, analyst, line.id, expected_version=1, changes={"uid": "X"})
    session.expire_all()
    fresh = session.get(BudgetLine, line.id)
    assert (
        fresh is not None and fresh.version == 1 and fresh.m06 == D("700.00") and fresh.description == "Cloud_credits"
    )
    assert session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(line.id))).first() is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,23,456.78", "123456.78"),
        ("1,234,567.8", "1234567.80"),
        ("₹ 12,345", "12345.00"),
        ("-500", "-500.00"),
        ("", "0.00"),
        ("-", "0.00"),
        ("0.005", "0.01"),
    ],
)
def test_parse_amount_accepts_indian_and_western_grouping(text: str, expected: str) -> None:
    assert parse_amount(text, "Apr-26") == D(expected)


@pytest.mark.parametrize("text", ["12,34", "1.2.3", "abc", "1,2345", "12345678901234567"])
def test_parse_amount_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ServiceError, match="Apr-26"):
        parse_amount(text, "Apr-26")


# ---------------------------------------------------------------------------------------------- notes


def test_add_note_is_audited_and_listed_newest_first(session: Session, seed: Seed, analyst) -> None:
    line = seed.lines["L5"]
    assert line.id is not None
    add_note(session, analyst, line.id, body="  First thought  ")
    note = add_note(session, analyst, line.id, body="Second thought")
    detail = get_line_detail(session, analyst, line.id)
    assert [n.body for n in detail.notes] == ["Second thought", "First thought"]
    assert detail.notes[0].author == analyst.actor
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "budget_note", AuditEvent.entity_id == str(note.id))
        .order_by(col(AuditEvent.id))
    ).one()
    assert event.changes and event.changes["body"] == [None, "Second thought"]
    with pytest.raises(ServiceError, match="Write the note"):
        add_note(session, analyst, line.id, body="   ")
