"""The variance page's URL choices (VarianceView) and its amounts: what is not understood is reported, never
silently replaced; amounts follow the user's grouping."""

from __future__ import annotations

from decimal import Decimal

from opex_app.state.variance import VarianceView, amount, period_choices


def test_a_full_address_round_trips() -> None:
    params = {"fy": "FY27", "level": "cost_centre", "period": "m03", "as_of": "2026-06-30", "page": "3"}
    view, ignored = VarianceView.from_params(params)
    assert ignored == []
    assert view == VarianceView("FY27", "cost_centre", "m03", "2026-06-30", 3)
    assert view.to_params() == params
    assert view.url == "/variance?fy=FY27&level=cost_centre&period=m03&as_of=2026-06-30&page=3"


def test_defaults_and_what_is_not_understood_is_reported() -> None:
    assert VarianceView.from_params({}) == (VarianceView(), [])
    view, ignored = VarianceView.from_params({"level": "planet", "period": "Q9", "as_of": "31-06-2026", "page": "x"})
    assert view == VarianceView()  # the defaults stand in for each, and the page says so
    assert ignored == ["level 'planet'", "period 'q9'", "as-of date '31-06-2026'", "page 'x'"]
    assert VarianceView.from_params({"period": "Q2", "level": "Tower"})[0].period == "q2"


def test_amounts_in_the_users_grouping() -> None:
    assert amount(Decimal("1234567.49"), "indian") == "12,34,567"
    assert amount(Decimal("1234567.50"), "western") == "1,234,568"
    assert amount(Decimal("-100000"), "indian") == "-1,00,000"
    assert amount(Decimal("0.40"), "indian") == "–"
    assert amount(None, "western") == "–"


def test_period_choices_name_the_months_of_the_fy() -> None:
    from opex_app.domain.fiscal import FiscalYear

    choices = period_choices(FiscalYear(2027))
    assert [key for key, _ in choices][:6] == ["fy", "ytd", "q1", "q2", "q3", "q4"]
    assert choices[6] == ["m01", "Apr-26"] and choices[-1] == ["m12", "Mar-27"]
