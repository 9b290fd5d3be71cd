"""An actual as a form (or a script) gives it, and its validation by the import's rules.

An actual typed in a form follows the rules of the import (`imports/actuals_*`): the FY and fiscal month
come from its date, it converts at the rate on that date (a missing rate refuses the save), an invoice is
identified by (vendor, invoice number), and its UID / PO number link it as an imported row's would (a
reference that matches nothing leaves it unlinked, with a warning). The same functions run on a frame of
one row, so the two doors cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, field_validator
from sqlmodel import Session

from opex_app.domain.names import clean_name, name_key
from opex_app.models import Currency
from opex_app.services import masters
from opex_app.services.actuals.labels import LABELS
from opex_app.services.errors import ServiceError
from opex_app.services.imports.actuals_checks import NEW, SKIP, classify
from opex_app.services.imports.actuals_context import load_context
from opex_app.services.imports.actuals_links import over_allocation
from opex_app.services.imports.actuals_prepare import prepare
from opex_app.services.inputs import stripped, text_amount
from opex_app.settings import get_settings

_MAX_TEXT = {"invoice_number": 100, "uid": 100, "po_number": 100, "remarks": 4000}


class ActualInput(BaseModel):
    """An actual as a form (or a script) gives it: vendor by name (a known one), currency by ISO code (the
    base currency when empty), the amount in that currency, references as typed."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str
    invoice_date: date
    amount: Decimal
    currency: str | None = None
    vendor: str | None = None
    uid: str | None = None
    po_number: str | None = None
    remarks: str | None = None

    _amount = field_validator("amount", mode="before")(text_amount)
    _texts = field_validator("currency", "vendor", "uid", "po_number", "remarks", "invoice_number", mode="before")(
        stripped
    )


class ActualUpdate(BaseModel):
    """The fields an edit changes (read with exclude_unset: a field not given keeps its value; None clears
    an optional one)."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str | None = None
    invoice_date: date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    vendor: str | None = None
    uid: str | None = None
    po_number: str | None = None
    remarks: str | None = None

    _amount = field_validator("amount", mode="before")(text_amount)
    _texts = field_validator("currency", "vendor", "uid", "po_number", "remarks", "invoice_number", mode="before")(
        stripped
    )


def _text(name: str, value: str | None) -> str | None:
    if value is not None and len(value) > _MAX_TEXT[name]:
        raise ServiceError(f"{LABELS[name]}: at most {_MAX_TEXT[name]} characters")
    return value


def _vendor_id(session: Session, name: str | None) -> dict[str, int]:
    """{name_key: id} of the vendor named (it must be stored); {} for none."""
    if name is None:
        return {}
    wanted = clean_name(name)
    found = masters.resolve(session, "vendor", wanted)
    if found is None:
        raise ServiceError(f"Vendor: '{wanted}' is not a known vendor (pick one from the list)")
    return {name_key(wanted): found[0]}


def checked(
    session: Session, values: Mapping[str, Any], *, exclude_id: int | None = None
) -> tuple[dict[str, Any], list[str]]:
    """One actual through the import's rules: (its classified row, the warnings). Raises ServiceError with
    every reason it cannot be saved."""
    for name in ("invoice_number", "uid", "po_number", "remarks"):
        _text(name, values.get(name))
    if not values.get("invoice_number"):
        raise ServiceError("Not saved. Invoice No is empty: every actual needs its invoice number")
    currency = values.get("currency")
    if currency is not None and session.get(Currency, currency.upper()) is None:
        raise ServiceError(f"Not saved. Currency: '{currency}' is not a known currency code")
    settings = get_settings()
    vendors = _vendor_id(session, values.get("vendor"))
    frame = pl.DataFrame(
        [{"row": 1, **{name: values.get(name) for name in ActualInput.model_fields}}],
        schema={
            "row": pl.Int64,
            "invoice_number": pl.String,
            "invoice_date": pl.Date,
            "amount": pl.Decimal(18, 2),
            "currency": pl.String,
            "vendor": pl.String,
            "uid": pl.String,
            "po_number": pl.String,
            "remarks": pl.String,
        },
    )
    prepared = prepare(frame, vendors, base=settings.base_currency, start_month=settings.fy_start_month)
    ctx = load_context(session, prepared, exclude_id=exclude_id)
    classified = classify(prepared, ctx)
    if classified.errors.height:
        raise ServiceError("Not saved. " + "; ".join(classified.errors.get_column("message").to_list()))
    row = classified.rows.row(0, named=True)
    if row["status"] == SKIP:
        raise ServiceError(
            f"Not saved. Invoice '{row['invoice_number']}'"
            + (f" of {row['vendor']}" if row["vendor"] else "")
            + " is already recorded, with this amount and date"
        )
    assert row["status"] == NEW
    new = classified.rows.filter(pl.col("status") == NEW)
    warnings = [*classified.warnings.get_column("message").to_list()]
    warnings += over_allocation(new, ctx).get_column("message").to_list()
    row["vendor_id"] = next(iter(vendors.values()), None)
    return row, warnings
