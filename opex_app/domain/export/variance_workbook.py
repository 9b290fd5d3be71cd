"""Variance report workbook (issue 8, `export variance`): one sheet per level asked, in the order asked.

Each sheet: one header row (`<Level>`, Budget, Committed, Actual, Available, Variance, Variance %, Forecast
Outturn, Outturn Variance, Comment), one row per member, then the totals row, as `domain.analytics.
variance_report` returns them. Cells hold base-currency numbers (no formulas, no lakh scaling; the number
format only displays). Variance % is the report's percentage (12.5 means 12.5 %), empty when the budget is 0.
Text is written as text cells whatever it looks like (styles.safe_text, workbook options that never turn
strings into formulas). Comments stay empty until a comment store exists; a missing comment never blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import polars as pl

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
_FLAGGED_COLUMNS = ("variance", "variance_pct", "outturn_variance")  # red below 0, green above
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


def write_variance_workbook(target: str | Path | BinaryIO, reports: Sequence[tuple[Level, pl.DataFrame]]) -> int:
    """Write one sheet per (level, report) in the order given; returns the member rows written in all.

    Nothing is written to `target` when this raises: the workbook is only written by close()."""
    if not reports:
        raise ValueError("a variance workbook needs at least one level")
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    fmts = styles.add_formats(wb)
    total_money = wb.add_format({"num_format": styles.MONEY_FORMAT, "bold": True, "top": 1})
    total_pct = wb.add_format({"num_format": PERCENT_FORMAT, "bold": True, "top": 1})
    total_label = wb.add_format({"bold": True, "top": 1})
    pct = wb.add_format({"num_format": PERCENT_FORMAT})
    red = wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
    green = wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
    members = 0
    for level, report in reports:
        if report.height + 1 > _MAX_ROWS:
            raise ValueError(f"too many rows for one Excel sheet (max {_MAX_ROWS - 1})")
        head = headers(level)
        ws = wb.add_worksheet(LEVEL_LABELS[level])
        ws.set_column(0, 0, max(styles.column_width(head[0]), 18.0))
        ws.set_column(1, len(_VALUE_COLUMNS), 16.0)
        ws.set_column(len(head) - 1, len(head) - 1, styles.column_width("Remarks"))
        ws.freeze_panes(1, 1)
        ws.set_row(0, 30)
        for col, text in enumerate(head):
            ws.write_string(0, col, text, fmts.header)
        values = report.select(
            "row", "group", "member", *[pl.col(c).cast(pl.Float64) for c in _VALUE_COLUMNS]
        ).iter_rows()
        last = 0
        for r, (kind, group, member, *numbers) in enumerate(values, start=1):
            last = r
            is_total = kind != "member"
            members += not is_total
            ws.write_string(r, 0, styles.safe_text(_label(kind, group, member)), total_label if is_total else None)
            for c, (name, number) in enumerate(zip(_VALUE_COLUMNS, numbers, strict=True), start=1):
                if number is None:
                    continue
                if name == "variance_pct":
                    ws.write_number(r, c, number, total_pct if is_total else pct)
                else:
                    ws.write_number(r, c, number, total_money if is_total else fmts.money)
        if last:
            for col in (1 + _VALUE_COLUMNS.index(c) for c in _FLAGGED_COLUMNS):
                ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": "<", "value": 0, "format": red})
                ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": ">", "value": 0, "format": green})
    wb.close()
    return members
