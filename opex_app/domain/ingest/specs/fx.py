"""The FX rates import: one row per (currency, effective date), units of base currency per unit of the
currency. No months and no fiscal year: a file may hold rates of any dates."""

from __future__ import annotations

from opex_app.domain.ingest.specs.base import FieldSpec, ImportSpec

FX_RATES = ImportSpec(
    kind="fx",
    noun="FX rate",
    key=("currency", "effective_from"),
    fields=(
        FieldSpec("currency", "Currency", "currency", ("Curr", "Currency Code", "CCY"), required=True),
        FieldSpec("rate", "Rate", "rate", ("FX Rate", "Exchange Rate", "Rate to Base"), required=True),
        FieldSpec(
            "effective_from",
            "Effective From",
            "date",
            ("From", "Date", "Valid From", "Effective Date", "Effective"),
            required=True,
        ),
    ),
)
