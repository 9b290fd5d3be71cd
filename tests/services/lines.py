"""Budget lines written straight into a test's session, for the service tests that need some."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from opex_app.domain.budget_fields import MASTER_FIELDS, MONTH_FIELDS
from opex_app.models import BudgetLine, FiscalYearRow
from opex_app.services.masters import name_index


def add_line(session: Session, fy: FiscalYearRow, uid: str, months: dict[int, str], **attrs: object) -> BudgetLine:
    """A line of `fy` with amounts by fiscal month; masters by (existing) name, currency INR unless given."""
    line = BudgetLine(fiscal_year_id=fy.id, uid=uid, created_by="seed", currency_code=attrs.pop("currency", "INR"))
    for kind in MASTER_FIELDS:
        name = attrs.pop(kind, None)
        if name:
            setattr(line, f"{kind}_id", name_index(session, kind)[str(name).casefold()])
    for key, value in attrs.items():
        setattr(line, key, value)
    for month, amount in months.items():
        setattr(line, MONTH_FIELDS[month - 1], Decimal(amount))
    session.add(line)
    session.flush()
    return line
