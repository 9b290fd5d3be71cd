"""Finding the table of an import file: the first sheet (or the one named) with a header row within its
first 20 rows, by the spec's header rule; what else was passed over; and, when there is no table, a
refusal that says where the file came closest and what would make it work."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from opex_app.domain.ingest.errors import Closest, WorkbookRefused, WorkbookUnreadable, cell_name
from opex_app.domain.ingest.headers import HeaderLayout, classify, header_text
from opex_app.domain.ingest.months import parse_month_header
from opex_app.domain.ingest.specs import ImportSpec, header_key
from opex_app.domain.ingest.workbook import MAX_HEADER_ROWS, RawSheet, SheetTable, Workbook


@dataclass
class FoundTable:
    table: SheetTable
    layout: HeaderLayout
    other_sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why it was not read)


@dataclass
class _Candidate:
    raw: RawSheet
    row: int  # 0-based
    layout: HeaderLayout


def find_table(
    workbook: Workbook, spec: ImportSpec, mapping: Mapping[str, str], sheet: str | None = None
) -> FoundTable:
    """The table to import. Raises WorkbookRefused (no table, or no such sheet) or WorkbookUnreadable."""
    indices = _sheet_indices(workbook, sheet)
    chosen: _Candidate | None = None
    best: _Candidate | None = None
    others: list[tuple[str, str]] = []
    failure: WorkbookUnreadable | None = None
    for index in indices:
        name = workbook.sheet_names[index]
        try:
            raw = workbook.load(index)
        except WorkbookUnreadable as exc:
            failure = failure or exc
            others.append((name, "cannot be read"))
            continue
        hit, closest = _header_in(raw, spec, mapping)
        if closest is not None and (best is None or closest.layout.score > best.layout.score):
            best = closest
        if hit is None:
            others.append((name, "is empty" if raw.frame.height == 0 and not raw.row0_names else "has no table"))
        elif chosen is None:
            chosen = hit
        else:
            others.append((name, f"also holds a table (header in row {hit.row + 1}); pick it with --sheet"))
    if chosen is None:
        if failure is not None:
            raise failure
        raise _refusal(workbook, spec, best)
    return FoundTable(chosen.raw.table(chosen.row), chosen.layout, others)


def _sheet_indices(workbook: Workbook, sheet: str | None) -> list[int]:
    if sheet is None:
        return list(range(len(workbook.sheet_names)))
    for index, name in enumerate(workbook.sheet_names):
        if name.strip().casefold() == sheet.strip().casefold():
            return [index]
    names = ", ".join(f"'{name}'" for name in workbook.sheet_names)
    raise WorkbookRefused(f"{workbook.name} has no sheet '{sheet}' (its sheets: {names})")


def _header_in(
    raw: RawSheet, spec: ImportSpec, mapping: Mapping[str, str]
) -> tuple[_Candidate | None, _Candidate | None]:
    """(the header row of a sheet, the row closest to one) within its first rows."""
    best: _Candidate | None = None
    for row, values in raw.rows(0, MAX_HEADER_ROWS):
        if not values:
            continue
        layout = classify(values, spec, mapping)
        candidate = _Candidate(raw, row, layout)
        if best is None or layout.score > best.layout.score:
            best = candidate
        if not layout.duplicates and spec.header_ok(set(layout.fields), len(layout.months)):
            return candidate, candidate
        if layout.duplicates and spec.header_ok(set(layout.fields), len(layout.months)):
            name, first, second = layout.duplicates[0]
            raise WorkbookRefused(
                f"sheet '{raw.name}' has two {spec.label(name)} columns: '{layout.texts[first]}' "
                f"({cell_name(row, first)}) and '{layout.texts[second]}' ({cell_name(row, second)}); keep one, "
                "or map the one to read",
                Closest(raw.name, row + 1, list(layout.texts.values())),
            )
    return None, best


# ---------------------------------------------------------------------------------------------- refusal

_KEY_HINTS = ("id", "code", "wbs", "key", "ref", "no", "number", "num", "item", "name")
_PIVOT_HINTS = ("rowlabels", "columnlabels", "sumof", "countof")


def _refusal(workbook: Workbook, spec: ImportSpec, best: _Candidate | None) -> WorkbookRefused:
    intro = (
        f"{workbook.name} has no {spec.noun} table: no sheet has, in its first {MAX_HEADER_ROWS} rows, "
        f"a header row with {spec.looked_for()}"
    )
    if best is None:
        model = workbook.has_model_data()
        where = (
            " (its data lives in an Excel data model, as Power Pivot keeps it: show the table on a sheet, "
            "or export it to a workbook, and import that)"
            if model
            else ""
        )
        return WorkbookRefused(f"{intro}. The file holds no cell data on any sheet{where}")
    down = _months_down_a_column(best.raw)
    if down is not None and down[1] != best.row:  # a month name down the rows scored as a header: use the header
        best = _Candidate(best.raw, down[1], classify(best.raw.row_values(down[1]), spec, {}))
    layout, raw = best.layout, best.raw
    headers = [text for _, text in sorted(layout.texts.items()) if text]
    found = [spec.label(name) for name in layout.fields]
    if layout.months:
        found.append(f"{len(layout.months)} month column(s)")
    missing = [spec.label(name) for name in spec.required if name not in layout.fields]
    if (
        spec.month_columns
        and not layout.months
        and not (spec.long_fields and set(spec.long_fields) <= set(layout.fields))
    ):
        missing.append("month columns")
    shown = ", ".join(f"'{h}'" for h in headers[:12]) + (", ..." if len(headers) > 12 else "")
    parts = [
        intro + ".",
        f"Closest: sheet '{raw.name}' row {best.row + 1} with {shown}"
        + (f" (found {', '.join(found)}" if found else " (found none of the columns")
        + (f"; missing {', '.join(missing)})." if missing else ")."),
    ]
    parts.extend(_hints(spec, best, down[0] if down else None))
    return WorkbookRefused(" ".join(parts), Closest(raw.name, best.row + 1, headers))


def _hints(spec: ImportSpec, best: _Candidate, month_column: str | None) -> list[str]:
    layout, raw = best.layout, best.raw
    hints: list[str] = []
    cells = [header_key(v) for _, values in raw.rows(0, MAX_HEADER_ROWS) for v in values.values() if isinstance(v, str)]
    pivot = any(key.startswith(hint) for key in cells for hint in _PIVOT_HINTS)
    if pivot:
        hints.append("It looks like a pivot table: import the data the pivot is built from instead.")
    if month_column is not None and spec.long_fields:
        hints.append(
            f"The months run down the rows (column '{month_column}'): that is the long layout, one row per "
            f"line and month; it needs a {spec.label(spec.long_fields[0])} column and an "
            f'{spec.label(spec.long_fields[1])} column (map them with --map "HEADER=month" and '
            '--map "HEADER=amount") and a key column for the line.'
        )
    elif not pivot and spec.month_columns and not layout.months and "total" in layout.fields:
        hints.append(
            f"It has annual amounts only ('{layout.texts[layout.fields['total']]}'): a {spec.noun} needs its "
            "months; add month columns, or a month and an amount column."
        )
    for name in spec.required:
        if name in layout.fields:
            continue
        guess = _likely(layout, _KEY_HINTS)
        if guess:
            hints.append(
                f"If '{guess}' is the {spec.label(name)}, map it to {spec.label(name)} (--map \"{guess}={name}\")."
            )
        else:
            hints.append(f'Map the column that holds the {spec.label(name)} with --map "HEADER={name}".')
    return hints


def _likely(layout: HeaderLayout, hints: tuple[str, ...]) -> str | None:
    """An ignored header that reads like a key ('SalespersonID', 'cost_id', 'BudgetCode', 'WBS', 'Item Name')."""
    for col in layout.ignored:
        text = layout.texts[col]
        words = {word.casefold() for word in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", text)}
        if words & set(hints) or header_key(text).endswith(("id", "code")):
            return text
    return None


def _months_down_a_column(raw: RawSheet) -> tuple[str, int] | None:
    """A column whose cells in the first rows are mostly months (month names, dates, or period numbers
    1-12 under a Period or Month header): the data has months as rows. (Its header text, its 0-based row.)"""
    rows = list(raw.rows(0, MAX_HEADER_ROWS + 4))
    counts: dict[int, list[int]] = {}
    for row, values in rows:
        for col, value in values.items():
            if _month_like(value):
                counts.setdefault(col, []).append(row)
    for col, hits in sorted(counts.items(), key=lambda item: -len(item[1])):
        if len(hits) < 3:
            break
        above = [(row, values[col]) for row, values in rows if row < hits[0] and col in values]
        header_row, header = above[-1] if above else (hits[0], None)
        numbers_only = all(_number(value) for row, values in rows if row in hits for value in [values[col]])
        if numbers_only and not _periodish(header):
            continue  # plain numbers under a header that is not a period: not months
        return (header_text(header) if header is not None else f"column {col + 1}"), header_row
    return None


def _number(value: object) -> bool:
    return isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit())


def _month_like(value: object) -> bool:
    if isinstance(value, str) and value.strip().isdigit():
        return float(value) in _PERIODS
    if isinstance(value, str):
        return parse_month_header(value) is not None
    if isinstance(value, date | datetime):
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and float(value) in _PERIODS


_PERIODS = {float(n) for n in range(1, 13)}


def _periodish(header: object) -> bool:
    key = header_key(header) if header is not None else ""
    return "period" in key or "month" in key
