"""Actuals export: every actual (linked or not) of every FY, or of one, as a re-importable workbook.

Rows are read in batches of BATCH_ROWS by id (keyset: each batch one indexed query, read with one COPY),
so a million actuals never sit in memory at once. A linked actual shows its budget line's UID and its PO's
number; an unlinked one its references as typed, so the file says what the import was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.export import write_actuals_workbook
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import FiscalYearRow
from opex_app.services.copying import copy_out

BATCH_ROWS = 50_000

SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "invoice_number": pl.String,
    "invoice_date": pl.Date,
    "vendor": pl.String,
    "uid": pl.String,
    "po_number": pl.String,
    "currency": pl.String,
    "amount": pl.Decimal(18, 2),
    "rate": pl.Decimal(18, 6),
    "base_amount": pl.Decimal(18, 2),
    "fy": pl.String,
    "remarks": pl.String,
}

_BATCH = """
    SELECT a.id, a.invoice_number, a.invoice_date, v.name AS vendor, COALESCE(b.uid, a.uid_ref) AS uid,
           COALESCE(p.po_number, a.po_ref) AS po_number, a.currency_code AS currency, a.amount, a.fx_rate AS rate,
           a.amount_base AS base_amount, f.name AS fy, a.remarks
    FROM actual a
    JOIN fiscal_year f ON f.id = a.fiscal_year_id
    LEFT JOIN vendor v ON v.id = a.vendor_id
    LEFT JOIN budget_line b ON b.id = a.budget_line_id
    LEFT JOIN purchase_order p ON p.id = a.purchase_order_id
    WHERE a.id > %(after)s {fy}
    ORDER BY a.id
    LIMIT %(limit)s
"""


@dataclass(frozen=True)
class ActualsExport:
    rows: int  # actuals written
    fiscal_years: list[str] = field(default_factory=list)  # the FYs they are in, oldest first
    path: Path | None = None  # where the workbook was written (None when the target was a file object)


def actual_batches(
    session: Session, fiscal_year_id: int | None, years: set[str], batch_rows: int = BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """The actuals (of one FY when given), in id order, as typed frames of at most `batch_rows` rows, with
    their fiscal month label; `years` collects the FY names met."""
    query = _BATCH.format(fy="" if fiscal_year_id is None else "AND a.fiscal_year_id = %(fy)s")
    after = 0
    while True:
        params = {"after": after, "limit": batch_rows, "fy": fiscal_year_id}
        frame = copy_out(session, query, SCHEMA, params)
        if frame.height == 0:
            return
        after = int(frame.get_column("id").max())  # type: ignore[arg-type]
        years.update(frame.get_column("fy").unique().to_list())
        # The fiscal month as the app labels it ('Apr-26') is the calendar month of the invoice date.
        yield frame.with_columns(pl.col("invoice_date").dt.strftime("%b-%y").alias("month"))
        if frame.height < batch_rows:
            return


def export_actuals(
    session: Session, principal: Principal, target: str | Path | BinaryIO, *, fy: FiscalYear | None = None
) -> ActualsExport:
    """Write the actuals of `fy` (every FY when None) to an xlsx workbook at `target`: sheet ``Actuals``,
    header in row 1, one row per actual. An FY with no actuals (or not stored) writes the header only."""
    require(principal, Permission.VIEW_DASHBOARDS)
    fiscal_year_id: int | None = None
    if fy is not None:
        found = session.exec(select(FiscalYearRow.id).where(FiscalYearRow.end_year == fy.end_year)).first()
        fiscal_year_id = found if found is not None else -1
    years: set[str] = set()
    rows = write_actuals_workbook(target, actual_batches(session, fiscal_year_id, years))
    order = {name: end for name, end in session.exec(select(FiscalYearRow.name, col(FiscalYearRow.end_year)))}
    path = Path(target) if isinstance(target, str | Path) else None
    return ActualsExport(rows, sorted(years, key=lambda name: order.get(name, 0)), path)
