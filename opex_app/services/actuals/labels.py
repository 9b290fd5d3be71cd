"""How actuals are named: to people (forms, history, conflict messages), as the export's headers, and in
the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENTITY = "actual"  # the audit trail's name for an actual

# How the fields are named to people (forms, history, conflict messages): as the export's headers.
LABELS: dict[str, str] = {
    "invoice_number": "Invoice No",
    "invoice_date": "Invoice Date",
    "vendor": "Vendor",
    "uid": "UID",
    "po_number": "PO Number",
    "currency": "Currency",
    "amount": "Amount",
    "fx_rate": "Rate",
    "amount_base": "Base Amount",
    "fiscal_year": "FY",
    "fiscal_month": "Month",
    "remarks": "Remarks",
    "budget_line": "Budget line",
    "po_line": "PO line",
    "note": "Note",
}


def describe_changes(changes: Mapping[str, Any] | None) -> list[str]:
    """An audit event's changes as 'Label: before → after' (a note as 'Note: text')."""
    order = {name: i for i, name in enumerate(LABELS)}
    out: list[str] = []
    for name in sorted(changes or {}, key=lambda n: (order.get(n, len(order)), n)):
        pair = (changes or {})[name]
        before, after = (pair[0], pair[-1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = LABELS.get(name, name.replace("_", " "))
        if name == "note":
            out.append(f"{label}: {after}")
        else:
            out.append(f"{label}: {'' if before is None else before} → {'' if after is None else after}")
    return out
