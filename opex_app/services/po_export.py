"""Purchase-order workbook export: every PO line (of one FY, or of all), in the PO import's layout, so the
file re-imports with nothing changed.

A PO's FY is the FY of its PO date (its `fiscal_year_id`). The rows are read with a server-side cursor and
streamed to the writer, so memory does not grow with the number of lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import text
from sqlmodel import Session, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.export import write_po_workbook
from opex_app.domain.export.po_workbook import PoLineRow
from opex_app.domain.fiscal import parse_fiscal_year
from opex_app.models import FiscalYearRow
from opex_app.services.errors import NotFound, ServiceError
from opex_app.settings import get_settings

FETCH_ROWS = 5_000

_LINES = """
    SELECT p.po_number, p.po_date, v.name, e.name, p.currency_code, p.total_amount, p.pr_number, p.pr_date,
           p.pr_amount, b.uid, l.amount, p.status
    FROM purchase_order p
    JOIN po_line l ON l.purchase_order_id = p.id
    JOIN budget_line b ON b.id = l.budget_line_id
    LEFT JOIN vendor v ON v.id = p.vendor_id
    LEFT JOIN entity e ON e.id = p.entity_id
    WHERE CAST(:fy AS integer) IS NULL OR p.fiscal_year_id = :fy
    ORDER BY p.po_date, p.po_number, l.id
"""


@dataclass(frozen=True)
class PoExportResult:
    fiscal_year: str | None  # the FY exported (FY27), None for all
    rows: int  # PO lines written
    path: Path | None  # where the workbook was written (None when the target was a file object)


def _fiscal_year_id(session: Session, fy: str) -> int:
    try:
        wanted = parse_fiscal_year(fy, get_settings().fy_start_month)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    found = session.exec(select(FiscalYearRow.id).where(FiscalYearRow.end_year == wanted.end_year)).first()
    if found is None:
        raise NotFound(f"there is no fiscal year {wanted.name}")
    return found


def po_lines(session: Session, fiscal_year_id: int | None) -> Iterator[PoLineRow]:
    """Every PO line (of the FY, or of all), with its PO's fields, by PO date, PO number and line."""
    result = session.execute(text(_LINES).execution_options(yield_per=FETCH_ROWS), {"fy": fiscal_year_id})
    for r in result:
        yield PoLineRow(
            po_number=r[0],
            po_date=r[1],
            vendor=r[2],
            entity=r[3],
            currency=r[4],
            po_value=Decimal(r[5]),
            pr_number=r[6],
            pr_date=r[7],
            pr_amount=None if r[8] is None else Decimal(r[8]),
            uid=r[9],
            allocated_amount=Decimal(r[10]),
            status=r[11],
        )


def export_pos(
    session: Session, principal: Principal, target: str | Path | BinaryIO, *, fy: str = ""
) -> PoExportResult:
    """Write the PO lines of the FY named `fy` ('' = every FY) to an xlsx workbook at `target` (a path or a
    binary file): the sheet ``POs``, re-importable with nothing changed."""
    require(principal, Permission.VIEW_DASHBOARDS)
    fy_id = _fiscal_year_id(session, fy) if fy.strip() else None
    rows = write_po_workbook(target, po_lines(session, fy_id))
    name = parse_fiscal_year(fy, get_settings().fy_start_month).name if fy_id is not None else None
    path = Path(target) if isinstance(target, str | Path) else None
    return PoExportResult(fiscal_year=name, rows=rows, path=path)
