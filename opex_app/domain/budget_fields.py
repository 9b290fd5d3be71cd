"""The fields of a budget line, as code names them and as people read them (headers, errors).

The one list the reader, the exporter, the template and the services share.
"""

from __future__ import annotations

TEXT_FIELDS = (
    "uid",
    "parent_uid",
    "description",
    "tower",
    "budget_head",
    "cost_centre",
    "vendor",
    "entity",
    "currency",
)
DATE_FIELDS = ("service_start", "service_end")
MONTH_FIELDS = tuple(f"m{m:02d}" for m in range(1, 13))  # fiscal month 1 -> 'm01'
MASTER_FIELDS = ("tower", "budget_head", "cost_centre", "vendor", "entity")

LABELS: dict[str, str] = {
    "uid": "UID",
    "parent_uid": "Parent UID",
    "description": "Description",
    "tower": "Tower",
    "budget_head": "Budget Head",
    "cost_centre": "Cost Centre",
    "vendor": "Vendor",
    "entity": "Entity",
    "currency": "Currency",
    "service_start": "Service Start",
    "service_end": "Service End",
    "remarks": "Remarks",
    "total": "FY Total",
}
