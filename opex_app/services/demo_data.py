"""A believable demo fiscal year: ~300 budget lines over 7 towers, vendors, POs in every status,
actuals across the elapsed months and FX rates. Idempotent: a second run changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, BudgetLine, PoLine, PoStatus, PurchaseOrder
from opex_app.services import audit
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import rates_on, set_rate
from opex_app.services.masters import create_missing, name_index

TOWERS = {
    "Infrastructure": ["Hardware AMC", "Data Centre Hosting", "Network Services", "Cloud Services"],
    "Applications": ["Software Licences", "SaaS Subscriptions", "Application Support"],
    "Security": ["Security Tools", "Managed SOC", "Audit & Compliance"],
    "End User Computing": ["Laptop Leasing", "Collaboration Suite", "Service Desk"],
    "Data & Analytics": ["Data Platform", "BI Licences"],
    "Telecom": ["MPLS Links", "Mobile Plans"],
    "Enterprise Architecture": ["Consulting", "Training"],
}
VENDORS = [
    ("Microsoft India", "INR"),
    ("Oracle India", "INR"),
    ("Tata Communications", "INR"),
    ("Airtel Business", "INR"),
    ("Amazon Web Services", "USD"),
    ("Google Cloud", "USD"),
    ("Salesforce", "USD"),
    ("ServiceNow", "USD"),
    ("Palo Alto Networks", "USD"),
    ("CrowdStrike", "USD"),
    ("Infosys", "INR"),
    ("Wipro", "INR"),
    ("HCLTech", "INR"),
    ("Dell Technologies", "INR"),
    ("Cisco Systems", "USD"),
    ("SAP", "EUR"),
    ("Atlassian", "USD"),
    ("Zoho", "INR"),
    ("Snowflake", "USD"),
    ("KPMG", "INR"),
]
COST_CENTRES = [
    "CC-1001 Corporate IT",
    "CC-1002 Retail Banking",
    "CC-1003 Operations",
    "CC-1004 Finance",
    "CC-1005 HR",
    "CC-1006 Risk",
]
ENTITIES = ["Acme India Pvt Ltd", "Acme Global Services LLP"]
FX = {
    "USD": [("2026-04-01", "83.20"), ("2026-10-01", "84.10")],
    "EUR": [("2026-04-01", "90.40")],
    "GBP": [("2026-04-01", "105.75")],
}
DEMO_LINES = 300


@dataclass(frozen=True)
class DemoSummary:
    fiscal_year: str
    created: bool
    lines: int
    purchase_orders: int
    actuals: int


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low, high) * 1000)


def load_demo_data(session: Session, principal: Principal, fy: FiscalYear, today: date) -> DemoSummary:
    require(principal, Permission.MANAGE_MASTERS)
    fy_row = ensure_fiscal_year(session, fy)
    assert fy_row.id is not None
    fy_id: int = fy_row.id
    marker = f"IT-{fy.name}-0001"
    if session.exec(select(BudgetLine.id).where(BudgetLine.fiscal_year_id == fy_id, BudgetLine.uid == marker)).first():
        return DemoSummary(fy.name, False, 0, 0, 0)

    rng = random.Random(fy.end_year)
    heads = sorted({h for hs in TOWERS.values() for h in hs})
    for kind, names in (
        ("tower", list(TOWERS)),
        ("budget_head", heads),
        ("cost_centre", COST_CENTRES),
        ("vendor", [v for v, _ in VENDORS]),
        ("entity", ENTITIES),
    ):
        create_missing(session, principal, kind, names)
    ids = {kind: name_index(session, kind) for kind in ("tower", "budget_head", "cost_centre", "vendor", "entity")}

    for code, history in FX.items():
        for start, rate in history:
            day = date.fromisoformat(start)
            if rates_on(session, [(code, day)])[(code, day)] != Decimal(str(rate)):  # a second FY adds no copies
                set_rate(session, principal, currency=code, rate=rate, effective_from=day)

    lines: list[BudgetLine] = []
    tower_names = list(TOWERS)
    for n in range(1, DEMO_LINES + 1):
        tower = tower_names[(n - 1) % len(tower_names)]
        head = rng.choice(TOWERS[tower])
        vendor, _currency = rng.choice(VENDORS)
        monthly = _amount(rng, 20, 900)
        pattern = rng.choice(["flat", "quarterly", "annual", "ramp"])
        months = []
        for m in range(1, 13):
            if pattern == "flat":
                months.append(monthly)
            elif pattern == "quarterly":
                months.append(monthly * 3 if m % 3 == 1 else Decimal(0))
            elif pattern == "annual":
                months.append(monthly * 12 if m == 1 else Decimal(0))
            else:
                months.append((monthly * m / 6).quantize(Decimal("1.00")))
        line = BudgetLine(
            fiscal_year_id=fy_id,
            uid=f"IT-{fy.name}-{n:04d}",
            parent_uid=f"IT-{fy.name}-{n - 1:04d}" if n % 25 == 0 else None,
            description=f"{head} - {vendor}",
            tower_id=ids["tower"][tower.casefold()],
            budget_head_id=ids["budget_head"][head.casefold()],
            cost_centre_id=ids["cost_centre"][rng.choice(COST_CENTRES).casefold()],
            vendor_id=ids["vendor"][vendor.casefold()],
            entity_id=ids["entity"][rng.choice(ENTITIES).casefold()],
            currency_code="INR",
            service_start=fy.start_date,
            service_end=fy.end_date,
            created_by=principal.actor,
        )
        for column, amount in zip(MONTH_FIELDS, months, strict=True):
            setattr(line, column, amount)
        session.add(line)
        lines.append(line)
    session.flush()
    for line in lines:
        audit.record(
            session,
            principal,
            action="create",
            entity="budget_line",
            entity_id=line.id,
            changes={"uid": [None, line.uid], "total": [None, str(line.total)]},
        )

    elapsed = max(0, min(12, (today.year - fy.start_date.year) * 12 + today.month - fy.start_date.month))
    statuses = list(PoStatus)
    po_count = actual_count = 0
    for i, line in enumerate(lines[:120]):
        status = statuses[i % len(statuses)]
        po = PurchaseOrder(
            po_number=f"PO-{fy.name}-{i + 1:05d}",
            fiscal_year_id=fy_id,
            vendor_id=line.vendor_id,
            entity_id=line.entity_id,
            currency_code="INR",
            status=status.value,
            po_date=fy.start_date + timedelta(days=rng.randrange(0, 120)),
            description=line.description,
            pr_number=f"PR-{fy.name}-{i + 1:05d}",
            total_amount=line.total,
            fx_rate=Decimal(1),
            total_amount_base=line.total,
            created_by=principal.actor,
        )
        session.add(po)
        session.flush()
        assert po.id is not None and line.id is not None
        # The PO pays for the line's service period: its commitment is spread over those months.
        po_line = PoLine(
            purchase_order_id=po.id,
            budget_line_id=line.id,
            amount=line.total,
            amount_base=line.total,
            service_start=line.service_start,
            service_end=line.service_end,
        )
        session.add(po_line)
        session.flush()
        audit.record(
            session,
            principal,
            action="create",
            entity="purchase_order",
            entity_id=po.id,
            changes={"po_number": [None, po.po_number], "status": [None, po.status]},
        )
        po_count += 1
        if status in (PoStatus.APPROVED, PoStatus.CLOSED):
            for m in range(1, elapsed + 1):
                amount = line.months()[m - 1]
                if amount <= 0:
                    continue
                year, month = fy.calendar_month(m)
                actual = Actual(
                    fiscal_year_id=fy_id,
                    budget_line_id=line.id,
                    purchase_order_id=po.id,
                    po_line_id=po_line.id,
                    vendor_id=line.vendor_id,
                    invoice_number=f"INV-{i + 1:04d}-{m:02d}",
                    invoice_date=date(year, month, 15),
                    fiscal_month=m,
                    currency_code="INR",
                    fx_rate=Decimal(1),
                    amount=(amount * Decimal(rng.randrange(85, 106)) / 100).quantize(Decimal("1.00")),
                    amount_base=Decimal(0),
                    created_by=principal.actor,
                )
                actual.amount_base = actual.amount
                session.add(actual)
                actual_count += 1
    session.flush()
    audit.record(
        session,
        principal,
        action="create",
        entity="actual",
        entity_id=None,
        changes={"demo_actuals": [None, actual_count]},
    )
    return DemoSummary(fy.name, True, len(lines), po_count, actual_count)
