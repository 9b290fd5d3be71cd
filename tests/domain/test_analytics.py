"""domain/analytics on small hand-computed fixtures (issue 8). Every expected figure is worked out in the
comments beside it, not by the code under test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opex_app.domain.analytics import (
    FIGURES_SCHEMA,
    FY,
    MONEY,
    YTD,
    FiguresSchemaError,
    Period,
    as_of_month,
    flag,
    outturn_by_line,
    parse_period,
    validate_figures,
    variance_report,
)
from opex_app.domain.analytics.variance import PERCENT, SUMMED
from opex_app.domain.fiscal import FiscalYear

FY27 = FiscalYear(2027)


def D(text: str | int) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


def line(
    line_id: int,
    *,
    budget: str | Mapping[int, str] = "0",
    committed: Mapping[int, str] | None = None,
    actual: Mapping[int, str] | None = None,
    tower: str | None = "Infra",
    vendor: str | None = "Acme",
) -> list[dict[str, object]]:
    """Twelve figures rows of one line; `budget` is every month's amount, or {month: amount} (others 0)."""
    rows = []
    for m in range(1, 13):
        month_budget = budget if isinstance(budget, str) else budget.get(m, "0")
        rows.append(
            {
                "budget_line_id": line_id,
                "fiscal_month": m,
                "budget_base": D(month_budget),
                "committed": D((committed or {}).get(m, "0")),
                "actual": D((actual or {}).get(m, "0")),
                "uid": f"IT-FY27-{line_id:04d}",
                "tower": tower,
                "budget_head": "Licences",
                "cost_centre": "CC1",
                "vendor": vendor,
                "entity": "India Pvt Ltd",
            }
        )
    return rows


def frame(*lines: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame([r for rows in lines for r in rows], schema=FIGURES_SCHEMA)


def money_frame(data: dict[str, list[object]], **extra: pl.DataType) -> pl.DataFrame:
    schema = {name: extra.get(name, MONEY) for name in data}
    return pl.DataFrame({k: [D(v) if isinstance(v, str) else v for v in vs] for k, vs in data.items()}, schema=schema)


# ---- periods ---------------------------------------------------------------------------------------


def test_parse_period_accepts_the_cli_spellings() -> None:
    assert parse_period("fy", FY27) == FY
    assert parse_period(" YTD ", FY27) == YTD
    assert parse_period("Q3", FY27) == Period("quarter", 3)
    assert parse_period("Apr-26", FY27) == Period("month", 1)
    assert parse_period("mar-27", FY27) == Period("month", 12)


@pytest.mark.parametrize("text", ["Apr-25", "q5", "h1", ""])
def test_parse_period_refuses_what_is_not_a_period_of_the_fy(text: str) -> None:
    with pytest.raises(ValueError, match=r"Apr-26\.\.Mar-27"):
        parse_period(text, FY27)


def test_as_of_month_is_0_before_the_fy_and_13_after_it() -> None:
    assert as_of_month(FY27, date(2026, 3, 31)) == 0
    assert as_of_month(FY27, date(2026, 4, 1)) == 1
    assert as_of_month(FY27, date(2026, 6, 15)) == 3
    assert as_of_month(FY27, date(2027, 3, 31)) == 12
    assert as_of_month(FY27, date(2027, 4, 1)) == 13


def test_each_period_sums_its_months() -> None:
    # budget 100 a month; actual 90, 110, 100 in months 1..3; committed 50 in month 4; as of month 4
    figures = frame(line(1, budget="100", actual={1: "90", 2: "110", 3: "100"}, committed={4: "50"}))
    periods = [Period("month", 3), Period("quarter", 1), Period("quarter", 2), YTD, FY]
    got = pl.concat(
        [
            variance_report(figures, level="line", period=p, as_of_month=4)
            .filter(pl.col("row") == "member")
            .select("budget", "committed", "actual")
            for p in periods
        ]
    )
    expected = money_frame(
        {
            "budget": ["100", "300", "300", "400", "1200"],  # Jun; Q1 = 1..3; Q2 = 4..6; YTD = 1..4; FY
            "committed": ["0", "0", "50", "50", "50"],
            "actual": ["100", "300", "0", "300", "300"],
        }
    )
    assert_frame_equal(got, expected)


def test_ytd_is_empty_before_the_fy_and_whole_after_it() -> None:
    assert list(YTD.months(0)) == []
    assert list(YTD.months(13)) == list(range(1, 13))


# ---- forecast outturn ------------------------------------------------------------------------------


def test_run_rate_is_the_average_actual_of_the_closed_months() -> None:
    figures = frame(
        # closed months 1..3: (100 + 101 + 100) / 3 = 100.333.. -> 100.33 > budget 90, so each of the 9
        # remaining months expects 100.33: outturn = 301 + 9 × 100.33 = 301 + 902.97 = 1203.97
        line(1, budget="90", actual={1: "100", 2: "101", 3: "100"}),
        # 0.05 / 3 closed months = 0.01666 -> 0.02, above budget 0: outturn = 0.05 + 9 × 0.02 = 0.23
        line(2, budget="0", actual={2: "0.05"}),
    )
    expected = money_frame(
        {
            "budget_line_id": [1, 2],
            "budget": ["1080", "0"],
            "run_rate": ["100.33", "0.02"],
            "outturn": ["1203.97", "0.23"],
            "outturn_variance": ["-123.97", "-0.23"],
        },
        budget_line_id=pl.Int64(),
    )
    assert_frame_equal(outturn_by_line(figures, as_of_month=4), expected)


def test_the_readme_example_of_the_outturn() -> None:
    # README "How the forecast outturn is computed": 100 a month, as of month 4, actuals 90, 120, 150:
    # run-rate 120 > 100, so months 4..12 expect 120 each: 360 + 9 × 120 = 1440, variance 1200 − 1440 = −240
    figures = frame(line(1, budget="100", actual={1: "90", 2: "120", 3: "150"}))
    got = outturn_by_line(figures, as_of_month=4).select("run_rate", "outturn", "outturn_variance")
    assert_frame_equal(got, money_frame({"run_rate": ["120"], "outturn": ["1440"], "outturn_variance": ["-240"]}))


def test_run_rate_rounds_half_away_from_zero_and_is_zero_with_no_closed_month() -> None:
    figures = frame(line(1, budget="10", actual={1: "0.05"}))
    # as of 3: 0.05 / 2 = 0.025 -> 0.03; budget 10 is larger: outturn = 0.05 + 10 × 10 = 100.05
    # as of 1: nothing closed, run-rate 0; month 1 expects 10 - 0.05 = 9.95, 11 more × 10: 0.05 + 119.95 = 120
    got = pl.concat([outturn_by_line(figures, as_of_month=m).select("run_rate", "outturn") for m in (3, 1)])
    assert_frame_equal(got, money_frame({"run_rate": ["0.03", "0"], "outturn": ["100.05", "120"]}))


def test_an_invoice_above_its_po_counts_once_in_full() -> None:
    # PO of 500 for month 2, invoiced 700: the figures model leaves committed 0 and actual 700.
    # As of month 2 (month 1 closed, actual 0: run-rate 0): month 2 expects max(500, 0) - 700 -> 0;
    # the other months have no budget. outturn = 700 + 0 + 0 = 700; outturn variance = 500 - 700 = -200.
    figures = frame(line(1, budget={2: "500"}, actual={2: "700"}))
    assert_frame_equal(
        outturn_by_line(figures, as_of_month=2).select("outturn", "outturn_variance"),
        money_frame({"outturn": ["700"], "outturn_variance": ["-200"]}),
    )
    report = variance_report(figures, level="line", period=FY, as_of_month=2).filter(pl.col("row") == "member")
    expected = money_frame(
        {
            "budget": ["500"],
            "committed": ["0"],
            "actual": ["700"],
            "available": ["-200"],  # 500 - 0 - 700
            "variance": ["-200"],  # 500 - 700
            "variance_pct": ["-40"],  # -200 / 500
        },
        variance_pct=PERCENT,
    )
    assert_frame_equal(report.select(expected.columns), expected)


def test_commitments_and_actuals_in_remaining_months_are_not_counted_twice() -> None:
    # budget 100 a month; closed months 1..3 actual 100 each (run-rate 100); as of month 4:
    # month 4: committed 100 + actual 30 -> expects max(0, 100 - 130) = 0
    # month 5: committed 150 -> 0; month 6: committed 40 -> 60; months 7..12: 6 × 100 = 600
    # outturn = actual 330 + committed 290 + 660 = 1280 (adding all three naively would give 1520)
    figures = frame(
        line(
            1,
            budget="100",
            actual={1: "100", 2: "100", 3: "100", 4: "30"},
            committed={4: "100", 5: "150", 6: "40"},
        )
    )
    assert_frame_equal(
        outturn_by_line(figures, as_of_month=4).select("outturn", "outturn_variance"),
        money_frame({"outturn": ["1280"], "outturn_variance": ["-80"]}),
    )


def test_after_the_fy_the_outturn_is_what_was_spent_and_committed() -> None:
    figures = frame(line(1, budget="100", actual={1: "40"}, committed={12: "25"}))
    assert_frame_equal(
        outturn_by_line(figures, as_of_month=13).select("run_rate", "outturn"),
        money_frame({"run_rate": ["3.33"], "outturn": ["65"]}),  # 40 / 12; 40 + 25, no month remaining
    )


# ---- variance report -------------------------------------------------------------------------------


def test_zero_budget_has_no_variance_percent() -> None:
    figures = frame(line(1, budget="0", actual={1: "50"}))
    report = variance_report(figures, level="tower", period=FY, as_of_month=13)
    expected = pl.DataFrame(
        {"row": ["member", "total"], "variance": [D("-50"), D("-50")], "variance_pct": [None, None]},
        schema={"row": pl.String, "variance": MONEY, "variance_pct": PERCENT},
    )
    assert_frame_equal(report.select("row", "variance", "variance_pct"), expected)


def test_report_by_tower_with_subtotals_and_total_hand_computed() -> None:
    # as of month 13 (FY over): outturn = actual + committed of each line
    figures = frame(
        line(1, budget={1: "100.10"}, actual={1: "33.33"}, tower="Apps", vendor="Acme"),
        line(2, budget={1: "200.20"}, committed={3: "66.67"}, tower="Apps", vendor=None),
        line(3, budget={1: "0.01"}, actual={2: "0.02"}, tower="Infra", vendor="Acme"),
    )
    report = variance_report(figures, level="vendor", period=FY, as_of_month=13, subtotal_by="tower")
    expected = pl.DataFrame(
        {
            "row": ["member", "member", "subtotal", "member", "subtotal", "total"],
            "group": ["Apps", "Apps", "Apps", "Infra", "Infra", None],
            "member": ["(no vendor)", "Acme", None, "Acme", None, None],
            "budget": [D("200.20"), D("100.10"), D("300.30"), D("0.01"), D("0.01"), D("300.31")],
            "committed": [D("66.67"), D("0"), D("66.67"), D("0"), D("0"), D("66.67")],
            "actual": [D("0"), D("33.33"), D("33.33"), D("0.02"), D("0.02"), D("33.35")],
            # budget - committed - actual
            "available": [D("133.53"), D("66.77"), D("200.30"), D("-0.01"), D("-0.01"), D("200.29")],
            # budget - actual
            "variance": [D("200.20"), D("66.77"), D("266.97"), D("-0.01"), D("-0.01"), D("266.96")],
            # variance / budget × 100: 100; 66.7033 -> 66.70; 88.8990 -> 88.90; -100; -100; 88.8947 -> 88.89
            "variance_pct": [D("100"), D("66.70"), D("88.90"), D("-100"), D("-100"), D("88.89")],
            "outturn": [D("66.67"), D("33.33"), D("100.00"), D("0.02"), D("0.02"), D("100.02")],
            "outturn_variance": [D("133.53"), D("66.77"), D("200.30"), D("-0.01"), D("-0.01"), D("200.29")],
        },
        schema={"row": pl.String, "group": pl.String, "member": pl.String}
        | {c: MONEY for c in ("budget", "committed", "actual", "available", "variance")}
        | {"variance_pct": PERCENT, "outturn": MONEY, "outturn_variance": MONEY},
    )
    assert_frame_equal(report, expected)


def test_subtotals_and_total_are_the_exact_sums_of_their_members() -> None:
    # many cent amounts that a float sum would not add up exactly (0.1 + 0.2 ...)
    lines = [
        line(
            i,
            budget=f"{i}.10",
            actual={m: f"0.{(i * m) % 10}{m % 10}" for m in range(1, 13)},
            committed={m: "0.20" for m in range(6, 13)},
            tower=f"T{i % 3}",
            vendor=f"V{i % 4}",
        )
        for i in range(1, 21)
    ]
    report = variance_report(
        frame(*lines), level="line", period=Period("quarter", 2), as_of_month=5, subtotal_by="tower"
    )
    money_columns = [*SUMMED, "available", "variance", "outturn_variance"]
    members = report.filter(pl.col("row") == "member")
    subtotals = report.filter(pl.col("row") == "subtotal")
    for column in money_columns:
        for group, value in zip(subtotals["group"], subtotals[column], strict=True):
            assert value == sum(members.filter(pl.col("group") == group)[column].to_list(), Decimal(0))
        total = report.filter(pl.col("row") == "total")[column].item()
        assert total == sum(members[column].to_list(), Decimal(0)) == sum(subtotals[column].to_list(), Decimal(0))
    assert members.height == 20 and subtotals.height == 3


# ---- thresholds --------------------------------------------------------------------------------------


def test_a_row_is_flagged_only_when_its_variance_exceeds_both_the_percent_and_the_amount() -> None:
    # thresholds: 10 % and 1,000
    report = money_frame(
        {
            "budget": ["100000", "5000", "100000", "10000", "10000", "0"],
            "variance": ["-15000", "2000", "5000", "1000.01", "-1000.01", "1000.01"],
        }
    )
    got = flag(report, pct=Decimal("10"), amount=Decimal("1000"))["flagged"].to_list()
    # 15 % and 15,000: both; 40 % and 2,000: both; 5 %: the amount only; 10.0001 % and 1,000.01: both (either
    # sign); zero budget with 1,000.01: every % is exceeded, and the amount
    assert got == [True, True, False, True, True, True]


def test_a_row_at_or_under_either_threshold_is_not_flagged() -> None:
    # 90 % but 90 <= 1,000; zero budget but exactly 1,000 (not above); exactly 10 % of 20,000 = 2,000 (not above)
    report = money_frame({"budget": ["100", "0", "20000"], "variance": ["-90", "1000", "2000"]})
    assert flag(report, pct=Decimal("10"), amount=Decimal("1000"))["flagged"].to_list() == [False, False, False]


# ---- schema ------------------------------------------------------------------------------------------


def test_the_frame_must_match_the_figures_schema() -> None:
    good = frame(line(1, budget="1"))
    assert validate_figures(good).collect_schema() == FIGURES_SCHEMA
    bad = good.drop("vendor").with_columns(pl.col("actual").cast(pl.Float64))
    with pytest.raises(FiguresSchemaError, match=r"missing column 'vendor'.*'actual' is Float64"):
        validate_figures(bad)
