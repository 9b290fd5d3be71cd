"""The linking rules of actuals: which budget line, PO line and PO a new invoice is booked to.

The references are always stored as typed (`uid_ref` and `po_ref`); the links are found from them:
- with a PO number: the PO's line for the UID given (in the invoice's FY when the PO has several), or the
  PO's only line when no UID is given;
- with only a UID: the budget line of that UID in the invoice's FY, and the line's one open PO line of the
  same vendor (approved, not fully invoiced) when there is exactly one, so the money is not counted as both
  committed and actual;
- a reference that matches nothing is a warning: the actual is stored unlinked (no budget line, PO or PO
  line) and waits in the Unlinked actuals queue (`services/actuals.unlinked_actuals`).
Booking against a PO that is not approved (closed, cancelled, ...) changes nothing on the PO and is said in
a warning; an invoice taking a PO line above its allocation is allowed, with a warning.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from opex_app.services.imports.actuals_context import Context
from opex_app.services.imports.actuals_messages import ISSUES, fy_name, issues, shown_amount
from opex_app.services.imports.actuals_prepare import MONEY

# Columns of a classified row that the write needs.
LINKS: dict[str, Any] = {
    "budget_line_id": pl.Int64,
    "po_line_id": pl.Int64,
    "purchase_order_id": pl.Int64,
}


def links(new: pl.DataFrame, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(row -> budget_line_id, po_line_id, purchase_order_id) of the new rows, and the warnings of the
    references that match nothing and of the POs that are not approved."""
    rows = new.select("row", "fy_end", "uid", "po_number", "vendor_id0", "invoice_number")
    lines = ctx.po_lines.unique("po_line_id")
    by_po, po_warnings = _by_po_number(rows, ctx.pos, lines)
    by_uid, uid_warnings = _by_uid(rows, ctx.budget_lines, lines)
    linked = pl.concat([by_po, by_uid], how="vertical").rename({"po_id": "purchase_order_id"})
    warnings = [*po_warnings, *uid_warnings, _not_approved(linked, lines)]
    return linked.select("row", *LINKS), pl.concat(warnings, how="vertical")


def _by_po_number(
    rows: pl.DataFrame, pos: pl.DataFrame, lines: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """With a PO number: the PO's line for the UID, or its only line; warnings when there is none."""
    by_po = rows.filter(pl.col("po_number").is_not_null()).join(pos, on="po_number", how="left")
    no_po = issues(
        by_po.filter(pl.col("po_id").is_null()),
        "po_number",
        pl.col("po_number"),
        pl.concat_str(
            pl.lit("PO Number '"),
            pl.col("po_number"),
            pl.lit("' matches no purchase order: the invoice is stored unlinked, in the Unlinked actuals queue"),
        ),
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
    no_line = issues(
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
    return candidates, [no_po, no_line]


def _by_uid(
    rows: pl.DataFrame, budget_lines: pl.DataFrame, lines: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """With only a UID: the budget line of the invoice's FY, and its one open PO line of the same vendor;
    a warning when the UID matches no budget line."""
    by_uid = rows.filter(pl.col("po_number").is_null() & pl.col("uid").is_not_null()).join(
        budget_lines, on=["fy_end", "uid"], how="left"
    )
    no_line = issues(
        by_uid.filter(pl.col("uid_line_id").is_null()),
        "uid",
        pl.col("uid"),
        pl.concat_str(
            pl.lit("UID '"),
            pl.col("uid"),
            pl.lit("' matches no budget line of "),
            fy_name(pl.col("fy_end")),
            pl.lit(" (the FY of the invoice date): the invoice is stored unlinked, in the Unlinked actuals queue"),
        ),
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
    return by_line, [no_line]


def _not_approved(linked: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Booked against a PO that is not approved: said, nothing changes on the PO."""
    status = linked.filter(pl.col("po_line_id").is_not_null()).join(
        lines.select("po_line_id", "po_number", "po_status"), on="po_line_id"
    )
    return issues(
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
    return issues(
        over,
        "amount",
        pl.col("amount"),
        pl.concat_str(
            pl.lit("this invoice takes the line of PO '"),
            pl.col("po_number"),
            pl.lit("' for UID '"),
            pl.col("line_uid"),
            pl.lit("' to "),
            shown_amount(pl.col("po_currency"), pl.col("to_date")),
            pl.lit(" invoiced of "),
            shown_amount(pl.col("po_currency"), pl.col("allocated")),
            pl.lit(" allocated: booked in full as actual; nothing stays committed on that line"),
        ),
    )
