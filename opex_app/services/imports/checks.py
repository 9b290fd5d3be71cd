"""Checks an import makes against the database: masters (known, to be created, or refused with strict
masters) and currencies (ISO 4217 codes the app knows). Driven by the spec's value kinds."""

from __future__ import annotations

import polars as pl

from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.names import name_key


def master_errors(
    parsed: ParsedImport, rows: pl.DataFrame, known: dict[str, dict[str, int]], strict: bool
) -> tuple[list[CellError], dict[str, list[str]]]:
    """Unknown master names: 'will be created' (or errors on their cells with strict masters)."""
    new: dict[str, list[str]] = {}
    errors: list[CellError] = []
    for kind in parsed.spec.of_kind("master"):
        if kind not in parsed.present:
            continue
        names = rows.select(pl.col(kind).drop_nulls().unique()).to_series().to_list()
        unknown = sorted({n for n in names if name_key(n) not in known[kind]}, key=str.casefold)
        seen: dict[str, str] = {}  # distinct spellings of one new name ('Acme ', 'ACME') create one master
        for n in unknown:
            seen.setdefault(name_key(n), n.strip())
        if not seen:
            continue
        if not strict:
            new[kind] = sorted(seen.values(), key=str.casefold)
            continue
        label = parsed.spec.label(kind).lower()
        for row, value in rows.filter(pl.col(kind).is_in(unknown)).select("row", kind).iter_rows():
            message = f"unknown {label} '{value}': with strict masters only existing {label}s are accepted"
            errors.append(parsed.cell_error(row, kind, value, message))
    return errors, new


def currency_errors(parsed: ParsedImport, rows: pl.DataFrame, codes: set[str]) -> list[CellError]:
    out: list[CellError] = []
    for name in parsed.spec.of_kind("currency"):
        if name not in parsed.present:
            continue
        bad = rows.filter(pl.col(name).is_not_null() & ~pl.col(name).is_in(sorted(codes)))
        out += [
            parsed.cell_error(row, name, value, f"unknown currency '{value}': expected an ISO 4217 code, e.g. INR")
            for row, value in bad.select("row", name).iter_rows()
        ]
    return out
