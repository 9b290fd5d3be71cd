"""Budget workbook export (the lines of the current view) and the blank import template.

The export streams the lines out of PostgreSQL with ``COPY (SELECT ...) TO STDOUT (FORMAT csv)``, cuts
the stream into batches of a few MB at record boundaries and parses each batch with Polars against an
explicit schema (Decimal(18,2) months, Date service dates), so no Python object is created per value
and memory stays bounded by one batch whatever the number of lines. The writer renders batch by batch.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl
from sqlalchemy import Select
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.db import psycopg_connection
from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.export import BUDGET_COLUMNS, write_budget_workbook, write_template
from opex_app.domain.export.budget_workbook import DATE_COLUMNS, REMARKS_COLUMN, TEXT_COLUMNS
from opex_app.domain.fiscal import FiscalYear, parse_fiscal_year
from opex_app.models import BudgetHead, BudgetLine, CostCentre, Currency, Entity, FiscalYearRow, Tower, Vendor
from opex_app.services import downloads, masters
from opex_app.services.budget_query import BudgetFilter, apply_filter, fiscal_year_row
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fiscal_years import current_fiscal_year, to_fiscal_year
from opex_app.settings import get_settings

BATCH_BYTES = 2 << 20  # CSV bytes per Polars batch: about 8,000-10,000 typical lines
TEMPLATE_MASTERS = ("tower", "budget_head", "cost_centre", "vendor", "entity")

SCHEMA: dict[str, pl.DataType] = {
    **dict.fromkeys(TEXT_COLUMNS, pl.String()),
    **dict.fromkeys(DATE_COLUMNS, pl.Date()),
    **dict.fromkeys(MONTH_FIELDS, pl.Decimal(18, 2)),
    REMARKS_COLUMN: pl.String(),
}
assert tuple(SCHEMA) == BUDGET_COLUMNS  # the SELECT below lists the columns in this order

_FILTER_LABELS = {
    "tower": "Tower",
    "budget_head": "Budget Head",
    "cost_centre": "Cost Centre",
    "vendor": "Vendor",
    "search": "UID or description contains",
}


@dataclass(frozen=True)
class ExportResult:
    fiscal_year: str  # FY name, e.g. FY27
    rows: int  # budget lines written
    path: Path | None  # where the workbook was written (None when the target was a file object)


def describe_filter(flt: BudgetFilter, fy_name: str) -> str:
    """One line for the Summary sheet, e.g. 'FY27; Tower = Security; UID or description contains "cloud"'."""
    parts = [fy_name]
    for name, label in _FILTER_LABELS.items():
        value = getattr(flt, name)
        if value:
            parts.append(f'{label} "{value}"' if name == "search" else f"{label} = {value}")
    if len(parts) == 1:
        parts.append("all lines")
    return "; ".join(parts)


def lines_query(flt: BudgetFilter, fiscal_year_id: int) -> Select:
    """The export's SELECT: one row per line matching the filter, master names joined, ordered by UID."""
    tower, head, centre = aliased(Tower), aliased(BudgetHead), aliased(CostCentre)
    vendor, entity = aliased(Vendor), aliased(Entity)
    stmt: Select = (
        sa_select(  # SQLAlchemy's select: sqlmodel's is typed for up to four columns
            col(BudgetLine.uid),
            col(BudgetLine.parent_uid),
            col(BudgetLine.description),
            col(tower.name).label("tower"),
            col(head.name).label("budget_head"),
            col(centre.name).label("cost_centre"),
            col(vendor.name).label("vendor"),
            col(entity.name).label("entity"),
            col(BudgetLine.currency_code).label("currency"),
            col(BudgetLine.service_start),
            col(BudgetLine.service_end),
            *(getattr(BudgetLine, m) for m in MONTH_FIELDS),
            col(BudgetLine.remarks),
        )
        .outerjoin(tower, col(tower.id) == BudgetLine.tower_id)
        .outerjoin(head, col(head.id) == BudgetLine.budget_head_id)
        .outerjoin(centre, col(centre.id) == BudgetLine.cost_centre_id)
        .outerjoin(vendor, col(vendor.id) == BudgetLine.vendor_id)
        .outerjoin(entity, col(entity.id) == BudgetLine.entity_id)
    )
    return apply_filter(stmt, flt, fiscal_year_id).order_by(col(BudgetLine.uid))


def _parse_csv(data: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), has_header=False, schema=SCHEMA, quote_char='"')


def _record_end(buf: bytearray) -> int:
    """Length of the longest prefix of ``buf`` made of whole CSV records (0 if none is complete).

    A newline ends a record when it is outside quotes, i.e. preceded by an even number of '"'
    (an escaped quote "" adds two). Texts with line breaks are rare, so this usually stops at
    the last newline.
    """
    pos = buf.rfind(b"\n")
    while pos >= 0:
        if buf.count(b'"', 0, pos) % 2 == 0:
            return pos + 1
        pos = buf.rfind(b"\n", 0, pos)
    return 0


def stream_lines(session: Session, stmt: Select, batch_bytes: int = BATCH_BYTES) -> Iterator[pl.DataFrame]:
    """Run ``stmt`` in the session's transaction as a CSV COPY and yield it as typed Polars batches."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect)
    raw = psycopg_connection(session)
    buf = bytearray()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy:
        for block in copy:
            buf += block
            if len(buf) >= batch_bytes and (cut := _record_end(buf)):
                yield _parse_csv(bytes(buf[:cut]))
                del buf[:cut]
    if buf:
        yield _parse_csv(bytes(buf))


def export_budget(
    session: Session, principal: Principal, target: str | Path | BinaryIO, flt: BudgetFilter
) -> ExportResult:
    """Write the budget lines matching ``flt`` to an xlsx workbook at ``target`` (path or binary file).

    Without ``flt.fy`` the latest FY that has lines is exported. Sheets: ``Budget`` (one row per line,
    ordered by UID; re-importable) and ``Summary`` (filter, who, when, totals).
    """
    require(principal, Permission.VIEW_DASHBOARDS)
    fy_row = fiscal_year_row(session, flt)
    if fy_row is None:
        if flt.fy:
            raise NotFound(f"there is no fiscal year {flt.fy.upper()}")
        raise ServiceError("no budget lines to export")
    assert fy_row.id is not None
    fy = to_fiscal_year(fy_row)
    summary = {
        "Filter": describe_filter(flt, fy.name),
        "Exported by": principal.actor,
        "Exported at": datetime.now(UTC).strftime("%d-%b-%Y %H:%M UTC"),
    }
    batches = stream_lines(session, lines_query(flt, fy_row.id))
    rows = write_budget_workbook(target, fy, batches, summary=summary)
    path = Path(target) if isinstance(target, str | Path) else None
    return ExportResult(fiscal_year=fy.name, rows=rows, path=path)


def template(session: Session, principal: Principal, target: str | Path | BinaryIO, fy: FiscalYear) -> None:
    """The blank import template for ``fy``, its drop-downs listing the active masters and currencies."""
    require(principal, Permission.VIEW_DASHBOARDS)
    known = {kind: masters.names(session, kind) for kind in TEMPLATE_MASTERS}
    known["currency"] = list(session.exec(select(Currency.code).where(Currency.is_active).order_by(Currency.code)))
    write_template(target, fy, known)


def fiscal_year_named(session: Session, name: str) -> FiscalYear:
    """The FY a user named ('' = the current one): as stored when known, else from the fiscal calendar."""
    if not name.strip():
        return current_fiscal_year()
    try:
        fy = parse_fiscal_year(name, get_settings().fy_start_month)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    row = session.exec(select(FiscalYearRow).where(FiscalYearRow.end_year == fy.end_year)).first()
    return to_fiscal_year(row) if row is not None else fy


def export_download(session: Session, principal: Principal, flt: BudgetFilter) -> tuple[ExportResult, downloads.Ticket]:
    """``export_budget`` into a one-time download ticket named e.g. budget-FY27.xlsx."""
    require(principal, Permission.VIEW_DASHBOARDS)
    fy_row = fiscal_year_row(session, flt)
    with downloads.issue(f"budget-{fy_row.name if fy_row else 'export'}.xlsx", user_id=principal.user_id) as ticket:
        result = export_budget(session, principal, ticket.path, flt)
    return result, ticket


def template_download(session: Session, principal: Principal, fy_name: str) -> downloads.Ticket:
    """The import template of the FY named ``fy_name`` in a one-time download ticket."""
    require(principal, Permission.VIEW_DASHBOARDS)
    fy = fiscal_year_named(session, fy_name)
    with downloads.issue(f"budget-template-{fy.name}.xlsx", user_id=principal.user_id) as ticket:
        template(session, principal, ticket.path, fy)
    return ticket
