"""Import specs, one per kind: what the engine reads a table as."""

from opex_app.domain.ingest.specs.actuals import ACTUALS
from opex_app.domain.ingest.specs.base import FieldSpec, ImportSpec, ValueKind, header_key
from opex_app.domain.ingest.specs.budget import BUDGET
from opex_app.domain.ingest.specs.fx import FX_RATES
from opex_app.domain.ingest.specs.pos import POS

SPECS: dict[str, ImportSpec] = {spec.kind: spec for spec in (BUDGET, FX_RATES, ACTUALS, POS)}


def get_spec(kind: str) -> ImportSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"unknown import kind '{kind}' (expected one of: {', '.join(SPECS)})") from None


__all__ = ["ACTUALS", "BUDGET", "SPECS", "FieldSpec", "ImportSpec", "ValueKind", "get_spec", "header_key"]
