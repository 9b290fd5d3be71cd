"""The budget import: one line per UID of a FY, twelve monthly amounts (wide) or a row per month (long)."""

from __future__ import annotations

from opex_app.domain.budget_fields import LABELS
from opex_app.domain.ingest.specs.base import FieldSpec, ImportSpec

BUDGET = ImportSpec(
    kind="budget",
    noun="budget line",
    key=("uid",),
    month_columns=True,
    long_fields=("month", "amount"),
    date_order=(("service_start", "service_end"),),
    fields=(
        FieldSpec(
            "uid",
            LABELS["uid"],
            "text",
            ("Line ID", "Unique ID", "Budget UID", "Budget Code", "Budget Line ID", "Line Item ID"),
            required=True,
        ),
        FieldSpec("parent_uid", LABELS["parent_uid"], "text", ("Parent", "Parent ID")),
        FieldSpec("description", LABELS["description"], "text", ("Service Description", "Service")),
        FieldSpec("tower", LABELS["tower"], "master"),
        FieldSpec("budget_head", LABELS["budget_head"], "master", ("Head",)),
        FieldSpec("cost_centre", LABELS["cost_centre"], "master", ("Cost Center", "CC")),
        FieldSpec("vendor", LABELS["vendor"], "master", ("Vendor Name",)),
        FieldSpec("entity", LABELS["entity"], "master", ("PO Entity",)),
        FieldSpec("currency", LABELS["currency"], "currency", ("Curr",)),
        FieldSpec("service_start", LABELS["service_start"], "date", ("Start Date",)),
        FieldSpec("service_end", LABELS["service_end"], "date", ("End Date",)),
        FieldSpec("remarks", LABELS["remarks"], "text", ("Remark", "Comments", "Notes")),
        FieldSpec(
            "total",
            LABELS["total"],
            "amount",
            ("Total", "Total Budget", "Annual Budget", "Annual Total", "Grand Total"),
            # 'FY27 Budget', 'FY 2027 Total', 'FY 2026-27', 'Total 2019' (on the header key)
            patterns=(r"^fy(\d{2}|\d{4})(\d{2})?(budget|total)?$", r"^total(\d{2}|\d{4})$"),
        ),
        FieldSpec(
            "month",
            "Month",
            "month",
            ("Period", "Fiscal Period", "Posting Period", "Date", "Posting Date", "Month Year"),
        ),
        FieldSpec("amount", "Amount", "amount", ("Value", "Budget Amount", "Budget Value", "Planned Amount")),
    ),
)
