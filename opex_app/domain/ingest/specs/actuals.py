"""The actuals import: one row per invoice. No months and no fiscal year: the FY and fiscal month of each
invoice come from its date, so one file may span several FYs.

An invoice is identified by (vendor, invoice number), enforced by a unique index; a ledger without a vendor
column is common, so only the invoice number is a row key here (an empty one is an error) and the
strategy (`services/imports/actuals_write`) applies the duplicate rules on the pair: the same invoice with
the same amount and date is already imported (skipped), with another amount or date an error. The
reader's own duplicate check, which would refuse every repeat, is off (`unique_key=False`).

The export writes four derived columns (Rate, Base Amount, FY, Month). They are read as fields of their
own, `DERIVED`, so that a re-imported export does not report them as unknown columns; the strategy never
uses their values (the rate comes from the FX history, FY and month from the invoice date) and says so in
one warning.
"""

from __future__ import annotations

from opex_app.domain.ingest.specs.base import FieldSpec, ImportSpec

DERIVED: tuple[str, ...] = ("rate", "base_amount", "fy", "month")

ACTUALS = ImportSpec(
    kind="actuals",
    noun="actual",
    key=("invoice_number",),
    unique_key=False,
    fields=(
        FieldSpec(
            "invoice_number",
            "Invoice No",
            "text",
            ("Invoice Number", "Invoice #", "Invoice", "Inv No", "Bill No"),
            required=True,
        ),
        FieldSpec("invoice_date", "Invoice Date", "date", ("Date", "Transaction Date", "Bill Date"), required=True),
        FieldSpec("vendor", "Vendor", "master", ("Vendor Name", "Supplier", "Supplier Name")),
        FieldSpec("uid", "UID", "text", ("Budget UID", "Line ID")),
        FieldSpec("po_number", "PO Number", "text", ("PO No", "PO", "PO #", "Purchase Order")),
        FieldSpec("currency", "Currency", "currency", ("Curr", "Currency Code", "CCY")),
        FieldSpec("amount", "Amount", "amount", ("Invoice Amount", "Net Amount"), required=True),
        FieldSpec("remarks", "Remarks", "text", ("Comments", "Notes", "Description", "Remark")),
        # Written by the export, never read (see the module docstring).
        FieldSpec("rate", "Rate", "text", ("FX Rate",)),
        FieldSpec("base_amount", "Base Amount", "text", ("Amount in Base", "Base Value")),
        FieldSpec("fy", "FY", "text", ("Fiscal Year",)),
        FieldSpec("month", "Month", "text", ("Fiscal Month",)),
    ),
)
