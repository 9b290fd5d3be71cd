from datetime import date

import pytest

from opex_app.domain.fiscal import (
    FiscalYear,
    fiscal_month_of,
    fiscal_period,
    fiscal_year_for_month,
    fiscal_year_of,
    parse_fiscal_year,
)


def test_april_start_boundaries() -> None:
    assert fiscal_period(date(2026, 3, 31)) == (FiscalYear(2026), 12)
    assert fiscal_period(date(2026, 4, 1)) == (FiscalYear(2027), 1)
    assert FiscalYear(2027).name == "FY27"
    assert FiscalYear(2027).start_date == date(2026, 4, 1)
    assert FiscalYear(2027).end_date == date(2027, 3, 31)


def test_month_labels_april_start() -> None:
    labels = FiscalYear(2027).month_labels()
    assert labels[0] == "Apr-26"
    assert labels[8] == "Dec-26"
    assert labels[9] == "Jan-27"
    assert labels[-1] == "Mar-27"


def test_january_start_is_calendar_year() -> None:
    fy = FiscalYear(2026, start_month=1)
    assert fy.start_date == date(2026, 1, 1)
    assert fy.end_date == date(2026, 12, 31)
    assert fiscal_period(date(2026, 12, 31), 1) == (fy, 12)
    assert fiscal_period(date(2027, 1, 1), 1) == (FiscalYear(2027, 1), 1)
    assert fy.month_labels()[0] == "Jan-26"


def test_leap_year_february_end() -> None:
    fy = FiscalYear(2028, start_month=3)  # 1 Mar 2027 .. 29 Feb 2028
    assert fy.end_date == date(2028, 2, 29)
    assert fiscal_period(date(2028, 2, 29), 3) == (fy, 12)
    assert FiscalYear(2027, start_month=3).end_date == date(2027, 2, 28)


@pytest.mark.parametrize("start", range(1, 13))
def test_every_start_month_round_trips(start: int) -> None:
    fy = FiscalYear(2030, start)
    for m in range(1, 13):
        year, month = fy.calendar_month(m)
        assert fiscal_year_for_month(year, month, start) == (fy, m)
    assert fiscal_month_of(fy.start_date, start) == 1
    assert fiscal_year_of(fy.end_date, start) == fy


def test_parse_fiscal_year() -> None:
    assert parse_fiscal_year("FY27") == FiscalYear(2027)
    assert parse_fiscal_year("fy 2027") == FiscalYear(2027)
    assert parse_fiscal_year("2027", 1) == FiscalYear(2027, 1)
    with pytest.raises(ValueError, match="not a fiscal year"):
        parse_fiscal_year("next year")


def test_bad_start_month_refused() -> None:
    with pytest.raises(ValueError):
        FiscalYear(2027, 13)
    with pytest.raises(ValueError):
        FiscalYear(2027).calendar_month(0)
