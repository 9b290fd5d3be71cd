"""The wide layout's months: one column per month. Which FY the month headers name, and which fiscal
month each column is; refusals for months of two FYs, a month twice, or no FY to place yearless months in."""

from __future__ import annotations

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.errors import WorkbookRefused, cell_name
from opex_app.domain.ingest.headers import HeaderLayout


def fiscal_months(
    layout: HeaderLayout, sheet: str, header_row: int, chosen: FiscalYear | None, start_month: int
) -> tuple[FiscalYear, dict[int, int], list[int]]:
    """The FY of the month columns, fiscal month -> column, and the month columns of other FYs (with a
    chosen FY, as a calendar-year file has: they are ignored, and a warning says so). `header_row` is 0-based."""
    texts = layout.texts
    placed = [(col, *month.fiscal(start_month)) for col, month in layout.months]
    dated = [(col, fy) for col, fy, _ in placed if fy is not None]
    years = sorted({fy for _, fy in dated})
    outside: list[int] = []
    if len(years) > 1 and chosen is not None and chosen in years:
        outside = [col for col, fy in dated if fy != chosen]
        placed = [item for item in placed if item[0] not in outside]
        years = [chosen]
    if len(years) > 1:
        first = next(col for col, fy in dated if fy == years[0])
        second = next(col for col, fy in dated if fy == years[1])
        raise WorkbookRefused(
            f"the month columns of sheet '{sheet}' span more than one fiscal year: "
            f"'{texts[first]}' is in {years[0]} and '{texts[second]}' is in {years[1]}; "
            f"a budget file holds one fiscal year: pass --fy (e.g. --fy {years[-1]}) to import the months of that "
            "year (the other month columns are then ignored, with a warning)"
        )
    if years:
        fy = years[0]
        if chosen is not None and chosen != fy:
            raise WorkbookRefused(
                f"the month columns of sheet '{sheet}' are in {fy} "
                f"(e.g. '{texts[dated[0][0]]}') but {chosen} was chosen for this import"
            )
    elif chosen is None:
        sample = ", ".join(f"'{texts[col]}'" for col, _ in layout.months[:3])
        raise WorkbookRefused(
            f"the month columns of sheet '{sheet}' ({sample}) carry no year, so the fiscal year is "
            "not known: pass --fy (e.g. --fy FY27) or pick the fiscal year for this import"
        )
    else:
        fy = chosen
    months: dict[int, int] = {}
    for col, _, month in placed:
        if month in months:
            raise WorkbookRefused(
                f"sheet '{sheet}' has the month {fy.month_label(month)} twice: "
                f"'{texts[months[month]]}' ({cell_name(header_row, months[month])}) and "
                f"'{texts[col]}' ({cell_name(header_row, col)})"
            )
        months[month] = col
    return fy, months, outside
