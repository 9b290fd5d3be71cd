"""Master data administration: create and rename under the name-key rule, deactivate, reference counts,
merge a duplicate (every reference moves in one go, audited), currencies and fiscal years."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied, Principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, AuditEvent, BudgetLine, FiscalYearRow, PurchaseOrder, VarianceComment, Vendor
from opex_app.services import fiscal_years, masters, masters_admin
from opex_app.services.budget_lines import list_lines, update_line
from opex_app.services.budget_query import BudgetFilter, fiscal_year_row
from opex_app.services.errors import ServiceError
from opex_app.services.master_merge import merge_masters
from tests.services.lines import add_line

DUP, SURVIVOR = "Vendor 001 Ltd", "Vendor 001 Ltd."


@pytest.fixture()
def fy(session: Session) -> FiscalYearRow:
    return fiscal_years.ensure_fiscal_year(session, FiscalYear(2027, 4))


def _vendor(session: Session, admin: Principal, name: str) -> int:
    return masters_admin.create_master(session=session, principal=admin, kind="vendor", name=name)


def _po(session: Session, fy: FiscalYearRow, number: str, vendor_id: int) -> PurchaseOrder:
    po = PurchaseOrder(
        po_number=number,
        fiscal_year_id=fy.id,
        vendor_id=vendor_id,
        currency_code="INR",
        total_amount=Decimal("100.00"),
        total_amount_base=Decimal("100.00"),
        created_by="seed",
    )
    session.add(po)
    session.flush()
    return po


def _invoice(session: Session, fy: FiscalYearRow, number: str, vendor_id: int) -> Actual:
    actual = Actual(
        fiscal_year_id=fy.id,
        vendor_id=vendor_id,
        invoice_number=number,
        invoice_date=date(2026, 5, 10),
        fiscal_month=2,
        currency_code="INR",
        amount=Decimal("10.00"),
        amount_base=Decimal("10.00"),
        created_by="seed",
    )
    session.add(actual)
    session.flush()
    return actual


def test_every_column_that_refers_to_a_master_is_known_to_the_merge(session: Session) -> None:
    kinds = list(masters_admin.REFERENCES)
    in_db = set(
        session.execute(
            text(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "JOIN information_schema.tables t USING (table_schema, table_name) "
                "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.column_name = ANY(:cols)"
            ),
            {"cols": [f"{k}_id" for k in kinds]},
        ).tuples()
    )
    known = {ref for refs in masters_admin.REFERENCES.values() for ref in refs}
    # audit_event.entity_id names the audited row of any table (its 'entity'), not an entity master
    assert in_db - {("audit_event", "entity_id")} == known
    assert len(known) == 8


def test_create_and_rename_respect_the_name_key(session: Session, admin: Principal) -> None:
    acme = _vendor(session, admin, "  ACME   Cloud ")
    assert session.get(Vendor, acme).name == "ACME Cloud"  # type: ignore[union-attr]
    with pytest.raises(ServiceError, match="a vendor named 'ACME Cloud' already exists"):
        _vendor(session, admin, "acme cloud")
    other = _vendor(session, admin, "Other Co")
    with pytest.raises(ServiceError, match="already exists"):
        masters_admin.rename_master(session=session, principal=admin, kind="vendor", master_id=other, name="Acme CLOUD")
    assert masters_admin.rename_master(
        session=session, principal=admin, kind="vendor", master_id=acme, name="Acme Cloud"
    )
    assert not masters_admin.rename_master(
        session=session, principal=admin, kind="vendor", master_id=acme, name="Acme Cloud"
    )
    with pytest.raises(ServiceError, match="empty"):
        masters_admin.rename_master(session=session, principal=admin, kind="vendor", master_id=acme, name="   ")
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "vendor", AuditEvent.entity_id == str(acme), AuditEvent.action == "rename"
        )
    ).one()
    assert event.changes == {"name": ["ACME Cloud", "Acme Cloud"], "variance_comments_moved": 0}


def test_list_searches_pages_and_counts_references(session: Session, admin: Principal, fy: FiscalYearRow) -> None:
    dup, survivor = _vendor(session, admin, DUP), _vendor(session, admin, SURVIVOR)
    _vendor(session, admin, "Unrelated 50%")
    add_line(session, fy, "L-1", {1: "100"}, vendor=DUP)
    add_line(session, fy, "L-2", {1: "100"}, vendor=SURVIVOR)
    _po(session, fy, "PO-1", dup)
    listed = masters_admin.list_masters(
        session=session, principal=admin, kind="vendor", query="vendor 001", page_size=1
    )
    assert (listed.total, listed.page_count, [r.name for r in listed.rows]) == (2, 2, [DUP])
    assert listed.rows[0].references == {"budget_line": 1, "purchase_order": 1, "actual": 0}
    second = masters_admin.list_masters(
        session=session, principal=admin, kind="vendor", query="vendor 001", page=2, page_size=1
    )
    assert [(r.id, r.total_references) for r in second.rows] == [(survivor, 1)]
    literal = masters_admin.list_masters(session=session, principal=admin, kind="vendor", query="50%")
    assert [r.name for r in literal.rows] == ["Unrelated 50%"]


def test_merge_moves_every_reference_audits_it_and_retires_the_duplicate(
    session: Session, admin: Principal, fy: FiscalYearRow
) -> None:
    dup, survivor = _vendor(session, admin, DUP), _vendor(session, admin, SURVIVOR)
    lines = [add_line(session, fy, f"L-{n}", {1: "100"}, vendor=DUP) for n in (1, 2)]
    kept = add_line(session, fy, "L-3", {1: "50"}, vendor=SURVIVOR)
    po = _po(session, fy, "PO-1", dup)
    invoice = _invoice(session, fy, "INV-1", dup)
    _invoice(session, fy, "INV-2", survivor)
    result = merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=dup, survivor_id=survivor)
    assert result.moved == {"budget_line": 2, "purchase_order": 1, "actual": 1}
    session.expire_all()
    for line in lines:
        moved = session.get(BudgetLine, line.id)
        assert moved is not None and (moved.vendor_id, moved.version, moved.updated_by) == (survivor, 2, admin.actor)
    assert session.get(BudgetLine, kept.id).version == 1  # type: ignore[union-attr]
    assert session.get(PurchaseOrder, po.id).vendor_id == survivor  # type: ignore[union-attr]
    assert session.get(Actual, invoice.id).vendor_id == survivor  # type: ignore[union-attr]
    retired = session.get(Vendor, dup)
    assert retired is not None and (retired.is_active, retired.merged_into_id, retired.name) == (False, survivor, DUP)
    per_row = session.exec(
        select(AuditEvent).where(AuditEvent.action == "merge_master").order_by(col(AuditEvent.id))
    ).all()
    assert sorted((e.entity, e.entity_id) for e in per_row) == sorted(
        [
            ("budget_line", str(lines[0].id)),
            ("budget_line", str(lines[1].id)),
            ("purchase_order", str(po.id)),
            ("actual", str(invoice.id)),
        ]
    )
    assert {str(e.changes) for e in per_row} == {str({"vendor": [DUP, SURVIVOR]})}
    summary = session.exec(
        select(AuditEvent).where(AuditEvent.action == "merge", AuditEvent.entity_id == str(dup))
    ).one()
    assert summary.changes is not None and summary.changes["moved"] == result.moved
    assert summary.changes["rows"]["budget_line"] == sorted(line.id for line in lines)
    assert masters.name_index(session, "vendor")["vendor 001 ltd"] == survivor  # imports land on the survivor
    grid = list_lines(session, admin, BudgetFilter(fy="FY27"))
    assert {row.uid: row.vendor for row in grid.rows} == {"L-1": SURVIVOR, "L-2": SURVIVOR, "L-3": SURVIVOR}


def test_merge_refuses_clashing_invoice_numbers_and_changes_nothing(
    session: Session, admin: Principal, fy: FiscalYearRow
) -> None:
    dup, survivor = _vendor(session, admin, DUP), _vendor(session, admin, SURVIVOR)
    line = add_line(session, fy, "L-1", {1: "100"}, vendor=DUP)
    _invoice(session, fy, "INV-9", dup)
    _invoice(session, fy, "INV-9", survivor)
    with pytest.raises(ServiceError, match="both vendors have invoices numbered INV-9"):
        merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=dup, survivor_id=survivor)
    session.expire_all()
    assert session.get(BudgetLine, line.id).vendor_id == dup  # type: ignore[union-attr]
    assert session.get(Vendor, dup).is_active  # type: ignore[union-attr]


def test_merge_moves_variance_comments_unless_the_survivor_has_one(
    session: Session, admin: Principal, fy: FiscalYearRow
) -> None:
    dup, survivor = _vendor(session, admin, DUP), _vendor(session, admin, SURVIVOR)
    for member, period, body in [(DUP, "fy", "dup fy"), (DUP, "q1", "dup q1"), (SURVIVOR, "q1", "survivor q1")]:
        session.add(
            VarianceComment(
                fiscal_year_id=fy.id, level="vendor", member=member, period=period, comment=body, created_by="x"
            )
        )
    session.flush()
    result = merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=dup, survivor_id=survivor)
    assert result.comments_moved == 1
    rows = session.exec(  # this test's comments only: other tests commit comments of their own
        select(VarianceComment.member, VarianceComment.period, VarianceComment.comment).where(
            VarianceComment.fiscal_year_id == fy.id, col(VarianceComment.member).in_([DUP, SURVIVOR])
        )
    ).all()
    assert sorted(rows) == sorted([(SURVIVOR, "fy", "dup fy"), (SURVIVOR, "q1", "survivor q1"), (DUP, "q1", "dup q1")])


def test_merge_rules(session: Session, admin: Principal) -> None:
    a, b, c = (_vendor(session, admin, n) for n in ("A Co", "B Co", "C Co"))
    with pytest.raises(ServiceError, match="two different"):
        merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=a, survivor_id=a)
    merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=a, survivor_id=b)
    with pytest.raises(ServiceError, match="'A Co' is inactive"):
        merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=c, survivor_id=a)
    with pytest.raises(ServiceError, match="stays inactive"):
        masters_admin.set_master_active(session=session, principal=admin, kind="vendor", master_id=a, active=True)
    merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=b, survivor_id=c)
    index = masters.name_index(session, "vendor")
    assert (index["a co"], index["b co"], index["c co"]) == (c, c, c)  # an earlier merge follows the survivor


def test_deactivate_and_reactivate_a_master(session: Session, admin: Principal) -> None:
    tower = masters_admin.create_master(session=session, principal=admin, kind="tower", name="Legacy")
    assert masters_admin.set_master_active(
        session=session, principal=admin, kind="tower", master_id=tower, active=False
    )
    assert "Legacy" not in masters.names(session, "tower")
    assert not masters_admin.set_master_active(
        session=session, principal=admin, kind="tower", master_id=tower, active=False
    )
    assert masters_admin.set_master_active(session=session, principal=admin, kind="tower", master_id=tower, active=True)
    assert "Legacy" in masters.names(session, "tower")
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.entity == "tower", AuditEvent.entity_id == str(tower))
    ).all()
    assert actions == ["create", "deactivate", "reactivate"]


def test_currencies_and_fiscal_years_activate_and_deactivate(
    session: Session, admin: Principal, fy: FiscalYearRow
) -> None:
    with pytest.raises(ServiceError, match="INR is the base currency"):
        masters_admin.set_currency_active(session=session, principal=admin, code="inr", active=False)
    assert masters_admin.set_currency_active(session=session, principal=admin, code="usd", active=False)
    assert not {c.code: c.is_active for c in masters_admin.list_currencies(session=session, principal=admin)}["USD"]
    mistaken = fiscal_years.ensure_fiscal_year(session, FiscalYear(2099, 4))  # a typo'd year with one line
    add_line(session, mistaken, "TYPO-1", {1: "1"})
    add_line(session, fy, "L-1", {1: "1"})
    add_line(session, fy, "L-2", {1: "1"})
    assert fiscal_year_row(session, BudgetFilter()) == mistaken  # the grid's default: the latest FY with lines
    assert mistaken.id is not None
    assert masters_admin.set_fiscal_year_active(
        session=session, principal=admin, fiscal_year_id=mistaken.id, active=False
    )
    # other tests commit FYs of their own (FY83, ...): look at this test's two only
    mine = {"FY99", "FY27"}
    assert [row.name for row in fiscal_years.list_fiscal_years(session) if row.name in mine] == ["FY27"]
    everything = fiscal_years.list_fiscal_years(session, include_inactive=True)
    assert [row.name for row in everything if row.name in mine] == ["FY99", "FY27"]
    default = fiscal_year_row(session, BudgetFilter())
    assert default is not None and default.name != "FY99" and default.is_active  # the latest ACTIVE FY with lines
    assert fiscal_year_row(session, BudgetFilter(fy="FY99")) == mistaken  # still readable by name
    listed = masters_admin.fiscal_years_with_counts(session=session, principal=admin)
    assert [(row.name, row.is_active, n) for row, n in listed if row.name in mine] == [
        ("FY99", False, 1),
        ("FY27", True, 2),
    ]


def test_only_master_managers_change_masters(session: Session, analyst: Principal, admin: Principal) -> None:
    a, b = _vendor(session, admin, "A Co"), _vendor(session, admin, "B Co")
    with pytest.raises(PermissionDenied):
        masters_admin.create_master(session=session, principal=analyst, kind="vendor", name="Sneaky")
    with pytest.raises(PermissionDenied):
        merge_masters(session=session, principal=analyst, kind="vendor", duplicate_id=a, survivor_id=b)
    with pytest.raises(PermissionDenied):
        masters_admin.set_currency_active(session=session, principal=analyst, code="USD", active=False)
    with pytest.raises(ServiceError, match="unknown master"):
        masters_admin.list_masters(session=session, principal=admin, kind="app_user")


def test_merging_entities_moves_lines_and_pos(session: Session, admin: Principal, fy: FiscalYearRow) -> None:
    old = masters_admin.create_master(session=session, principal=admin, kind="entity", name="Acme India Pvt Ltd")
    new = masters_admin.create_master(
        session=session, principal=admin, kind="entity", name="Acme India Private Limited"
    )
    line = add_line(session, fy, "E-1", {1: "10"}, entity="Acme India Pvt Ltd")
    po = _po(session, fy, "PO-E", _vendor(session, admin, "Any Vendor"))
    po.entity_id = old
    session.add(po)
    session.flush()
    result = merge_masters(session=session, principal=admin, kind="entity", duplicate_id=old, survivor_id=new)
    assert result.moved == {"budget_line": 1, "purchase_order": 1}
    session.expire_all()
    assert session.get(BudgetLine, line.id).entity_id == new  # type: ignore[union-attr]
    assert session.get(PurchaseOrder, po.id).entity_id == new  # type: ignore[union-attr]


def test_an_editor_typing_the_merged_name_gets_the_survivor(
    session: Session, admin: Principal, fy: FiscalYearRow
) -> None:
    dup, survivor = _vendor(session, admin, DUP), _vendor(session, admin, SURVIVOR)
    line = add_line(session, fy, "L-1", {1: "100"})
    merge_masters(session=session, principal=admin, kind="vendor", duplicate_id=dup, survivor_id=survivor)
    assert masters.resolve(session, "vendor", " vendor 001  LTD ") == (survivor, SURVIVOR)
    assert masters.resolve(session, "vendor", "Nobody Ltd") is None
    assert line.id is not None
    saved = update_line(session, admin, line.id, expected_version=1, changes={"vendor": DUP})
    assert saved.vendor_id == survivor
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "budget_line", AuditEvent.entity_id == str(line.id))
    ).one()
    assert event.changes == {"vendor": [None, SURVIVOR]}
