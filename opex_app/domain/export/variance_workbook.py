"""Variance report workbook (issue 8, `export variance`): one sheet per level asked, in the order asked.

Each sheet: one header row (`<Level>`, Budget, Committed, Actual, Available, Variance, Variance %, Forecast
Outturn, Outturn Variance, Comment), one row per member, then the totals row, as `domain.analytics.
variance_report` returns them. Cells hold base-currency numbers (no formulas, no lakh scaling; the number
format only displays). Variance % is the report's percentage (12.5 means 12.5 %), empty when the budget is 0.
Text is written as inline-string cells, XML-escaped, whatever it looks like (`=...` stays text: never a
formula, URL or number).

Comment: when the report carries `comment`, `comment_by`, `comment_at` (services.analytics.variance_report
does), a member's cell reads `text (who, 05-Dec-2026)`, so the sheet says who explained the variance and
when; empty without a comment (a missing comment never blocks). Members whose `flagged` is true (|variance|
over both thresholds) have their label and comment cells filled amber, so the rows that need an explanation
stand out, with or without one.

Speed: the member rows are rendered as XML by Polars and spliced in (domain/export/fast_rows, as for the
budget export); xlsxwriter builds the rest (header, widths, frozen panes, conditional formats, styles).
A 100,000-line sheet took ~7.8 s of CPU cell by cell, ~1.6 s so (tests/benchmarks/bench_export_variance.py).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook

from opex_app.domain.analytics import LEVELS, Level
from opex_app.domain.export import fast_rows, styles

LEVEL_LABELS: dict[Level, str] = {
    "line": "Line",
    "tower": "Tower",
    "budget_head": "Budget Head",
    "cost_centre": "Cost Centre",
    "vendor": "Vendor",
}
assert tuple(LEVEL_LABELS) == LEVELS
VALUE_HEADERS = (
    "Budget",
    "Committed",
    "Actual",
    "Available",
    "Variance",
    "Variance %",
    "Forecast Outturn",
    "Outturn Variance",
    "Comment",
)
# report column of each value header (Comment has none yet)
_VALUE_COLUMNS = (
    "budget",
    "committed",
    "actual",
    "available",
    "variance",
    "variance_pct",
    "outturn",
    "outturn_variance",
)
_SIGNED_COLUMNS = ("variance", "variance_pct", "outturn_variance")  # red below 0, green above
_NOTE_COLUMNS = ("flagged", "comment", "comment_by", "comment_at")  # optional: services.analytics adds them
COMMENT_DATE = "%d-%b-%Y"
TOTAL_LABEL = "Total"
PERCENT_FORMAT = "0.00"


def headers(level: Level) -> tuple[str, ...]:
    return (LEVEL_LABELS[level], *VALUE_HEADERS)


def comment_expr() -> pl.Expr:
    """`text (who, 05-Dec-2026)` from the note columns; null without a comment (null or empty)."""
    comment = pl.col("comment")
    who = pl.concat_str(
        [pl.col("comment_by").replace("", None), pl.col("comment_at").dt.strftime(COMMENT_DATE)],
        separator=", ",
        ignore_nulls=True,
    )
    with_who = pl.when(who.fill_null("") == "").then(comment).otherwise(pl.format("{} ({})", comment, who))
    return pl.when(comment.is_null() | (comment == "")).then(None).otherwise(with_who)


def _notes(report: pl.DataFrame) -> pl.DataFrame:
    """The note columns of `report`, unflagged and uncommented where the report has none."""
    missing = {
        "flagged": pl.lit(False),
        "comment": pl.lit(None, pl.String),
        "comment_by": pl.lit(None, pl.String),
        "comment_at": pl.lit(None, pl.Datetime("us", "UTC")),
    }
    absent = [expr.alias(name) for name, expr in missing.items() if name not in report.columns]
    return report.with_columns(absent).with_columns(pl.col("flagged").fill_null(False))


@dataclass(frozen=True)
class _Formats:
    money: Format
    pct: Format
    total_money: Format
    total_pct: Format
    total_label: Format
    flagged_label: Format
    flagged_comment: Format
    comment: Format
    red: Format
    green: Format
    header: Format


def _formats(wb: Workbook) -> _Formats:
    amber = "#FFEB9C"
    return _Formats(
        money=wb.add_format({"num_format": styles.MONEY_FORMAT}),
        pct=wb.add_format({"num_format": PERCENT_FORMAT}),
        total_money=wb.add_format({"num_format": styles.MONEY_FORMAT, "bold": True, "top": 1}),
        total_pct=wb.add_format({"num_format": PERCENT_FORMAT, "bold": True, "top": 1}),
        total_label=wb.add_format({"bold": True, "top": 1}),
        flagged_label=wb.add_format({"bg_color": amber, "bold": True}),
        flagged_comment=wb.add_format({"bg_color": amber, "text_wrap": True, "valign": "top"}),
        comment=wb.add_format({"text_wrap": True, "valign": "top"}),
        red=wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        green=wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"}),
        header=wb.add_format(styles.HEADER_STYLE),
    )


@dataclass(frozen=True)
class _Styles:
    """Style ids (fast_rows.style_id) of the cells rendered outside xlsxwriter."""

    money: int
    pct: int
    total_money: int
    total_pct: int
    total_label: int
    flagged_label: int
    flagged_comment: int
    comment: int


def _styles(fmt: _Formats) -> _Styles:
    ids = {name: fast_rows.style_id(getattr(fmt, name)) for name in _Styles.__dataclass_fields__}
    return _Styles(**ids)


def _label() -> pl.Expr:
    kind = pl.col("row")
    subtotal = pl.format("{} subtotal", pl.col("group"))
    return (
        pl.when(kind == "total")
        .then(pl.lit(TOTAL_LABEL))
        .when(kind == "subtotal")
        .then(subtotal)
        .otherwise(pl.col("member").fill_null(""))
    )


def _render_rows(frame: pl.DataFrame, first_row: int, ids: _Styles) -> bytes:
    """The <row> XML of one slice of a report (with its note columns), starting at Excel row `first_row`."""
    row = fast_rows.excel_row(first_row)
    is_total = pl.col("row") != "member"
    flagged = pl.col("flagged")
    label, note = _label(), comment_expr()
    controls = fast_rows.has_controls(frame, [label, note])
    label_style = pl.when(is_total).then(ids.total_label).when(flagged).then(ids.flagged_label)
    cells = [
        fast_rows.text_cell(0, row, fast_rows.xml_text(label.replace("", None), controls), label_style),
        fast_rows.blank_cell(0, row, pl.when(label == "").then(label_style)),  # an empty label keeps its fill
    ]
    for col, name in enumerate(_VALUE_COLUMNS, start=1):
        plain, total = (ids.pct, ids.total_pct) if name == "variance_pct" else (ids.money, ids.total_money)
        cells.append(fast_rows.value_cell(col, row, pl.when(is_total).then(total).otherwise(plain), pl.col(name)))
    comment_col = len(_VALUE_COLUMNS) + 1
    comment_style = pl.when(flagged).then(ids.flagged_comment).otherwise(ids.comment)
    cells.append(fast_rows.text_cell(comment_col, row, fast_rows.xml_text(note, controls), comment_style))
    cells.append(fast_rows.blank_cell(comment_col, row, pl.when(flagged & note.is_null()).then(ids.flagged_comment)))
    return fast_rows.render(frame, row, cells)


def _setup_sheet(wb: Workbook, fmt: _Formats, level: Level, rows: int) -> None:
    """The sheet xlsxwriter writes: widths, frozen header, the header row and the variance colours."""
    head = headers(level)
    ws = wb.add_worksheet(LEVEL_LABELS[level])
    ws.set_column(0, 0, max(styles.column_width(head[0]), 18.0))
    ws.set_column(1, len(_VALUE_COLUMNS), 16.0)
    comment_col = len(head) - 1
    ws.set_column(comment_col, comment_col, styles.column_width("Remarks"))
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    for col, text in enumerate(head):
        ws.write_string(0, col, text, fmt.header)
    if rows:
        for col in (1 + _VALUE_COLUMNS.index(c) for c in _SIGNED_COLUMNS):
            ws.conditional_format(1, col, rows, col, {"type": "cell", "criteria": "<", "value": 0, "format": fmt.red})
            ws.conditional_format(1, col, rows, col, {"type": "cell", "criteria": ">", "value": 0, "format": fmt.green})


def _spool_sheet(report: pl.DataFrame, ids: _Styles, spool: BinaryIO) -> fast_rows.SpooledSheet:
    """Render a report's rows to `spool`, a slice at a time (bounds the XML in memory)."""
    missing = [c for c in ("row", "group", "member", *_VALUE_COLUMNS) if c not in report.columns]
    if missing:
        raise ValueError(f"variance report is missing columns: {', '.join(missing)}")
    frame = _notes(report)
    for offset, part in enumerate(frame.iter_slices(fast_rows.RENDER_SLICE)):
        spool.write(_render_rows(part, 2 + offset * fast_rows.RENDER_SLICE, ids))
    return fast_rows.SpooledSheet(spool, f"{xl_col_to_name(len(VALUE_HEADERS))}{report.height + 1}")


def write_variance_workbook(target: str | Path | BinaryIO, reports: Sequence[tuple[Level, pl.DataFrame]]) -> int:
    """Write one sheet per (level, report) in the order given; returns the member rows written in all.

    Nothing is written to `target` when this raises: the workbook is only written by close()."""
    if not reports:
        raise ValueError("a variance workbook needs at least one level")
    for _, report in reports:
        if report.height + 1 > fast_rows.MAX_ROWS:
            raise ValueError(f"too many rows for one Excel sheet (max {fast_rows.MAX_ROWS - 1})")
    skeleton = io.BytesIO()
    wb = styles.open_workbook(skeleton, styles.WORKBOOK_OPTIONS)
    fmt = _formats(wb)
    ids = _styles(fmt)
    for level, report in reports:
        _setup_sheet(wb, fmt, level, report.height)
    with ExitStack() as stack:
        spools = [stack.enter_context(tempfile.TemporaryFile()) for _ in reports]
        sheets = {i: _spool_sheet(report, ids, spools[i]) for i, (_, report) in enumerate(reports)}
        wb.close()
        fast_rows.splice_rows(skeleton.getvalue(), sheets, target)
    return sum(report.filter(pl.col("row") == "member").height for _, report in reports)
