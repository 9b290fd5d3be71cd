"""The purchase-order import: one row per PO line. A PO's header fields (date, vendor, entity, currency,
value, PR, status) are repeated on each of its rows, or given on one of them; its lines allocate its value
to budget lines by UID.

A row is keyed by (PO number, UID): one allocation per budget line, so the same UID twice under one PO
number is an error (the reader's duplicate check). The rules across a PO's rows (agreement, allocations
adding up to the value, the UID's FY, the FX rate) are the write strategy's, `services/imports/po_write`.

The labels are the export's headers, in the export's column order (`domain/export/po_workbook`).
"""

from __future__ import annotations

from opex_app.domain.ingest.specs.base import FieldSpec, ImportSpec

POS = ImportSpec(
    kind="pos",
    noun="PO line",
    key=("po_number", "uid"),
    fields=(
        FieldSpec(
            "po_number",
            "PO Number",
            "text",
            (
                "PO No",
                "PO No.",
                "PO #",
                "PO",
                "PO Num",
                "Purchase Order",
                "Purchase Order No",
                "Purchase Order Number",
                "Order Number",
            ),
            required=True,
        ),
        FieldSpec("po_date", "PO Date", "date", ("PO Dt", "Order Date", "Purchase Order Date", "Date"), required=True),
        FieldSpec("vendor", "Vendor", "master", ("Vendor Name", "Supplier", "Supplier Name")),
        FieldSpec("entity", "Entity", "master", ("PO Entity", "Legal Entity", "Buying Entity", "Company")),
        FieldSpec("currency", "Currency", "currency", ("Curr", "Currency Code", "CCY", "PO Currency")),
        FieldSpec("po_value", "PO Value", "amount", ("PO Amount", "PO Total", "Order Value", "Total PO Value")),
        FieldSpec(
            "pr_number",
            "PR Number",
            "text",
            ("PR No", "PR No.", "PR #", "PR", "Purchase Requisition", "Requisition No", "Requisition Number"),
        ),
        FieldSpec("pr_date", "PR Date", "date", ("PR Dt", "Requisition Date")),
        FieldSpec("pr_amount", "PR Amount", "amount", ("PR Value", "Requisition Amount", "Requisition Value")),
        FieldSpec(
            "uid",
            "UID",
            "text",
            ("Budget UID", "Line ID", "Budget Line", "Budget Line ID", "Budget Code"),
            required=True,
        ),
        FieldSpec(
            "allocated_amount",
            "Allocated Amount",
            "amount",
            ("Allocation", "Allocated", "Allocated Value", "Line Amount", "Amount"),
            required=True,
        ),
        FieldSpec("status", "Status", "text", ("PO Status", "State")),
    ),
)

# The fields of a PO itself (one value per PO, repeated on its rows); the others are the line's.
HEADER_FIELDS: tuple[str, ...] = (
    "po_date",
    "vendor",
    "entity",
    "currency",
    "po_value",
    "pr_number",
    "pr_date",
    "pr_amount",
    "status",
)
