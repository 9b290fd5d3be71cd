"""Variance report workbook (issue 8, `export variance`): one sheet per level asked, in the order asked.

Each sheet: one header row (`<Level>`, Budget, Committed, Actual, Available, Variance, Variance %, Forecast
Outturn, Outturn Variance, Comment), one row per member, then the totals row, as `domain.analytics.
variance_report` returns them. Cells hold base-currency numbers (no formulas, no lakh scaling; the number
format only displays). Variance % is the report's percentage (12.5 means 12.5 %), empty when the budget is 0.
Text is written as text cells whatever it looks like (styles.safe_text, workbook options that never turn
strings into formulas).

Comment: when the report carries `comment`, `comment_by`, `comment_at` (services.analytics.variance_report
does), a member's cell reads `text (who, 05-Dec-2026)`, so the sheet says who explained the variance and
when; empty without a comment (a missing comment never blocks). Members whose `flagged` is true (|variance|
over both thresholds) have their label and comment cells filled amber, so the rows that need an explanation
stand out, with or without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from opex_app.domain.analytics import LEVELS, Level
from opex_app.domain.export import styles

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
_MAX_ROWS = 1_048_576


def headers(level: Level) -> tuple[str, ...]:
    return (LEVEL_LABELS[level], *VALUE_HEADERS)


def _label(row: str, group: str | None, member: str | None) -> str:
    if row == "total":
        return TOTAL_LABEL
    if row == "subtotal":
        return f"{group} subtotal"
    return member or ""


def comment_text(comment: str | None, by: str | None, at: datetime | None) -> str | None:
    """`text (who, 05-Dec-2026)`; None without a comment."""
    if not comment:
        return None
    who = ", ".join(part for part in (by or "", at.strftime(COMMENT_DATE) if at else "") if part)
    return f"{comment} ({who})" if who else comment


def _notes(report: pl.DataFrame) -> pl.DataFrame:
    """The note columns of `report`, unflagged and uncommented where the report has none."""
    missing = {
        "flagged": pl.lit(False),
        "comment": pl.lit(None, pl.String),
        "comment_by": pl.lit(None, pl.String),
        "comment_at": pl.lit(None, pl.Datetime("us", "UTC")),
    }
    absent = [expr.alias(name) for name, expr in missing.items() if name not in report.columns]
    return report.with_columns(absent).select(pl.col(_NOTE_COLUMNS)).with_columns(pl.col("flagged").fill_null(False))


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


def _write_sheet(wb: Workbook, fmt: _Formats, level: Level, report: pl.DataFrame) -> int:
    """One level's sheet; returns its member rows."""
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
    numbers = report.select("row", "group", "member", *[pl.col(c).cast(pl.Float64) for c in _VALUE_COLUMNS])
    values = pl.concat([numbers, _notes(report)], how="horizontal").iter_rows()
    last = members = 0
    for r, (kind, group, member, *amounts, flagged, comment, by, at) in enumerate(values, start=1):
        last = r
        is_total = kind != "member"
        members += not is_total
        label_fmt = fmt.total_label if is_total else (fmt.flagged_label if flagged else None)
        ws.write_string(r, 0, styles.safe_text(_label(kind, group, member)), label_fmt)
        for c, (name, number) in enumerate(zip(_VALUE_COLUMNS, amounts, strict=True), start=1):
            if number is not None and name == "variance_pct":
                ws.write_number(r, c, number, fmt.total_pct if is_total else fmt.pct)
            elif number is not None:
                ws.write_number(r, c, number, fmt.total_money if is_total else fmt.money)
        note = comment_text(comment, by, at)
        if note is not None:
            ws.write_string(r, comment_col, styles.safe_text(note), fmt.flagged_comment if flagged else fmt.comment)
        elif flagged:
            ws.write_blank(r, comment_col, None, fmt.flagged_comment)
    if last:
        for col in (1 + _VALUE_COLUMNS.index(c) for c in _SIGNED_COLUMNS):
            ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": "<", "value": 0, "format": fmt.red})
            ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": ">", "value": 0, "format": fmt.green})
    return members


def write_variance_workbook(target: str | Path | BinaryIO, reports: Sequence[tuple[Level, pl.DataFrame]]) -> int:
    """Write one sheet per (level, report) in the order given; returns the member rows written in all.

    Nothing is written to `target` when this raises: the workbook is only written by close()."""
    if not reports:
        raise ValueError("a variance workbook needs at least one level")
    for _, report in reports:
        if report.height + 1 > _MAX_ROWS:
            raise ValueError(f"too many rows for one Excel sheet (max {_MAX_ROWS - 1})")
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    fmt = _formats(wb)
    members = sum(_write_sheet(wb, fmt, level, report) for level, report in reports)
    wb.close()
    return members
