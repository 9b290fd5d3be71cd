"""The actuals write strategy: invoices booked against budget lines and PO lines, or stored unlinked.

Each invoice takes its FY and fiscal month from its date (a file may span several FYs) and is converted
at the FX rate on that date (a missing rate is an error on the row, never 1.0).

Duplicates: an invoice is identified by (vendor, invoice number), vendor 0 when there is none, as the
unique index has it. The same key with the same amount, currency and date as stored, or as an earlier row
of the file, is already imported: skipped and counted (`duplicates_skipped`); with another amount, currency
or date it is an error on the row. Only the file's keys are looked up: they are COPYed into a temporary
table and joined with `actual` on that index, so a million stored actuals are never read into Python.

Linking (the references are always stored as typed, `uid_ref` and `po_ref`):
- with a PO number: the PO's line for the UID given (in the invoice's FY when the PO has several), or the
  PO's only line when no UID is given;
- with only a UID: the budget line of that UID in the invoice's FY, and the line's one open PO line of the
  same vendor (approved, not fully invoiced) when there is exactly one, so the money is not counted as both
  committed and actual;
- a reference that matches nothing is a warning: the actual is stored unlinked (no budget line, PO or PO
  line) and waits in the Unlinked actuals queue (`services/actuals.unlinked_actuals`).
Booking against a PO that is not approved (closed, cancelled, ...) changes nothing on the PO and is said in
a warning; an invoice taking a PO line above its allocation is allowed, with a warning.

The same rules serve one actual typed in a form (`services/actuals`): `prepare`, `load_context` and
`classify` work on a frame of one row as on a frame of 100,000.

New actuals are written with one COPY and recorded by one audit event per batch (the actuals carry the
batch id); nothing stored is ever changed by an import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import Principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.ingest.specs.actuals import DERIVED
from opex_app.domain.money import format_indian
from opex_app.domain.names import name_key
from opex_app.models._types import utcnow
from opex_app.services import audit, masters
from opex_app.services.copying import copy_in, copy_out
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import missing_rate_message, rates_on
from opex_app.services.imports.result import CellChange, ImportResult
from opex_app.services.imports.strategy import Plan
from opex_app.settings import get_settings

MONEY = pl.Decimal(18, 2)
RATE = pl.Decimal(18, 6)
NEW, SKIP = "new", "skip"
UNKNOWN_VENDOR = -1  # a vendor name not stored yet: no stored invoice can have it
LOCK_KEY = "opex:actuals"  # imports of actuals run one at a time: the duplicate check holds at commit

# The file's fields, in the prepared frame's shape (absent fields are null).
TEXT_FIELDS = ("vendor", "currency", "uid", "po_number", "remarks")

# Prepared rows: what one invoice says, normalised.
PREPARED: dict[str, Any] = {
    "row": pl.Int64,
    "invoice_number": pl.String,
    "invoice_date": pl.Date,
    "vendor": pl.String,
    "vendor_key": pl.String,  # name_key of the vendor, '' for none
    "vendor_id0": pl.Int64,  # 0: no vendor; UNKNOWN_VENDOR: a name not stored yet
    "amount": MONEY,
    "currency": pl.String,
    "uid": pl.String,
    "po_number": pl.String,
    "remarks": pl.String,
    "fy_end": pl.Int32,
    "fiscal_month": pl.Int32,
}

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

# Columns of a classified row that the write needs.
LINKS: dict[str, Any] = {
    "budget_line_id": pl.Int64,
    "po_line_id": pl.Int64,
    "purchase_order_id": pl.Int64,
}


# ---------------------------------------------------------------------------------------------- preparing


def prepare(rows: pl.DataFrame, vendors: Mapping[str, int], *, base: str, start_month: int) -> pl.DataFrame:
    """The rows of a file (or a form) in the PREPARED shape: the currency defaults to `base`; the FY (by its
    end year) and fiscal month come from the invoice date; `vendor_id0` is the stored vendor's id (0 for
    none, UNKNOWN_VENDOR for a name not stored yet)."""
    frame = rows.select(
        pl.col("row").cast(pl.Int64),
        pl.col("invoice_number").cast(pl.String),
        pl.col("invoice_date").cast(pl.Date),
        pl.col("amount").cast(MONEY),
        *[
            pl.col(name).cast(pl.String) if name in rows.columns else pl.lit(None, pl.String).alias(name)
            for name in TEXT_FIELDS
        ],
    )
    distinct = frame.get_column("vendor").drop_nulls().unique().to_list()
    keys = {name: name_key(name) for name in distinct}
    ids = {name: vendors.get(key, UNKNOWN_VENDOR) for name, key in keys.items()}
    day = pl.col("invoice_date")
    after_start = (day.dt.month() >= start_month) if start_month != 1 else pl.lit(False)
    return frame.with_columns(
        vendor_key=pl.col("vendor").replace_strict(keys, default=None, return_dtype=pl.String).fill_null(""),
        vendor_id0=pl.col("vendor").replace_strict(ids, default=None, return_dtype=pl.Int64).fill_null(0),
        currency=pl.col("currency").str.to_uppercase().fill_null(base),
        fy_end=(day.dt.year() + after_start.cast(pl.Int32)).cast(pl.Int32),
        fiscal_month=((day.dt.month().cast(pl.Int32) - start_month) % 12 + 1).cast(pl.Int32),
    ).select(list(PREPARED))


# ---------------------------------------------------------------------------------------------- the database


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


# ---------------------------------------------------------------------------------------------- the rules


@dataclass
class Classified:
    """Every prepared row with its status (NEW, SKIP, or null when it has an error), its conversion and its
    links; the errors and warnings as frames of (row, field, value, message)."""

    rows: pl.DataFrame
    errors: pl.DataFrame
    warnings: pl.DataFrame


ISSUES: dict[str, Any] = {"row": pl.Int64, "field": pl.String, "value": pl.String, "message": pl.String}


def _issues(frame: pl.DataFrame, field_name: str, value: pl.Expr, message: pl.Expr) -> pl.DataFrame:
    return frame.select(
        pl.col("row"),
        pl.lit(field_name).alias("field"),
        value.cast(pl.String).fill_null("").alias("value"),
        message.alias("message"),
    )


def _fy_name(end_year: pl.Expr) -> pl.Expr:
    return pl.lit("FY") + (end_year % 100).cast(pl.String).str.zfill(2)


def _shown_date(day: pl.Expr) -> pl.Expr:
    return day.dt.strftime("%d-%b-%Y")


def _shown_amount(currency: pl.Expr, amount: pl.Expr) -> pl.Expr:
    return pl.concat_str(currency, pl.lit(" "), amount.map_elements(format_indian, return_dtype=pl.String))


def _invoice() -> pl.Expr:
    vendor = pl.when(pl.col("vendor").is_not_null()).then(pl.lit(" of ") + pl.col("vendor")).otherwise(pl.lit(""))
    return pl.concat_str(pl.lit("invoice '"), pl.col("invoice_number"), pl.lit("'"), vendor)


def classify(prepared: pl.DataFrame, ctx: Context, *, chosen: FiscalYear | None = None) -> Classified:
    """Apply the rules to every prepared row: errors (no date, outside the chosen FY, a duplicate key with
    another amount or date, no FX rate), duplicates to skip, conversion, links and their warnings."""
    errors: list[pl.DataFrame] = []
    f = prepared.join(ctx.stored, on=["vendor_id0", "invoice_number"], how="left")

    no_date = pl.col("invoice_date").is_null()
    errors.append(
        _issues(
            f.filter(no_date),
            "invoice_date",
            pl.lit(""),
            pl.lit("Invoice Date is empty: the FY, month and rate of an invoice come from its date"),
        )
    )
    bad = no_date
    if chosen is not None:
        outside = ~no_date & (pl.col("fy_end") != chosen.end_year)
        errors.append(
            _issues(
                f.filter(outside),
                "invoice_date",
                _shown_date(pl.col("invoice_date")),
                pl.concat_str(
                    pl.lit("invoice date "),
                    _shown_date(pl.col("invoice_date")),
                    pl.lit(f" is outside {chosen.name}, the fiscal year of this import (--fy): it is in "),
                    _fy_name(pl.col("fy_end")),
                ),
            )
        )
        bad = bad | outside

    # Against the database.
    in_db = pl.col("stored_id").is_not_null()
    same_db = (
        (pl.col("amount") == pl.col("stored_amount"))
        & (pl.col("currency") == pl.col("stored_currency"))
        & (pl.col("invoice_date") == pl.col("stored_date"))
    ).fill_null(False)
    db_clash = ~bad & in_db & ~same_db
    errors.append(
        _issues(
            f.filter(db_clash),
            "invoice_number",
            pl.col("invoice_number"),
            pl.concat_str(
                _invoice(),
                pl.lit(" is already stored with "),
                _shown_amount(pl.col("stored_currency"), pl.col("stored_amount")),
                pl.lit(" dated "),
                _shown_date(pl.col("stored_date")),
                pl.lit("; this row has "),
                _shown_amount(pl.col("currency"), pl.col("amount")),
                pl.lit(" dated "),
                _shown_date(pl.col("invoice_date")),
                pl.lit(": an invoice is identified by vendor and invoice number (correct the stored one, or the row)"),
            ),
        )
    )
    bad = bad | db_clash

    # Within the file: each row not stored is compared with the first valid row of its key.
    f = f.with_columns(bad.alias("_bad"), (in_db & same_db).alias("_stored_same"))
    firsts = (
        f.filter(~pl.col("_bad") & pl.col("stored_id").is_null())
        .sort("row")
        .group_by("vendor_key", "invoice_number", maintain_order=True)
        .agg(
            pl.col("row").first().alias("first_row"),
            pl.col("amount").first().alias("first_amount"),
            pl.col("currency").first().alias("first_currency"),
            pl.col("invoice_date").first().alias("first_date"),
        )
    )
    f = f.join(firsts, on=["vendor_key", "invoice_number"], how="left")
    repeat = ~pl.col("_bad") & pl.col("stored_id").is_null() & (pl.col("row") != pl.col("first_row")).fill_null(False)
    same_file = (
        (pl.col("amount") == pl.col("first_amount"))
        & (pl.col("currency") == pl.col("first_currency"))
        & (pl.col("invoice_date") == pl.col("first_date"))
    ).fill_null(False)
    file_clash = repeat & ~same_file
    errors.append(
        _issues(
            f.filter(file_clash),
            "invoice_number",
            pl.col("invoice_number"),
            pl.concat_str(
                _invoice(),
                pl.lit(" is also on row "),
                pl.col("first_row").cast(pl.String),
                pl.lit(" with "),
                _shown_amount(pl.col("first_currency"), pl.col("first_amount")),
                pl.lit(" dated "),
                _shown_date(pl.col("first_date")),
                pl.lit("; this row has "),
                _shown_amount(pl.col("currency"), pl.col("amount")),
                pl.lit(" dated "),
                _shown_date(pl.col("invoice_date")),
                pl.lit(": an invoice is identified by vendor and invoice number"),
            ),
        )
    )
    f = f.with_columns((pl.col("_bad") | file_clash).alias("_bad"), (repeat & same_file).alias("_file_same"))

    # Conversion at the rate on the invoice date (rows stored already need none).
    f = f.join(ctx.rates, on=["currency", "invoice_date"], how="left")
    needs_rate = ~pl.col("_bad") & ~pl.col("_stored_same")
    no_rate = needs_rate & pl.col("rate").is_null()
    missing = f.filter(no_rate).select("row", "currency", "invoice_date").unique()
    if missing.height:
        messages = {
            (code, day): missing_rate_message(code, day)
            + f" (record one with: fx set {code} RATE --from {day.isoformat()})"
            for code, day in missing.select("currency", "invoice_date").unique().iter_rows()
        }
        errors.append(
            pl.DataFrame(
                [(row, "currency", code, messages[(code, day)]) for row, code, day in missing.iter_rows()],
                schema=ISSUES,
                orient="row",
            )
        )
    base = (pl.col("amount") * pl.col("rate")).round(2, mode="half_away_from_zero").cast(MONEY, strict=False)
    f = f.with_columns(base.alias("amount_base"))
    too_large = needs_rate & ~no_rate & pl.col("amount_base").is_null()
    errors.append(
        _issues(
            f.filter(too_large),
            "amount",
            pl.col("amount"),
            pl.lit("the amount in base currency is too large: at most 16 digits before the decimal point"),
        )
    )
    f = f.with_columns((pl.col("_bad") | no_rate | too_large).alias("_bad"))
    status = (
        pl.when(pl.col("_bad"))
        .then(pl.lit(None, pl.String))
        .when(pl.col("_stored_same") | pl.col("_file_same"))
        .then(pl.lit(SKIP))
        .otherwise(pl.lit(NEW))
    )
    f = f.with_columns(status.alias("status"))
    linked, warnings = _links(f.filter(pl.col("status") == NEW), ctx)
    rows = f.join(linked, on="row", how="left").select(
        *PREPARED, "status", "rate", "amount_base", *LINKS, "stored_id", "first_row"
    )
    return Classified(
        rows, pl.concat(errors, how="vertical").sort("row") if errors else pl.DataFrame(schema=ISSUES), warnings
    )


def _links(new: pl.DataFrame, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(row -> budget_line_id, po_line_id, purchase_order_id) of the new rows, and the warnings of the
    references that match nothing and of the POs that are not approved."""
    warnings: list[pl.DataFrame] = []
    rows = new.select("row", "fy_end", "uid", "po_number", "vendor_id0", "invoice_number")
    lines = ctx.po_lines.unique("po_line_id")

    # With a PO number: the PO's line for the UID, or its only line.
    by_po = rows.filter(pl.col("po_number").is_not_null()).join(ctx.pos, on="po_number", how="left")
    warnings.append(
        _issues(
            by_po.filter(pl.col("po_id").is_null()),
            "po_number",
            pl.col("po_number"),
            pl.concat_str(
                pl.lit("PO Number '"),
                pl.col("po_number"),
                pl.lit("' matches no purchase order: the invoice is stored unlinked, in the Unlinked actuals queue"),
            ),
        )
    )
    of_po = lines.select("po_id", "po_line_id", "line_budget_id", "line_uid", "line_fy")
    counts = of_po.group_by("po_id").agg(pl.len().alias("po_lines"))
    found_po = by_po.filter(pl.col("po_id").is_not_null()).join(counts, on="po_id", how="left")
    candidates = (
        found_po.join(of_po, on="po_id")
        .filter(
            pl.when(pl.col("uid").is_null())
            .then(pl.col("po_lines") == 1)
            .otherwise(pl.col("uid") == pl.col("line_uid"))
        )
        .sort("row", pl.col("line_fy") != pl.col("fy_end"), "po_line_id")
        .unique("row", keep="first", maintain_order=True)
        .select("row", "po_line_id", pl.col("line_budget_id").alias("budget_line_id"), "po_id")
    )
    unmatched = found_po.join(candidates, on="row", how="anti")
    warnings.append(
        _issues(
            unmatched,
            "po_number",
            pl.col("po_number"),
            pl.when(pl.col("uid").is_null())
            .then(
                pl.concat_str(
                    pl.lit("PO '"),
                    pl.col("po_number"),
                    pl.lit("' has "),
                    pl.col("po_lines").fill_null(0).cast(pl.String),
                    pl.lit(" lines and the row names no UID: the invoice is stored unlinked, in the Unlinked "),
                    pl.lit("actuals queue (give the UID of the line it pays for)"),
                )
            )
            .otherwise(
                pl.concat_str(
                    pl.lit("PO '"),
                    pl.col("po_number"),
                    pl.lit("' has no line for UID '"),
                    pl.col("uid"),
                    pl.lit("': the invoice is stored unlinked, in the Unlinked actuals queue"),
                )
            ),
        )
    )

    # With only a UID: the budget line of the invoice's FY, and its one open PO line of the same vendor.
    by_uid = rows.filter(pl.col("po_number").is_null() & pl.col("uid").is_not_null()).join(
        ctx.budget_lines, on=["fy_end", "uid"], how="left"
    )
    warnings.append(
        _issues(
            by_uid.filter(pl.col("uid_line_id").is_null()),
            "uid",
            pl.col("uid"),
            pl.concat_str(
                pl.lit("UID '"),
                pl.col("uid"),
                pl.lit("' matches no budget line of "),
                _fy_name(pl.col("fy_end")),
                pl.lit(" (the FY of the invoice date): the invoice is stored unlinked, in the Unlinked actuals queue"),
            ),
        )
    )
    open_lines = (
        lines.filter((pl.col("po_status") == "approved") & (pl.col("allocated") > pl.col("invoiced")))
        .select(
            pl.col("line_budget_id").alias("uid_line_id"),
            pl.col("po_vendor").alias("vendor_id0"),
            "po_line_id",
            "po_id",
        )
        .filter(pl.len().over("uid_line_id", "vendor_id0") == 1)
    )
    by_line = (
        by_uid.filter(pl.col("uid_line_id").is_not_null())
        .join(open_lines, on=["uid_line_id", "vendor_id0"], how="left")
        .select("row", "po_line_id", pl.col("uid_line_id").alias("budget_line_id"), "po_id")
    )
    linked = pl.concat([candidates, by_line], how="vertical").rename({"po_id": "purchase_order_id"})

    # Booked against a PO that is not approved: said, nothing changes on the PO.
    status = linked.filter(pl.col("po_line_id").is_not_null()).join(
        lines.select("po_line_id", "po_number", "po_status"), on="po_line_id"
    )
    warnings.append(
        _issues(
            status.filter(pl.col("po_status") != "approved"),
            "po_number",
            pl.col("po_number"),
            pl.concat_str(
                pl.lit("PO '"),
                pl.col("po_number"),
                pl.lit("' is "),
                pl.col("po_status"),
                pl.lit(": the invoice is booked against it as actual; the PO stays "),
                pl.col("po_status"),
                pl.lit(" (nothing re-opens)"),
            ),
        )
    )
    return linked.select("row", *LINKS), pl.concat(warnings, how="vertical")


def over_allocation(new: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Warnings for the new rows that take a PO line above its allocation (in the PO's currency, counting the
    invoices stored and the earlier rows): allowed, said."""
    on_lines = new.filter(pl.col("po_line_id").is_not_null())
    if on_lines.height == 0:
        return pl.DataFrame(schema=ISSUES)
    lines = ctx.po_lines.unique("po_line_id").select(
        "po_line_id", "po_number", "line_uid", "po_currency", "po_rate", "allocated", "invoiced"
    )
    in_po_currency = (
        pl.when(pl.col("currency") == pl.col("po_currency"))
        .then(pl.col("amount"))
        .otherwise((pl.col("amount_base").cast(pl.Float64) / pl.col("po_rate").cast(pl.Float64)).round(2).cast(MONEY))
    )
    over = (
        on_lines.join(lines, on="po_line_id")
        .sort("row")
        .with_columns(in_po_currency.alias("in_po"))
        .with_columns((pl.col("invoiced") + pl.col("in_po").cum_sum().over("po_line_id")).alias("to_date"))
        .filter(pl.col("to_date") > pl.col("allocated"))
    )
    return _issues(
        over,
        "amount",
        pl.col("amount"),
        pl.concat_str(
            pl.lit("this invoice takes the line of PO '"),
            pl.col("po_number"),
            pl.lit("' for UID '"),
            pl.col("line_uid"),
            pl.lit("' to "),
            _shown_amount(pl.col("po_currency"), pl.col("to_date")),
            pl.lit(" invoiced of "),
            _shown_amount(pl.col("po_currency"), pl.col("allocated")),
            pl.lit(" allocated: booked in full as actual; nothing stays committed on that line"),
        ),
    )


# ---------------------------------------------------------------------------------------------- writing


def write_actuals(
    session: Session, principal: Principal, batch_id: int | None, new: pl.DataFrame, start_month: int
) -> dict[int, int]:
    """COPY the new actuals (PREPARED + conversion + links, `vendor_id` resolved) into `actual`; returns
    {FY end year: fiscal_year id} of the FYs they fall in (created when needed)."""
    fy_ids = {
        end: ensure_fiscal_year(session, FiscalYear(end, start_month)).id or 0
        for end in new.get_column("fy_end").unique().to_list()
    }
    session.flush()
    copy_in(
        session,
        "actual",
        new.select(
            pl.col("fy_end").replace_strict(fy_ids, return_dtype=pl.Int64).alias("fiscal_year_id"),
            *LINKS,
            "vendor_id",
            "invoice_number",
            "invoice_date",
            "fiscal_month",
            pl.col("currency").alias("currency_code"),
            "amount",
            "amount_base",
            pl.col("rate").alias("fx_rate"),
            "remarks",
            pl.col("uid").alias("uid_ref"),
            pl.col("po_number").alias("po_ref"),
            pl.lit(batch_id, pl.Int64).alias("import_batch_id"),
            pl.lit(1).alias("version"),
            pl.lit(utcnow().isoformat()).alias("created_at"),
            pl.lit(principal.actor).alias("created_by"),
        ),
    )
    return fy_ids


# ---------------------------------------------------------------------------------------------- the strategy


@dataclass
class _State:
    classified: Classified | None = None
    fy_ends: list[int] = field(default_factory=list)  # FYs (by end year) of the accepted rows
    added: list[CellError] = field(default_factory=list)  # warnings this strategy added to the result


class ActualsStrategy:
    """Actuals: insert the new invoices, skip the ones already imported; stored actuals are never changed."""

    def __init__(self) -> None:
        settings = get_settings()
        self._base, self._start = settings.base_currency, settings.fy_start_month
        self._chosen: FiscalYear | None = None
        self._vendors: dict[str, int] = {}
        self._ctx: Context | None = None
        self._prepared: pl.DataFrame | None = None
        self._derived: list[CellError] = []
        self._state = _State()

    def prefetch(self, session: Session, chosen: FiscalYear | None) -> None:
        # One import of actuals at a time: what this one finds stored stays true until it commits.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": LOCK_KEY})
        self._chosen = chosen
        self._vendors = masters.name_index(session, "vendor")

    def load(self, session: Session, parsed: ParsedImport) -> None:
        valid = parsed.rows.filter(pl.col("valid"))
        self._prepared = prepare(valid, self._vendors, base=self._base, start_month=self._start)
        self._ctx = load_context(session, self._prepared)
        derived = [name for name in DERIVED if name in parsed.present]
        if derived:
            shown = ", ".join(f"'{parsed.column_map.get(name, parsed.spec.label(name))}'" for name in derived)
            self._derived = [
                CellError(
                    parsed.sheet,
                    "",
                    parsed.header_row,
                    "",
                    "",
                    f"column(s) {shown} are derived (the export writes them) and not read: the rate comes from "
                    "the FX rates on the invoice date, the FY and month from the invoice date",
                )
            ]

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        assert self._prepared is not None and self._ctx is not None
        prepared = self._prepared.join(rows.select("row"), on="row", how="semi")
        classified = classify(prepared, self._ctx, chosen=self._chosen)
        self._state.classified = classified
        return [
            parsed.cell_error(row, name, value, message) for row, name, value, message in classified.errors.iter_rows()
        ]

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        assert self._state.classified is not None and self._ctx is not None
        rows = self._state.classified.rows.join(accepted.select("row"), on="row", how="semi")
        vendors = known.get("vendor", {})
        rows = rows.with_columns(
            pl.when(pl.col("vendor_key") == "")
            .then(pl.lit(None, pl.Int64))
            .otherwise(pl.col("vendor_key").replace_strict(vendors, default=None, return_dtype=pl.Int64))
            .alias("vendor_id")
        )
        new = rows.filter(pl.col("status") == NEW)
        skipped = rows.filter(pl.col("status") == SKIP)
        warnings = pl.concat(
            [
                self._state.classified.warnings.join(new.select("row"), on="row", how="semi"),
                over_allocation(new, self._ctx),
            ],
            how="vertical",
        ).sort("row", maintain_order=True)
        self._state.fy_ends = sorted(rows.get_column("fy_end").drop_nulls().unique().to_list())
        cell_warnings = [
            parsed.cell_error(row, name, value, message) for row, name, value, message in warnings.iter_rows()
        ]
        return Plan(new, rows.clear(), skipped, extra={"warnings": [*self._derived, *cell_warnings]})

    def changes(self, session: Session, parsed: ParsedImport, plan: Plan) -> list[CellChange]:
        return []  # an import never changes a stored actual

    def missing(self, parsed: ParsedImport, rows: pl.DataFrame) -> pl.Series:
        return pl.Series("invoice_number", [], dtype=pl.String)  # a ledger file is a slice: nothing is missing

    def fiscal_year_id(self, session: Session, parsed: ParsedImport) -> int | None:
        if len(self._state.fy_ends) != 1:
            return None
        return ensure_fiscal_year(session, FiscalYear(self._state.fy_ends[0], self._start)).id

    def write(self, session: Session, principal: Principal, batch_id: int, plan: Plan) -> None:
        if plan.new.height == 0:
            return
        fy_ids = write_actuals(session, principal, batch_id, plan.new, self._start)
        audit.record(
            session,
            principal,
            action="import",
            entity="actual",
            entity_id=None,
            changes={
                "created": [None, plan.new.height],
                "fiscal_years": [None, [FiscalYear(end, self._start).name for end in sorted(fy_ids)]],
                "unlinked": [None, plan.new.filter(pl.col("budget_line_id").is_null()).height],
            },
            import_batch_id=batch_id,
        )

    def report(self, result: ImportResult, plan: Plan) -> None:
        years = [FiscalYear(end, self._start).name for end in self._state.fy_ends]
        result.fiscal_year = years[0] if len(years) == 1 else None
        result.extra["duplicates_skipped"] = plan.unchanged.height
        result.extra["fiscal_years"] = list(years)
        mine: list[CellError] = plan.extra.get("warnings", [])
        added = {id(w) for w in self._state.added}  # report() runs again after new masters: replace, not repeat
        kept = [w for w in result.warnings if id(w) not in added]
        result.warnings = [*kept, *mine]
        self._state.added = list(mine)
