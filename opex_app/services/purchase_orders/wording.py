"""How a PO is put in words for people: field labels, service months and audit changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

# How the fields are named to people (forms, history, conflict messages).
LABELS: dict[str, str] = {
    "po_number": "PO number",
    "po_date": "PO date",
    "vendor": "Vendor",
    "entity": "Entity",
    "currency": "Currency",
    "value": "PO value",
    "fx_rate": "FX rate",
    "value_base": "Value (base)",
    "pr_number": "PR number",
    "pr_date": "PR date",
    "pr_amount": "PR amount",
    "description": "Description",
    "lines": "Allocations",
    "status": "Status",
    "comment": "Comment",
    "overrun": "Over budget",
}


def service_months(start: date | None, end: date | None) -> str:
    """'Apr-26 – Jun-26', one month alone, or '' when none are given."""
    if start is None and end is None:
        return ""
    first, last = (d.strftime("%b-%y") if d else "…" for d in (start, end))
    return first if first == last else f"{first} – {last}"


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def describe_changes(changes: Mapping[str, Any] | None) -> list[str]:
    """An audit event's changes as 'Label: before → after' (a comment as 'Comment: text')."""
    order = {name: i for i, name in enumerate(LABELS)}
    out: list[str] = []
    for name in sorted(changes or {}, key=lambda n: (order.get(n, len(order)), n)):
        pair = (changes or {})[name]
        before, after = (pair[0], pair[-1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = LABELS.get(name, name.replace("_", " "))
        if name in {"comment", "overrun"}:
            out.append(f"{label}: {_shown(after)}")
        else:
            out.append(f"{label}: {_shown(before)} → {_shown(after)}")
    return out
