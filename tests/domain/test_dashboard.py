"""domain/analytics/dashboard on a small hand-computed fixture (issue 8). Every expected figure is worked out
in the comments, not by the code under test.

The fixture, as of fiscal month 4 (months 1..3 closed):
- line 1, Infra / Acme: budget 100 every month (FY 1200); committed 300 in month 5; actual 80, 100, 120 in
  months 1..3. Run-rate 300 / 3 = 100; remaining months 4..12 expect 100 each, month 5 is covered by its 300
  committed: outturn = 300 + 300 + 8 × 100 = 1400.
- line 2, Infra / Beta, an invoice above its PO: budget 500 in month 1 only; committed 0 (the PO is fully
  invoiced); actual 650 in month 2. Run-rate 650 / 3 = 216.666… → 216.67 above a 0 budget in months 4..12:
  outturn = 650 + 0 + 9 × 216.67 = 2600.03.
- line 3, no tower / no vendor, budget_base null (no budget rate): committed 50 and actual 30 in month 4.
  Run-rate 0, null budget counts 0: outturn = 30 + 50 = 80.
- line 4, Apps / Acme: budget 200 in months 1..6 (FY 1200); actual 50 in month 1. Run-rate 50 / 3 → 16.67;
  months 4..6 expect 200, months 7..12 16.67: outturn = 50 + 600 + 6 × 16.67 = 750.02.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from opex_app.domain.analytics import (
    FIGURES_SCHEMA,
    MONEY,
    Kpis,
    by_tower,
    cumulative_by_month,
    dashboard_figures,
    kpis,
    top_vendors,
    tower_month_utilisation,
)
from opex_app.domain.analytics.variance import PERCENT
from tests.domain.test_analytics import D, frame, line

AS_OF = 4


def fixture() -> pl.DataFrame:
    figures = frame(
        line(1, budget="100", committed={5: "300"}, actual={1: "80", 2: "100", 3: "120"}),
        line(2, budget={1: "500"}, actual={2: "650"}, vendor="Beta"),
        line(3, committed={4: "50"}, actual={4: "30"}, tower=None, vendor=None),
        line(4, budget=dict.fromkeys(range(1, 7), "200"), actual={1: "50"}, tower="Apps"),
    )
    null_budget = pl.when(pl.col("budget_line_id") == 3).then(None).otherwise(pl.col("budget_base"))
    return figures.with_columns(null_budget.cast(MONEY).alias("budget_base"))


def expected_frame(
    data: dict[str, list[object]], *, text: tuple[str, ...] = (), ints: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Columns are Decimal(18,2) (utilisation_pct: PERCENT) given as numbers, unless named in `text` or `ints`."""
    schema = {k: pl.String if k in text else pl.Int64 if k in ints else MONEY for k in data}
    schema |= {k: PERCENT for k in data if k == "utilisation_pct"}
    values = {
        k: v if k in text or k in ints else [None if x is None else D(str(x)) for x in v] for k, v in data.items()
    }
    return pl.DataFrame(values, schema=schema)


def test_kpis_hand_computed() -> None:
    assert kpis(fixture(), as_of_month=AS_OF) == Kpis(
        budget=D("2900"),  # 1200 + 500 + 0 (null) + 1200
        committed=D("350"),  # 300 + 0 + 50 + 0
        actual=D("1030"),  # 300 + 650 + 30 + 50
        available=D("1520"),  # 2900 - 350 - 1030
        utilisation_pct=Decimal("35.52"),  # 1030 / 2900 × 100 = 35.517… → 35.52
        outturn=D("4830.05"),  # 1400 + 2600.03 + 80 + 750.02
        outturn_variance=D("-1930.05"),  # 2900 - 4830.05
    )


def test_by_tower_sorted_by_budget_then_name() -> None:
    expected = expected_frame(
        {
            "tower": ["Infra", "Apps", "(no tower)"],
            "budget": ["1700", "1200", "0"],  # Infra: 1200 + 500
            "committed": ["300", "0", "50"],
            "actual": ["950", "50", "30"],  # Infra: 300 + 650, above its budget share of line 2
            "available": ["450", "1150", "-80"],  # 1700 - 300 - 950; 1200 - 50; 0 - 50 - 30
        },
        text=("tower",),
    )
    assert_frame_equal(by_tower(fixture()), expected)


def test_by_tower_breaks_a_budget_tie_by_name() -> None:
    figures = frame(line(1, budget="10", tower="Zeta"), line(2, budget="10", tower="Alpha"))
    assert by_tower(figures)["tower"].to_list() == ["Alpha", "Zeta"]


def test_cumulative_by_month_has_twelve_months() -> None:
    # month budgets: 800 (100 + 500 + 200), 300 × 5 (100 + 200), 100 × 6
    # month actuals: 130 (80 + 50), 750 (100 + 650), 120, 30; committed: 50 in month 4, 300 in month 5
    expected = expected_frame(
        {
            "fiscal_month": list(range(1, 13)),
            "budget_cum": [800, 1100, 1400, 1700, 2000, 2300, 2400, 2500, 2600, 2700, 2800, 2900],
            "actual_cum": [130, 880, 1000, 1030, *[1030] * 8],
            "committed_cum": [0, 0, 0, 50, *[350] * 8],
            "spent_cum": [130, 880, 1000, 1080, *[1380] * 8],
        },
        ints=("fiscal_month",),
    )
    assert_frame_equal(cumulative_by_month(fixture()), expected)


def test_top_vendors_by_actual_null_labelled() -> None:
    expected = expected_frame(
        {"vendor": ["Beta", "Acme", "(no vendor)"], "actual": ["650", "350", "30"]},  # Acme: 300 + 50
        text=("vendor",),
    )
    assert_frame_equal(top_vendors(fixture()), expected)


def test_top_vendors_keeps_ten_ties_by_name_and_leaves_out_vendors_without_actual() -> None:
    # vendors V00..V11 spend 5 each except V00 (0) and V11 (99): V11 first, then nine of the ties by name
    spends = {f"V{i:02d}": "5" for i in range(12)} | {"V00": "0", "V11": "99"}
    figures = frame(*(line(i, actual={1: spent}, vendor=v) for i, (v, spent) in enumerate(spends.items())))
    assert top_vendors(figures)["vendor"].to_list() == ["V11", *[f"V{i:02d}" for i in range(1, 10)]]


def test_tower_month_utilisation_every_tower_and_month() -> None:
    no_tower = {"budget": [0] * 12, "actual": [0, 0, 0, 30, *[0] * 8], "utilisation_pct": [None] * 12}
    apps = {  # budget 200 in months 1..6; actual 50 in month 1 (25%); no budget, no ratio, from month 7
        "budget": [*[200] * 6, *[0] * 6],
        "actual": [50, *[0] * 11],
        "utilisation_pct": ["25", *["0"] * 5, *[None] * 6],
    }
    infra = {  # budget 600 (100 + 500) then 100; actual 80, 750 (100 + 650), 120
        "budget": [600, *[100] * 11],
        "actual": [80, 750, 120, *[0] * 9],
        "utilisation_pct": ["13.33", "750", "120", *["0"] * 9],  # 80 / 600 = 13.333…
    }
    towers = {"(no tower)": no_tower, "Apps": apps, "Infra": infra}
    expected = expected_frame(
        {
            "tower": [name for name in towers for _ in range(12)],
            "fiscal_month": list(range(1, 13)) * 3,
            **{col: [x for t in towers.values() for x in t[col]] for col in ("budget", "actual", "utilisation_pct")},
        },
        text=("tower",),
        ints=("fiscal_month",),
    )
    assert_frame_equal(tower_month_utilisation(fixture()), expected)


def test_dashboard_figures_equal_the_single_functions() -> None:
    figures = fixture()
    got = dashboard_figures(figures.lazy(), as_of_month=AS_OF)
    assert got.kpis == kpis(figures, as_of_month=AS_OF)
    assert_frame_equal(got.by_tower, by_tower(figures))
    assert_frame_equal(got.cumulative, cumulative_by_month(figures))
    assert_frame_equal(got.top_vendors, top_vendors(figures))
    assert_frame_equal(got.tower_month, tower_month_utilisation(figures))


def test_an_empty_frame_gives_zeros_and_no_ratio() -> None:
    got = dashboard_figures(pl.DataFrame(schema=FIGURES_SCHEMA), as_of_month=AS_OF)
    zero = D("0")
    assert got.kpis == Kpis(zero, zero, zero, zero, None, zero, zero)
    assert got.by_tower.is_empty() and got.top_vendors.is_empty() and got.tower_month.is_empty()
    assert got.cumulative["fiscal_month"].to_list() == list(range(1, 13))
    assert set(got.cumulative.select(pl.exclude("fiscal_month").sum()).row(0)) == {zero}
