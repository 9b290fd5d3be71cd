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
from opex_app.domain.export.variance_workbook import comment_expr, write_variance_workbook

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


def _comment(comment: str | None, by: str | None, at: datetime | None) -> str | None:
    notes = pl.DataFrame(
        {"comment": [comment], "comment_by": [by], "comment_at": [at]},
        schema={"comment": pl.String, "comment_by": pl.String, "comment_at": pl.Datetime("us", "UTC")},
    )
    return notes.select(comment_expr()).item()


def test_comment_text() -> None:
    at = datetime(2027, 1, 2, 23, 59, tzinfo=UTC)
    assert _comment("Why", "a@b.c", at) == "Why (a@b.c, 02-Jan-2027)"
    assert _comment("Why", None, at) == "Why (02-Jan-2027)"
    assert _comment("Why", "", None) == "Why"
    assert _comment("Why", None, None) == "Why"
    assert _comment(None, "a@b.c", at) is None
    assert _comment("", "a@b.c", at) is None


def _report_frame(rows: list[tuple], notes: list[tuple]) -> pl.DataFrame:
    """A line-level report by hand: (row, group, member, budget, variance, variance %) and (flagged, comment)."""
    money = pl.Decimal(18, 2)
    frame = pl.DataFrame(
        rows, schema={"row": pl.String, "group": pl.String, "member": pl.String, "budget": money}, orient="row"
    )
    flagged, comment = zip(*notes, strict=True)
    return frame.with_columns(
        committed=pl.lit(Decimal("0"), money),
        actual=pl.lit(Decimal("0"), money),
        available=pl.col("budget"),
        variance=pl.col("budget"),
        variance_pct=pl.when(pl.col("budget") != 0).then(pl.lit(Decimal("100"), pl.Decimal(38, 2))),
        outturn=pl.lit(Decimal("0"), money),
        outturn_variance=pl.col("budget"),
        flagged=pl.Series(flagged, dtype=pl.Boolean),
        comment=pl.Series(comment, dtype=pl.String),
        comment_by=pl.lit("x@y.z"),
        comment_at=pl.lit(datetime(2026, 12, 5, tzinfo=UTC)),
    )


HOSTILE = [
    "<r><t>rich?</t></r>",  # xlsxwriter would write this verbatim as rich-text XML
    "a & b <c> _x0041_",  # XML specials and a literal that reads as an Excel escape
    "tab\tbell\x07cr\r",  # control characters
    "@SUM(1)",
    "+1",
]


def test_text_is_kept_exactly_whatever_it_looks_like_and_reads_back_with_fastexcel(tmp_path) -> None:
    rows = [("member", None, text, Decimal("1.50")) for text in HOSTILE] + [("total", None, None, Decimal("7.50"))]
    notes = [(False, text) for text in HOSTILE] + [(False, None)]
    out = tmp_path / "v.xlsx"
    assert write_variance_workbook(out, [("line", _report_frame(rows, notes))]) == 5
    ws = openpyxl.load_workbook(out)["Line"]
    labels = [ws.cell(row=r, column=1) for r in range(2, 8)]
    assert all(c.data_type == "s" for c in labels)  # text, never formulas
    # openpyxl does not undo Excel's _xHHHH_ escapes; fastexcel (calamine) reads the text as Excel does
    assert [labels[i].value for i in (0, 3, 4, 5)] == [HOSTILE[0], *HOSTILE[3:], "Total"]
    read = pl.read_excel(out, sheet_name="Line", engine="calamine")
    assert read.columns == ["Line", *HEADER]
    assert read["Line"].to_list() == [*HOSTILE, "Total"]
    assert read["Comment"].to_list() == [f"{t} (x@y.z, 05-Dec-2026)" for t in HOSTILE] + [None]
    assert read["Budget"].to_list() == [1.5] * 5 + [7.5]


def test_styles_subtotals_empty_percentages_and_an_empty_flagged_label(tmp_path) -> None:
    rows = [
        ("member", "Infra", "", Decimal("100")),  # no label, flagged: the empty cell is still amber
        ("member", "Infra", "L2", Decimal("0")),  # budget 0: Variance % empty
        ("subtotal", "Infra", None, Decimal("100")),
        ("total", None, None, Decimal("100")),
    ]
    notes = [(True, None), (False, "ok"), (False, None), (False, None)]
    out = tmp_path / "v.xlsx"
    assert write_variance_workbook(out, [("line", _report_frame(rows, notes))]) == 2
    ws = openpyxl.load_workbook(out)["Line"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 6)] == [None, "L2", "Infra subtotal", "Total"]
    assert ws.cell(row=2, column=1).fill.fgColor.rgb[-6:] == "FFEB9C"
    assert ws.cell(row=2, column=10).fill.fgColor.rgb[-6:] == "FFEB9C"  # flagged, no comment yet
    assert ws.cell(row=3, column=10).alignment.wrap_text and ws.cell(row=3, column=10).fill.fgColor.rgb[-6:] != (
        "FFEB9C"
    )
    assert [ws.cell(row=r, column=7).value for r in range(2, 6)] == [100, None, 100, 100]
    assert ws.cell(row=2, column=2).number_format == "#,##0.00"
    assert ws.cell(row=2, column=7).number_format == "0.00"
    assert not ws.cell(row=2, column=2).font.b
    assert all(ws.cell(row=5, column=c).font.b for c in (1, 2, 7))  # the totals row is bold, ruled above
    assert ws.cell(row=5, column=2).border.top.style == "thin"
    assert ws.dimensions == "A1:J5"
    ranges = sorted(str(cf.sqref) for cf in ws.conditional_formatting)
    assert ranges == ["F2:F5", "G2:G5", "I2:I5"]  # Variance, Variance %, Outturn Variance


def test_the_private_xlsxwriter_call_the_fast_rows_rely_on() -> None:
    # fast_rows.style_id wraps Format._get_xf_index (what xlsxwriter calls itself in constant_memory mode):
    # an xlsxwriter upgrade that renames it fails here, not in a customer's export
    from xlsxwriter.workbook import Workbook

    from opex_app.domain.export import fast_rows

    wb = Workbook(io.BytesIO())
    first, second = wb.add_format({"bold": True}), wb.add_format({"italic": True})
    assert fast_rows.style_id(first) == 1 and fast_rows.style_id(second) == 2  # 0 is the default style
    assert fast_rows.style_id(first) == 1
    wb.close()


def test_a_big_line_sheet_keeps_every_row_in_order(tmp_path) -> None:
    # more rows than one render slice: rows are numbered across slices
    count = 4_500
    rows = [("member", None, f"L{i:05d}", Decimal(i)) for i in range(count)]
    report = _report_frame([*rows, ("total", None, None, Decimal(sum(range(count))))], [(False, None)] * (count + 1))
    out = tmp_path / "big.xlsx"
    assert write_variance_workbook(out, [("tower", report.head(3)), ("line", report)]) == 3 + count
    read = pl.read_excel(out, sheet_name="Line", engine="calamine")
    assert read.height == count + 1
    assert read["Line"].to_list() == [f"L{i:05d}" for i in range(count)] + ["Total"]
    assert read["Budget"][-1] == sum(range(count))
    assert pl.read_excel(out, sheet_name="Tower", engine="calamine")["Tower"].to_list() == [
        "L00000",
        "L00001",
        "L00002",
    ]
