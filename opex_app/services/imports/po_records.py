"""The two sides a PO import compares: the POs stored (with their lines, read in two queries) and the POs of
the file (its rows grouped by PO number)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

CENT = Decimal("0.01")
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


@dataclass
class StoredLine:
    id: int
    budget_line_id: int
    uid: str
    amount: Decimal
    amount_base: Decimal
    service_start: date | None
    service_end: date | None
    description: str | None
    invoiced: bool  # invoices are booked against it: it cannot be removed


@dataclass
class StoredPo:
    id: int
    po_number: str
    po_date: date | None
    vendor: str | None  # master names
    entity: str | None
    currency: str
    status: str
    value: Decimal
    fx_rate: Decimal | None
    value_base: Decimal
    pr_number: str | None
    pr_date: date | None
    pr_amount: Decimal | None
    lines: list[StoredLine] = field(default_factory=list)  # by id

    def line_of(self, budget_line_id: int) -> StoredLine | None:
        return next((line for line in self.lines if line.budget_line_id == budget_line_id), None)


_STORED_POS = text(
    """
    SELECT p.id, p.po_number, p.po_date, v.name, e.name, p.currency_code, p.status, p.total_amount, p.fx_rate,
           p.total_amount_base, p.pr_number, p.pr_date, p.pr_amount
    FROM purchase_order p
    LEFT JOIN vendor v ON v.id = p.vendor_id
    LEFT JOIN entity e ON e.id = p.entity_id
    WHERE p.po_number = ANY(CAST(:numbers AS text[]))
    """
)
_STORED_LINES = text(
    """
    SELECT l.purchase_order_id, l.id, l.budget_line_id, b.uid, l.amount, l.amount_base, l.service_start,
           l.service_end, l.description, EXISTS (SELECT 1 FROM actual a WHERE a.po_line_id = l.id)
    FROM po_line l JOIN budget_line b ON b.id = l.budget_line_id
    WHERE l.purchase_order_id = ANY(CAST(:ids AS integer[]))
    ORDER BY l.id
    """
)
_BUDGET_LINES = text(
    """
    SELECT f.end_year, b.uid, b.id FROM budget_line b JOIN fiscal_year f ON f.id = b.fiscal_year_id
    WHERE b.uid = ANY(CAST(:uids AS text[]))
    """
)


def stored_pos(session: Session, numbers: Iterable[str]) -> dict[str, StoredPo]:
    """The stored POs of these numbers, with their lines (and whether each has invoices)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    found: dict[str, StoredPo] = {}
    for r in session.execute(_STORED_POS, {"numbers": wanted}):
        found[r[1]] = StoredPo(
            id=r[0],
            po_number=r[1],
            po_date=r[2],
            vendor=r[3],
            entity=r[4],
            currency=r[5],
            status=r[6],
            value=Decimal(r[7]),
            fx_rate=None if r[8] is None else Decimal(r[8]),
            value_base=Decimal(r[9]),
            pr_number=r[10],
            pr_date=r[11],
            pr_amount=None if r[12] is None else Decimal(r[12]),
        )
    by_id = {po.id: po for po in found.values()}
    for po_id, *line in session.execute(_STORED_LINES, {"ids": sorted(by_id)}) if by_id else ():
        by_id[po_id].lines.append(StoredLine(*line))
    return found


def budget_line_ids(session: Session, uids: Iterable[str]) -> dict[tuple[int, str], int]:
    """{(FY end year, UID): budget line id} of the UIDs, in every FY that has them."""
    wanted = sorted(set(uids))
    if not wanted:
        return {}
    return {(end, uid): id_ for end, uid, id_ in session.execute(_BUDGET_LINES, {"uids": wanted})}


# ---------------------------------------------------------------------------------------------- a PO of the file


@dataclass
class FileLine:
    row: int
    uid: str
    amount: Decimal
    budget_line_id: int | None = None


@dataclass
class FilePo:
    """A PO as the file gives it: its header agreed across its rows (a column the file does not have taken
    from the stored PO), its lines, where each header value was read, and what the checks found."""

    number: str
    rows: list[int]
    lines: list[FileLine]
    values: dict[str, Any]  # header field -> value (names for masters, PoStatus value for status)
    cells: dict[str, int]  # header field -> the row its value was read from
    given_value: Decimal | None  # the PO Value of the file (None: not given)
    stored: StoredPo | None
    fy_end: int = 0
    rate: Decimal | None = None
    state: str = ""  # NEW | CHANGED | UNCHANGED once checked
    ids: dict[str, int | None] = field(default_factory=dict)  # vendor/entity master ids, once planned

    @property
    def first_row(self) -> int:
        return self.rows[0]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def value(self) -> Decimal:
        return self.total if self.given_value is None else self.given_value

    def row_of(self, name: str) -> int:
        return self.cells.get(name, self.first_row)


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
