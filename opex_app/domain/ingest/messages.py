"""How a problem code found in a cell is worded for the person who fixes the workbook."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from opex_app.domain.ingest.amounts import MAX_INTEGER_DIGITS, NOT_A_DATE, RATE_SCALE, TOO_LARGE
from opex_app.domain.ingest.specs import ImportSpec

KEY_EMPTY = "key_empty"
END_BEFORE_START = "end_before_start"


def message_for(
    code: str, spec: ImportSpec, name: str, record: Mapping[str, object], raw: object, day_first: bool
) -> str:
    raw = raw or ""
    if code == KEY_EMPTY:
        label = spec.label(name)
        return f"{label} is empty: every {spec.noun} needs {article(label)} {label} (rows labelled Total are skipped)"
    kind = spec.field(name).kind if name in spec.names else "amount"
    if code == TOO_LARGE:
        digits = MAX_INTEGER_DIGITS - (RATE_SCALE - 2) if kind == "rate" else MAX_INTEGER_DIGITS
        return f"{kind} '{raw}' is too large: at most {digits} digits before the decimal point"
    if code == NOT_A_DATE:
        example = "01/04/2026" if day_first else "04/01/2026"
        return f"expected a date (e.g. 2026-04-01 or {example}), found '{raw}'"
    if code == END_BEFORE_START:
        end_start = next(pair for pair in spec.date_order if pair[1] == name)
        end, start = show_date(record.get(name)), show_date(record.get(end_start[0]))
        return f"{spec.label(name).lower()} {end} is before {spec.label(end_start[0]).lower()} {start}"
    if kind == "rate":
        return f"expected a rate (units of base currency per unit, e.g. 83.25), found '{raw}'"
    return f"expected an amount (e.g. 1,23,456.78), found '{raw}'"


def article(word: str) -> str:
    """'a' or 'an' before a label ('an Effective From', 'a UID')."""
    return "an" if word[:1].lower() in "aeio" else "a"


def show_date(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")
