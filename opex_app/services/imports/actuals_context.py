"""What the database says about a frame of prepared actuals (`actuals_prepare`), read once for all rows:
the stored invoices of their keys, the FX rates of their (currency, date) pairs, the budget lines of their
(FY, UID) and the POs of their PO numbers, with their lines.

Only the rows' keys are looked up: they are COPYed into temporary tables and joined with the stored
tables on their indexes, so a million stored actuals are never read into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlmodel import Session

from opex_app.services.copying import copy_in, copy_out
from opex_app.services.fx import rates_on
from opex_app.services.imports.actuals_prepare import MONEY, RATE, UNKNOWN_VENDOR
from opex_app.settings import get_settings

STORED: dict[str, Any] = {
    "vendor_id0": pl.Int64,
    "invoice_number": pl.String,
    "stored_id": pl.Int64,
    "stored_amount": MONEY,
    "stored_currency": pl.String,
    "stored_date": pl.Date,
}
POS: dict[str, Any] = {
    "po_number": pl.String,
    "po_id": pl.Int64,
    "po_status": pl.String,
}
PO_LINES: dict[str, Any] = {
    "po_line_id": pl.Int64,
    "po_id": pl.Int64,
    "line_budget_id": pl.Int64,
    "line_uid": pl.String,
    "line_fy": pl.Int32,
    "po_vendor": pl.Int64,
    "po_status": pl.String,
    "po_number": pl.String,
    "po_currency": pl.String,
    "po_rate": RATE,  # null: a foreign PO without any rate
    "allocated": MONEY,
    "invoiced": MONEY,  # in the PO's currency, before this file
}
BUDGET_LINES: dict[str, Any] = {"fy_end": pl.Int32, "uid": pl.String, "uid_line_id": pl.Int64}


@dataclass
class Context:
    """What the database says about the rows' keys and references (read once, for all rows)."""

    stored: pl.DataFrame
    rates: pl.DataFrame  # currency, invoice_date, rate (null: none)
    budget_lines: pl.DataFrame
    pos: pl.DataFrame
    po_lines: pl.DataFrame  # the lines of the POs named, and the open lines of the UIDs' budget lines


def _temp_table(session: Session, name: str, columns: str, frame: pl.DataFrame) -> None:
    conn = session.connection()
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"))
    if frame.height:
        copy_in(session, name, frame)
    conn.execute(text(f"ANALYZE {name}"))


_STORED_SQL = """
    SELECT k.vendor_id0, a.invoice_number, a.id AS stored_id, a.amount AS stored_amount,
           a.currency_code AS stored_currency, a.invoice_date AS stored_date
    FROM actual_file_keys k
    JOIN actual a ON COALESCE(a.vendor_id, 0) = k.vendor_id0 AND a.invoice_number = k.invoice_number
"""

# The rate of a PO (as the figures model takes it) and what is invoiced so far on a PO line, in the PO's
# currency (an invoice in another currency through its base amount), as services/figures computes it.
_PO_RATE = """CASE WHEN p.currency_code = %(base)s THEN 1::numeric
                   ELSE COALESCE(p.fx_rate, fx_rate_on(p.currency_code, p.po_date, %(base)s)) END"""
_INVOICED = f"""
    COALESCE((SELECT ROUND(SUM(CASE WHEN a.currency_code = p.currency_code THEN a.amount
                                    ELSE a.amount_base / NULLIF({_PO_RATE}, 0) END), 2)
              FROM actual a WHERE a.po_line_id = l.id), 0)
"""
_PO_LINE_COLUMNS = f"""
    l.id AS po_line_id, p.id AS po_id, l.budget_line_id AS line_budget_id, b.uid AS line_uid,
    f.end_year AS line_fy, p.vendor_id AS po_vendor, p.status AS po_status, p.po_number,
    p.currency_code AS po_currency, {_PO_RATE} AS po_rate, l.amount AS allocated, {_INVOICED} AS invoiced
    FROM po_line l
    JOIN purchase_order p ON p.id = l.purchase_order_id
    JOIN budget_line b ON b.id = l.budget_line_id
    JOIN fiscal_year f ON f.id = b.fiscal_year_id
"""
_PO_LINES_SQL = f"""
    SELECT {_PO_LINE_COLUMNS}
    WHERE p.po_number IN (SELECT po_number FROM actual_file_pos)
    UNION
    SELECT {_PO_LINE_COLUMNS}
    WHERE p.status = 'approved' AND l.budget_line_id IN (SELECT uid_line_id FROM actual_file_lines)
"""


def load_context(session: Session, prepared: pl.DataFrame, *, exclude_id: int | None = None) -> Context:
    """Read, for the prepared rows only, the stored invoices of their keys, the rates of their (currency,
    date) pairs, the budget lines of their (FY, UID) and the POs of their PO numbers, with their lines.
    `exclude_id`: the actual being edited (it is not a duplicate of itself)."""
    dated = prepared.filter(pl.col("invoice_date").is_not_null())
    keys = dated.filter(pl.col("vendor_id0") != UNKNOWN_VENDOR).select("vendor_id0", "invoice_number").unique()
    _temp_table(session, "actual_file_keys", "vendor_id0 integer, invoice_number text", keys)
    stored = copy_out(session, _STORED_SQL, STORED)
    if exclude_id is not None:
        stored = stored.filter(pl.col("stored_id") != exclude_id)

    pairs = dated.select("currency", "invoice_date").unique()
    found = rates_on(session, pairs.iter_rows())
    rates = pl.DataFrame(
        [(code, day, rate) for (code, day), rate in found.items()],
        schema={"currency": pl.String, "invoice_date": pl.Date, "rate": RATE},
        orient="row",
    )

    uids = dated.filter(pl.col("uid").is_not_null()).select("fy_end", "uid").unique()
    _temp_table(session, "actual_file_uids", "fy_end integer, uid text", uids)
    budget_lines = copy_out(
        session,
        """SELECT k.fy_end, b.uid, b.id AS uid_line_id FROM actual_file_uids k
           JOIN fiscal_year f ON f.end_year = k.fy_end
           JOIN budget_line b ON b.fiscal_year_id = f.id AND b.uid = k.uid""",
        BUDGET_LINES,
    )
    _temp_table(session, "actual_file_lines", "uid_line_id bigint", budget_lines.select("uid_line_id").unique())
    numbers = dated.select(pl.col("po_number").drop_nulls().unique())
    _temp_table(session, "actual_file_pos", "po_number text", numbers)
    pos = copy_out(
        session,
        "SELECT p.po_number, p.id AS po_id, p.status AS po_status FROM purchase_order p "
        "JOIN actual_file_pos k ON k.po_number = p.po_number",
        POS,
    )
    po_lines = copy_out(session, _PO_LINES_SQL, PO_LINES, {"base": get_settings().base_currency})
    return Context(stored, rates, budget_lines, pos, po_lines)
