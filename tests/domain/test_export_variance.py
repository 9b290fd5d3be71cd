"""The variance workbook (issue 8 `export variance` contract): sheets in the order asked and nothing else,
the header row exactly, numbers (never formulas) per member, and the totals row; the Comment column with who
and when, flagged members highlighted. Figures are hand-computed in the comments."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import polars as pl
import pytest

from opex_app.domain.analytics import FIGURES_SCHEMA, FY, variance_report
from opex_app.domain.export.variance_workbook import comment_text, write_variance_workbook

INJECTION = '=HYPERLINK("http://evil","x")'


def _line(line_id: int, *, budget: str, tower: str, vendor: str | None, committed=None, actual=None) -> list[dict]:
    return [
        {
            "budget_line_id": line_id,
            "fiscal_month": m,
            "budget_base": Decimal(budget),
            "committed": Decimal((committed or {}).get(m, "0")),
            "actual": Decimal((actual or {}).get(m, "0")),
            "uid": f"VW-{line_id}",
            "tower": tower,
            "budget_head": "Licences",
            "cost_centre": "CC1",
            "vendor": vendor,
            "entity": "India Pvt Ltd",
        }
        for m in range(1, 13)
    ]


# Infra line: 100 a month (1200), committed 200 in month 3, actual 150 in month 1.
# App line: 50 a month (600), actual 700 in month 2 (over budget), no vendor.
FIGURES = pl.DataFrame(
    _line(1, budget="100", tower="Infra", vendor=INJECTION, committed={3: "200"}, actual={1: "150"})
    + _line(2, budget="50", tower="App", vendor=None, actual={2: "700"}),
    schema=FIGURES_SCHEMA,
)
HEADER = [
    "Budget",
    "Committed",
    "Actual",
    "Available",
    "Variance",
    "Variance %",
    "Forecast Outturn",
    "Outturn Variance",
    "Comment",
]


def _workbook(levels: list) -> openpyxl.Workbook:
    # as of month 13 (after the FY): every month closed, so outturn = actual + committed
    reports = [(lv, variance_report(FIGURES, level=lv, period=FY, as_of_month=13)) for lv in levels]
    buf = io.BytesIO()
    write_variance_workbook(buf, reports)
    buf.seek(0)
    return openpyxl.load_workbook(buf)


def _rows(ws) -> list[list[object]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_sheets_in_the_order_asked_and_nothing_before_them() -> None:
    assert _workbook(["vendor", "tower", "line"]).sheetnames == ["Vendor", "Tower", "Line"]
    assert _workbook(["budget_head", "cost_centre"]).sheetnames == ["Budget Head", "Cost Centre"]


def test_header_members_and_totals_are_numbers() -> None:
    ws = _workbook(["tower"])["Tower"]
    rows = _rows(ws)
    assert rows[0] == ["Tower", *HEADER]
    # App:   600 budget, 0 committed, 700 actual: available -100, variance -100, -16.67 %, outturn 700 (-100)
    # Infra: 1200, 200, 150: available 850, variance 1050, 87.5 %, outturn 350 (850)
    # Total: 1800, 200, 850: available 750, variance 950, 950/1800 = 52.78 %, outturn 1050 (750)
    assert rows[1:] == [
        ["App", 600, 0, 700, -100, -100, -16.67, 700, -100, None],
        ["Infra", 1200, 200, 150, 850, 1050, 87.5, 350, 850, None],
        ["Total", 1800, 200, 850, 750, 950, 52.78, 1050, 750, None],
    ]
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=9):
        assert all(cell.data_type == "n" for cell in row)  # numbers, never formulas ('f') or text
    assert ws.freeze_panes == "B2"
    assert ws.conditional_formatting  # variance is coloured by sign


def test_text_is_never_a_formula_and_empty_dimensions_are_named() -> None:
    ws = _workbook(["vendor"])["Vendor"]
    labels = [ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)]
    assert [c.value for c in labels] == ["(no vendor)", INJECTION, "Total"]
    assert all(c.data_type == "s" for c in labels)


def test_no_level_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one level"):
        write_variance_workbook(io.BytesIO(), [])


def test_comments_with_who_and_when_and_flagged_members_highlighted() -> None:
    # the note columns services.analytics.variance_report adds: App flagged with a comment, Infra flagged
    # without one (a missing comment never blocks), the total row never
    report = variance_report(FIGURES, level="tower", period=FY, as_of_month=13).with_columns(
        flagged=pl.Series([True, True, False]),
        comment=pl.Series(["Over: a one-off licence", None, None]),
        comment_by=pl.Series(["ana@example.com", None, None]),
        comment_at=pl.Series([datetime(2026, 12, 5, 9, 30, tzinfo=UTC), None, None]),
    )
    buf = io.BytesIO()
    assert write_variance_workbook(buf, [("tower", report)]) == 2
    buf.seek(0)
    ws = openpyxl.load_workbook(buf)["Tower"]
    rows = _rows(ws)
    assert rows[0] == ["Tower", *HEADER]
    assert [r[9] for r in rows[1:]] == ["Over: a one-off licence (ana@example.com, 05-Dec-2026)", None, None]
    assert rows[1][:9] == ["App", 600, 0, 700, -100, -100, -16.67, 700, -100]  # the figures are unchanged
    amber = [ws.cell(row=r, column=1).fill.fgColor.rgb[-6:] == "FFEB9C" for r in (2, 3, 4)]
    assert amber == [True, True, False]
    assert ws.cell(row=3, column=10).fill.fgColor.rgb[-6:] == "FFEB9C"  # the comment asked for stands out


def test_comment_text() -> None:
    at = datetime(2027, 1, 2, 23, 59, tzinfo=UTC)
    assert comment_text("Why", "a@b.c", at) == "Why (a@b.c, 02-Jan-2027)"
    assert comment_text("Why", None, None) == "Why"
    assert comment_text(None, "a@b.c", at) is None
    assert comment_text("", "a@b.c", at) is None
