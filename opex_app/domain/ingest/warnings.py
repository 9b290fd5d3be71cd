"""Warnings: every input the import ignores or reads with a doubt (a sheet, a column, a month, a row,
a mapping entry) is said, with where it is. Warnings are CellErrors that do not stop the import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl

from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.ingest.errors import CellError, cell_name
from opex_app.domain.ingest.specs import ImportSpec, header_key
from opex_app.domain.ingest.table import FoundTable

if TYPE_CHECKING:
    from opex_app.domain.ingest.reader import ParsedImport


def sheet_warnings(found: FoundTable, mapping: Mapping[str, str], file_name: str) -> list[CellError]:
    """Other sheets (never read), and mapping entries whose header is not in the header row."""
    table = found.table
    out = [
        CellError(sheet, "", None, "", "", f"sheet '{sheet}' {why}: it was not imported (only sheet '{table.name}' is)")
        for sheet, why in found.other_sheets
    ]
    for header in mapping:
        if header_key(header) not in found.layout.mapped:
            out.append(
                CellError(
                    table.name,
                    "",
                    table.header_row + 1,
                    header,
                    header,
                    f"the mapped column '{header}' is not in the header row (sheet '{table.name}' row "
                    f"{table.header_row + 1}): that mapping was not used",
                )
            )
    return out


def column_warnings(
    spec: ImportSpec, found: FoundTable, read: set[int], parsed: ParsedImport, outside: list[int]
) -> list[CellError]:
    """Each ignored column (those that look like months or stand between month columns said so), and
    fewer than twelve months."""
    layout, table = found.layout, found.table
    out: list[CellError] = []
    for col in sorted(layout.texts):
        text = layout.texts[col]
        if not text or col in read:
            continue
        name = next((name for name, c in layout.fields.items() if c == col), None) or spec.match(text)
        if col in outside:
            why = f"is a month outside {parsed.fiscal_year}, the fiscal year of this import"
        elif name == "total" and outside:
            why = f"adds up months outside {parsed.fiscal_year} too, so it was not checked"
        elif name is not None and spec.long_fields and name in spec.long_fields:
            why = f"is the {spec.label(name)} column of the long layout, not read beside month columns"
        elif name is not None:
            why = f"is a second {spec.label(name)} column (the mapped one is read)"
        elif layout.looks_like_month(col):
            why = "looks like a month but is not one this import can read"
        elif layout.between_months(col):
            why = "stands between the month columns"
        else:
            why = f'is not a {spec.kind} field (map it with --map "{text}=FIELD" if it is one)'
        where = cell_name(table.header_row, col)
        out.append(CellError(table.name, where, table.header_row + 1, text, text, f"column '{text}' {why}: ignored"))
    if spec.month_columns:
        out.extend(_month_warnings(parsed))
    return out


def _month_warnings(parsed: ParsedImport) -> list[CellError]:
    months = parsed.months_present
    if len(months) >= 12 or parsed.fiscal_year is None:
        return []
    fy = parsed.fiscal_year
    found = [fy.month_label(MONTH_FIELDS.index(m) + 1) for m in months]
    missing = [fy.month_label(n) for n in range(1, 13) if MONTH_FIELDS[n - 1] not in months]
    return [
        CellError(
            parsed.sheet,
            "",
            parsed.header_row,
            "",
            "",
            f"only {len(months)} of 12 months found ({', '.join(found) or 'none'}): "
            f"{', '.join(missing)} are left as stored (zero for new lines)",
        )
    ]


def line_warnings(spec: ImportSpec, parsed: ParsedImport) -> list[CellError]:
    """Lines with a key but no amounts at all: imported with zero budget, said once each."""
    amounts = [name for name in parsed.present if name in MONTH_FIELDS or name == "total"]
    if parsed.layout != "wide" or not amounts or spec.key[0] not in parsed.present:
        return []
    raw_empty = parsed.rows.filter(
        pl.col("valid") & pl.all_horizontal([pl.col(name).is_null() | (pl.col(name) == 0) for name in amounts])
    )
    key = spec.key[0]
    letter = parsed.column_letters.get(key, "A")
    return [
        CellError(
            parsed.sheet,
            f"{letter}{row}",
            row,
            key,
            value,
            f"{spec.label(key)} '{value}' has no amounts (every month is empty or zero): "
            f"imported as a {spec.noun} with zero budget",
        )
        for row, value in raw_empty.select("row", key).iter_rows()
    ]
