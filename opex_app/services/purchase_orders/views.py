"""What the PO reads return: the list rows, the detail view with lines, invoices and history, and the
allocation picker's choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from opex_app.models._types import ZERO
from opex_app.services.purchase_orders.wording import service_months


@dataclass(frozen=True)
class PoRow:
    """One PO in the list and in the approvals inbox (with its version, to approve or reject from there)."""

    id: int
    po_number: str
    po_date: date | None
    fiscal_year: str
    vendor: str
    entity: str
    currency: str
    value: Decimal
    value_base: Decimal
    status: str
    created_by: str
    submitted_at: datetime | None
    version: int


@dataclass(frozen=True)
class PoPage:
    rows: list[PoRow]
    total_count: int
    page: int
    page_size: int
    sort: str

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total_count // self.page_size))


@dataclass(frozen=True)
class PoLineView:
    id: int
    budget_line_id: int
    uid: str
    line_description: str  # the budget line's
    description: str  # the allocation's own
    amount: Decimal  # in the PO's currency
    amount_base: Decimal
    service_start: date | None
    service_end: date | None
    invoiced: Decimal  # actuals booked against this PO line, in the PO's currency
    invoiced_base: Decimal

    @property
    def service_months(self) -> str:
        return service_months(self.service_start, self.service_end)


@dataclass(frozen=True)
class InvoiceView:
    id: int
    invoice_number: str
    invoice_date: date
    vendor: str
    uid: str
    currency: str
    amount: Decimal
    amount_base: Decimal
    po_line_id: int | None
    remarks: str


@dataclass(frozen=True)
class PoHistoryEntry:
    at: datetime
    actor: str
    action: str  # create | update | transition | imported ...
    changes: list[str]  # 'Label: before → after'
    status_from: str | None = None  # transitions
    status_to: str | None = None
    comment: str | None = None  # the reason or comment given with a transition


@dataclass(frozen=True)
class PoView:
    id: int
    po_number: str
    po_date: date | None
    fiscal_year: str
    vendor: str
    entity: str
    currency: str
    value: Decimal
    fx_rate: Decimal | None
    value_base: Decimal
    pr_number: str | None
    pr_date: date | None
    pr_amount: Decimal | None
    description: str | None
    status: str
    version: int
    created_at: datetime
    created_by: str
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    updated_at: datetime | None
    updated_by: str | None
    closed_at: datetime | None
    rejection_reason: str | None
    approval_comment: str | None
    editable: bool
    actions: tuple[str, ...]  # what the workflow allows from the status (the caller filters by permission)
    lines: list[PoLineView] = field(default_factory=list)
    invoices: list[InvoiceView] = field(default_factory=list)
    history: list[PoHistoryEntry] = field(default_factory=list)

    @property
    def invoiced_base(self) -> Decimal:
        return sum((i.amount_base for i in self.invoices), ZERO)


@dataclass(frozen=True)
class LineChoice:
    """A budget line offered by the allocation picker."""

    id: int
    uid: str
    description: str
    tower: str
    vendor: str
    currency: str
