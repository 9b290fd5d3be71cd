"""Header cells of a budget workbook: the column alias table and month-header recognition.

A header is matched on its whole text after trimming, case-folding and dropping punctuation and
spaces, so 'Cost-Centre', 'cost centre' and 'COST  CENTRE' are one header, while 'Parent UID' is
never 'UID' and 'Total Count' is never 'Total' (no substring matching).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from opex_app.domain.budget_fields import DATE_FIELDS, TEXT_FIELDS
from opex_app.domain.fiscal import FiscalYear, fiscal_year_for_month

# Canonical fields of a budget line, in the order they appear in `ParsedBudget.rows`.
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, "remarks", "total")

ALIASES: dict[str, tuple[str, ...]] = {
    "uid": ("UID", "Line ID", "Unique ID", "Budget UID"),
    "parent_uid": ("Parent UID", "Parent", "Parent ID"),
    "description": ("Description", "Service Description", "Service"),
    "tower": ("Tower",),
    "budget_head": ("Budget Head", "Head"),
    "cost_centre": ("Cost Centre", "Cost Center", "CC"),
    "vendor": ("Vendor", "Vendor Name"),
    "entity": ("Entity", "PO Entity"),
    "currency": ("Currency", "Curr"),
    "service_start": ("Service Start", "Start Date"),
    "service_end": ("Service End", "End Date"),
    "remarks": ("Remarks", "Remark", "Comments", "Notes"),
    "total": ("Total", "FY Total", "Total Budget"),
}

# How a field is named to people (errors, refusals).
FIELD_LABELS: dict[str, str] = {field: aliases[0] for field, aliases in ALIASES.items()}


def header_key(text: str) -> str:
    """The key a header is matched on: case-folded letters and digits only."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


_ALIAS_BY_KEY: dict[str, str] = {header_key(alias): field for field, aliases in ALIASES.items() for alias in aliases}
_FY_TOTAL = re.compile(r"^fy(\d{2}|\d{4})(budget|total)$")  # 'FY27 Budget', 'FY 2027 Total'


def match_field(text: str) -> str | None:
    """The canonical field a header text names, or None if it is not a known column."""
    key = header_key(text)
    if not key:
        return None
    field = _ALIAS_BY_KEY.get(key)
    if field is None and _FY_TOTAL.match(key):
        field = "total"
    return field


@dataclass(frozen=True)
class MonthHeader:
    """A month column header: the calendar month and, when the header says it, the year."""

    month: int
    year: int | None = None

    def fiscal(self, start_month: int) -> tuple[FiscalYear | None, int]:
        """(FY or None when the header has no year, fiscal month 1..12)."""
        if self.year is None:
            return None, (self.month - start_month) % 12 + 1
        return fiscal_year_for_month(self.year, self.month, start_month)


_MONTH_NAMES: dict[str, int] = {}
for _number in range(1, 13):
    _MONTH_NAMES[calendar.month_abbr[_number].casefold()] = _number
    _MONTH_NAMES[calendar.month_name[_number].casefold()] = _number
_MONTH_NAMES["sept"] = 9

_NAMED_MONTH = re.compile(
    r"^(?P<name>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
    r"(?:[\s\-/'’,.]*(?P<year>\d{4}|\d{2}))?$"
)
_NUMERIC_MONTH = re.compile(r"^(?P<month>\d{1,2})\s*[/\-.]\s*(?P<year>\d{4})$")
_ISO_MONTH = re.compile(r"^(?P<year>\d{4})\s*[/\-.]\s*(?P<month>\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_month_header(value: object) -> MonthHeader | None:
    """Recognise a month column header.

    Accepts a date or datetime (any day of the month), or text holding a month name or abbreviation
    with an optional year ('Apr', 'April', 'Apr-26', "Apr'26", 'Apr 2026', 'April-2026', 'Sept'),
    a numeric month and year ('04/2026', '2026-04') or an ISO date ('2026-04-01').
    """
    if isinstance(value, datetime | date):
        return MonthHeader(value.month, value.year)
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).casefold()
    if match := _NAMED_MONTH.match(text):
        return MonthHeader(_MONTH_NAMES[match["name"]], _year(match["year"]))
    for pattern in (_NUMERIC_MONTH, _ISO_MONTH):
        if (match := pattern.match(text)) and 1 <= int(match["month"]) <= 12:
            return MonthHeader(int(match["month"]), int(match["year"]))
    if match := _ISO_DATE.match(text):
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
        return MonthHeader(day.month, day.year)
    return None


def header_text(value: object) -> str:
    """How a header cell is shown in messages and in `column_map`: its text, or a date as 2026-04-01."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_header_row(values: list[object]) -> bool:
    """True when a row has a UID column and at least one month column."""
    has_uid = any(isinstance(v, str) and match_field(v) == "uid" for v in values)
    return has_uid and any(parse_month_header(v) is not None for v in values)


def looked_for() -> str:
    """The columns a header row must have, as told to the user when none is found."""
    uid = ", ".join(f"'{alias}'" for alias in ALIASES["uid"])
    return (
        f"a UID column ({uid}) and at least one month column (e.g. 'Apr', 'Apr-26', 'April 2026', '04/2026' or a date)"
    )


# A row label that marks a totals row; matched on the stripped, case-folded text (Python and Polars).
TOTAL_LABEL_PATTERN = r"^[\W_]*(?:grand[\W_]*)?(?:sub[\W_]*)?totals?(?:[\W_].*)?$"
_TOTAL_LABEL = re.compile(TOTAL_LABEL_PATTERN)


def is_total_label(text: str | None) -> bool:
    """'Total', 'Grand Total', 'Sub-total', 'Subtotal', 'Total Infrastructure', ... (not 'Totally')."""
    return bool(text) and bool(_TOTAL_LABEL.match(str(text).strip().casefold()))
