"""Months as people write them: column headers ('Apr-26', 'April 2026', 'Januari', a date cell) and
the cells of a long layout's month column (a date, a label, or a fiscal period number 1-12).

Names and abbreviations are read in English, French, German, Spanish, Portuguese, Italian and Dutch,
with or without accents ('février' and 'fevrier').
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from opex_app.domain.fiscal import FiscalYear, fiscal_year_for_month

_NAMES_BY_MONTH: dict[int, tuple[str, ...]] = {
    1: (
        "january",
        "jan",
        "janvier",
        "janv",
        "januar",
        "jänner",
        "enero",
        "ene",
        "janeiro",
        "gennaio",
        "gen",
        "januari",
    ),
    2: ("february", "feb", "février", "févr", "fév", "februar", "febrero", "fevereiro", "fev", "febbraio", "februari"),
    3: ("march", "mar", "mars", "märz", "maerz", "mär", "mrz", "marzo", "março", "maart", "mrt"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mayo", "maio", "maggio", "mag", "mei"),
    6: ("june", "jun", "juin", "juni", "junio", "junho", "giugno", "giu"),
    7: ("july", "jul", "juillet", "juil", "juli", "julio", "julho", "luglio", "lug"),
    8: ("august", "aug", "août", "aout", "agosto", "ago", "augustus"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "setembro", "set", "settembre"),
    10: ("october", "oct", "octobre", "oktober", "okt", "octubre", "outubro", "out", "ottobre", "ott"),
    11: ("november", "nov", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "décembre", "déc", "dezember", "dez", "diciembre", "dic", "dezembro", "dicembre"),
}


def fold(text: str) -> str:
    """Case-folded, accents dropped, spaces collapsed: 'Février ' -> 'fevrier'."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


MONTH_NAMES: dict[str, int] = {fold(name): month for month, names in _NAMES_BY_MONTH.items() for name in names}
_ALTERNATION = "|".join(sorted(MONTH_NAMES, key=len, reverse=True))
_NAMED_MONTH = re.compile(rf"^(?P<name>{_ALTERNATION})\.?(?:[\s\-/'’,.]*(?P<year>\d{{4}}|\d{{2}}))?$")
_YEAR_FIRST = re.compile(rf"^(?P<year>\d{{4}})[\s\-/.]*(?P<name>{_ALTERNATION})\.?$")
_NUMERIC_MONTH = re.compile(r"^(?P<month>\d{1,2})\s*[/\-.]\s*(?P<year>\d{4})$")
_ISO_MONTH = re.compile(r"^(?P<year>\d{4})\s*[/\-.]\s*(?P<month>\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_MONTH_WORD = re.compile(rf"(?<![a-z])(?:{_ALTERNATION})(?![a-z])")


@dataclass(frozen=True)
class MonthHeader:
    """A month: the calendar month and, when the text says it, the year."""

    month: int
    year: int | None = None

    def fiscal(self, start_month: int) -> tuple[FiscalYear | None, int]:
        """(FY or None when there is no year, fiscal month 1..12)."""
        if self.year is None:
            return None, (self.month - start_month) % 12 + 1
        return fiscal_year_for_month(self.year, self.month, start_month)


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_month_header(value: object) -> MonthHeader | None:
    """Recognise a month: a date or datetime (any day of the month), or text holding a month name or
    abbreviation in one of seven languages with an optional year ('Apr', 'Apr-26', "Apr'26",
    'April 2026', 'Sept', 'févr. 2026', '2026 Apr'), a numeric month and year ('04/2026', '2026-04')
    or an ISO date ('2026-04-01')."""
    if isinstance(value, datetime | date):
        return MonthHeader(value.month, value.year)
    if not isinstance(value, str):
        return None
    text = fold(value)
    if match := _NAMED_MONTH.match(text) or _YEAR_FIRST.match(text):
        return MonthHeader(MONTH_NAMES[match["name"]], _year(match["year"]))
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


def looks_like_month(text: str) -> bool:
    """A header that is not a month but names one ('July Forecast', 'Apr-26 Actual'): worth a warning
    when it is ignored."""
    return bool(_MONTH_WORD.search(fold(text)))


@dataclass(frozen=True)
class MonthCell:
    """A long layout's month cell read: the FY it falls in (None when it carries no year), the fiscal
    month, or a problem code."""

    fiscal_year: FiscalYear | None
    fiscal_month: int | None
    problem: str | None = None


PERIOD_NEEDS_FY = "period_needs_fy"
NOT_A_MONTH = "not_a_month"


def read_month_cell(value: object, *, start_month: int, chosen: FiscalYear | None) -> MonthCell:
    """A cell of the month column: a date cell (any day of the month), a month label (as the month
    headers), or a fiscal period number 1-12 (fiscal month of the chosen FY, which it needs)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*(?:p|period\s*)?0?\d{1,2}\s*", value, re.I):
        value = int(re.sub(r"\D", "", value))
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 12:
            return MonthCell(None, None, NOT_A_MONTH)
        if chosen is None:
            return MonthCell(None, value, PERIOD_NEEDS_FY)
        return MonthCell(chosen, value)
    month = parse_month_header(value)
    if month is None:
        return MonthCell(None, None, NOT_A_MONTH)
    fy, fiscal_month = month.fiscal(start_month)
    if fy is None and chosen is not None:
        fy = chosen
    return MonthCell(fy, fiscal_month)
