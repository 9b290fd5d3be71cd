"""Header rows: which column is which field (by the spec's aliases, or by the user's mapping), which
are months, which are ignored; and the row labels that mark totals and section headings.

A header is matched on its whole text after trimming, case-folding and dropping punctuation and spaces
(`header_key`), so 'Cost-Centre', 'cost centre' and 'COST  CENTRE' are one header, while 'Parent UID' is
never 'UID' and 'Total Count' is never 'Total' (no substring matching).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from opex_app.domain.ingest.months import MonthHeader, looks_like_month, parse_month_header
from opex_app.domain.ingest.specs import ImportSpec, header_key

# A row label that marks a total: the whole word Total, Totals, Subtotal, Sub-total or Grand Total, then the
# end of the text or a space ('Total Income' yes, 'TOTAL-01' and 'Totally' no). Python and Polars both use it.
TOTAL_LABEL_PATTERN = r"(?i)^\s*(?:grand\s+totals?|sub-?totals?|totals?)(?:\s.*)?$"
# A section heading: one label ending in a colon ('Income:').
SECTION_LABEL_PATTERN = r"^\s*\S.*:\s*$"
_TOTAL_LABEL = re.compile(TOTAL_LABEL_PATTERN, re.S)


def is_total_label(text: object) -> bool:
    return isinstance(text, str) and bool(_TOTAL_LABEL.match(text))


def header_text(value: object) -> str:
    """How a header cell is shown in messages: its text, or a date as 2026-04-01."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_mapping(spec: ImportSpec, pairs: Iterable[str]) -> dict[str, str]:
    """`HEADER=FIELD` pairs (the CLI's --map) as {header: field}; FIELD is a field name ('budget_head') or
    a header of it ('Budget Head'). Raises ValueError naming the bad pair and the fields there are."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise ValueError(f"--map takes HEADER=FIELD, got '{pair}'")
        mapping[header.strip()] = target.strip()
    return check_mapping(spec, mapping)


def check_mapping(spec: ImportSpec, mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping with every field resolved to its code name; ValueError for a field the kind has not."""
    out: dict[str, str] = {}
    for header, target in mapping.items():
        name = spec.resolve_field(target)
        if name is None:
            fields = ", ".join(spec.names)
            raise ValueError(f"'{target}' (mapped from '{header}') is not a {spec.kind} field; fields are: {fields}")
        out[header] = name
    return out


@dataclass
class HeaderLayout:
    """What each column of a header row is. Columns are 0-based worksheet columns."""

    fields: dict[str, int]  # field -> column
    months: list[tuple[int, MonthHeader]]  # month columns, in column order
    texts: dict[int, str]  # column -> header text
    ignored: list[int]  # columns read as nothing
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)  # (field, first column, second column)
    mapped: set[str] = field(default_factory=set)  # header keys of the mapping found in this row

    @property
    def score(self) -> int:
        """How close a row is to a header row: the fields and months it names."""
        return len(self.fields) + len(self.months)

    def ignored_texts(self) -> list[str]:
        return [self.texts[col] for col in self.ignored]

    def between_months(self, col: int) -> bool:
        cols = [c for c, _ in self.months]
        return bool(cols) and min(cols) < col < max(cols)

    def looks_like_month(self, col: int) -> bool:
        return looks_like_month(self.texts[col])


def classify(values: dict[int, object], spec: ImportSpec, mapping: Mapping[str, str]) -> HeaderLayout:
    """Read a row as a header row: mapped headers first, then the spec's aliases, then month headers."""
    by_key = {header_key(header): name for header, name in mapping.items()}
    layout = HeaderLayout({}, [], {}, [])
    pending: list[tuple[int, object]] = []
    for col, value in sorted(values.items()):
        text = layout.texts[col] = header_text(value)
        if not text:
            continue
        name = by_key.get(header_key(text)) if by_key else None
        if name is not None:
            layout.mapped.add(header_key(text))
            _place(layout, name, col)
        else:
            pending.append((col, value))
    taken = set(layout.fields)
    for col, value in pending:
        name = spec.match(value) if isinstance(value, str) else None
        month = None if name is not None or not spec.month_columns else parse_month_header(value)
        if name is not None and name not in taken:
            _place(layout, name, col)
        elif month is not None:
            layout.months.append((col, month))
        else:
            layout.ignored.append(col)
    return layout


def _place(layout: HeaderLayout, name: str, col: int) -> None:
    if name in layout.fields:
        layout.duplicates.append((name, layout.fields[name], col))
    else:
        layout.fields[name] = col
