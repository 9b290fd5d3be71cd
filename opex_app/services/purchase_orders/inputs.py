"""What the PO services are given: a PO and its allocations as a form or script gives them, the PO list
filter, and the length check of their free text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from opex_app.services.inputs import blank_none, optional_text_amount
from opex_app.services.purchase_orders.wording import LABELS

MAX_TEXT = {"po_number": 100, "pr_number": 100, "description": 4000, "comment": 4000}


class PoLineInput(BaseModel):
    """One allocation of the PO's value: a budget line (by UID, in the FY of the PO date) and an amount in the
    PO's currency, with optional service months (first and last day of the service it pays for)."""

    model_config = ConfigDict(frozen=True)

    uid: str
    amount: Decimal
    service_start: date | None = None
    service_end: date | None = None
    description: str | None = None

    _amount = field_validator("amount", mode="before")(optional_text_amount)
    _dates = field_validator("service_start", "service_end", mode="before")(blank_none)


class PoInput(BaseModel):
    """A PO as the form (or a script) gives it: masters by name, currency by ISO code, amounts in its currency."""

    model_config = ConfigDict(frozen=True)

    po_number: str
    po_date: date
    vendor: str
    entity: str
    currency: str
    value: Decimal
    lines: list[PoLineInput]
    pr_number: str | None = None
    pr_date: date | None = None
    pr_amount: Decimal | None = None
    description: str | None = None

    _amounts = field_validator("value", "pr_amount", mode="before")(optional_text_amount)
    _dates = field_validator("pr_date", mode="before")(blank_none)


@dataclass(frozen=True)
class PoFilter:
    """What the user narrowed the PO list to; empty strings mean 'any'. Names are master names as shown."""

    status: str = ""  # a PoStatus value
    vendor: str = ""
    tower: str = ""  # POs allocating to at least one line of this tower
    fy: str = ""  # FY name (FY27): the FY of the PO date
    text: str = ""  # substring of PO number, PR number, description or vendor

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PoFilter:
        """Build from URL query parameters (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v).strip() for k, v in params.items() if k in names and v is not None})

    def to_params(self) -> dict[str, str]:
        """Only the set fields, for the URL (so a view can be shared)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def clean_text(value: str | None, name: str, problems: list[str]) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_TEXT[name]:
        problems.append(f"{LABELS.get(name, name)}: at most {MAX_TEXT[name]} characters ({len(text)} given)")
    return text or None
