"""Shared look of every workbook the app writes: formats, widths and workbook options.

Formats are created once per workbook (``add_formats``) and reused for every cell; creating
a format per cell is slow and bloats the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

# Money: western grouping with two decimals. An Indian-grouping format built from conditional
# sections ([>=10000000]...;[>=100000]...;...) cannot also group negatives (Excel allows only two
# conditions), so -1,50,000.00 would show as -150,000.00. Lakh/crore stays a display option of the app.
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "dd-mmm-yyyy"
DATETIME_FORMAT = "dd-mmm-yyyy hh:mm"

HEADER_STYLE: dict[str, Any] = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1F4E78",
    "border": 1,
    "border_color": "#BFBFBF",
    "align": "center",
    "valign": "vcenter",
    "text_wrap": True,
}
TITLE_STYLE: dict[str, Any] = {"bold": True, "font_size": 14}

# Column widths (Excel character units) by header; anything not listed gets DEFAULT_WIDTH.
DEFAULT_WIDTH = 14.0
MONEY_WIDTH = 14.0
DATE_WIDTH = 13.0
WIDTHS: dict[str, float] = {
    "UID": 18.0,
    "Parent UID": 18.0,
    "Description": 40.0,
    "Tower": 18.0,
    "Budget Head": 22.0,
    "Cost Centre": 16.0,
    "Vendor": 26.0,
    "Entity": 16.0,
    "Currency": 10.0,
    "Service Start": DATE_WIDTH,
    "Service End": DATE_WIDTH,
    "FY Total": 16.0,
    "Remarks": 50.0,
    # error report
    "Sheet": 14.0,
    "Cell": 9.0,
    "Row": 8.0,
    "Column": 18.0,
    "Value": 30.0,
    "Message": 80.0,
}

# Workbook() options for every export. Strings are never turned into formulas, URLs or numbers,
# even by a stray write(); constant_memory streams rows to disk so memory stays flat.
STREAMING_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
WORKBOOK_OPTIONS: dict[str, Any] = {k: v for k, v in STREAMING_OPTIONS.items() if k != "constant_memory"}


def open_workbook(target: str | Path | BinaryIO, options: dict[str, Any]) -> Workbook:
    """A Workbook writing to a path or a binary file object (nothing is written before close())."""
    return Workbook(str(target) if isinstance(target, Path) else target, options)


def column_width(header: str) -> float:
    return WIDTHS.get(header, DEFAULT_WIDTH)


@dataclass(frozen=True)
class Formats:
    header: Format
    title: Format
    label: Format
    money: Format
    date: Format
    datetime: Format
    wrap: Format


def add_formats(workbook: Workbook) -> Formats:
    """Create the shared formats once for ``workbook``."""
    return Formats(
        header=workbook.add_format(HEADER_STYLE),
        title=workbook.add_format(TITLE_STYLE),
        label=workbook.add_format({"bold": True}),
        money=workbook.add_format({"num_format": MONEY_FORMAT}),
        date=workbook.add_format({"num_format": DATE_FORMAT}),
        datetime=workbook.add_format({"num_format": DATETIME_FORMAT}),
        wrap=workbook.add_format({"text_wrap": True, "valign": "top"}),
    )


# --- cell values shared by every writer ---------------------------------------------------

# xlsxwriter writes any string of the form "<r>...</r>" verbatim as rich-text XML (that is how
# write_rich_string() stores its runs). Plain user text of that shape would be injected into the
# file and altered on reading, so such text is wrapped in a single escaped run instead: readers
# concatenate runs and get the original string back.
_RICH_PREFIX = "<r>"
_RICH_SUFFIX = "</r>"
_RUN_OPEN = '<r><t xml:space="preserve">'
_RUN_CLOSE = "</t></r>"


def safe_text(text: str) -> str:
    """``text`` ready for write_string(): unchanged unless xlsxwriter would misread it as rich text."""
    if text.startswith(_RICH_PREFIX) and text.endswith(_RICH_SUFFIX):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f"{_RUN_OPEN}{escaped}{_RUN_CLOSE}"
    return text


_EPOCH = date(1899, 12, 30)  # Excel serial 0 in the 1900 date system, valid from 1900-03-01
_EPOCH_EARLY = date(1899, 12, 31)  # before 1900-03-01 (Excel's phantom 29-Feb-1900)
_FIRST_EXCEL_DATE = date(1900, 1, 1)


def excel_serial_expr(expr: pl.Expr) -> pl.Expr:
    """Excel serial day number (Int64) of a Date column; null for nulls and dates before 1900."""
    return (
        pl.when(expr < _FIRST_EXCEL_DATE)
        .then(None)
        .when(expr < date(1900, 3, 1))
        .then((expr - _EPOCH_EARLY).dt.total_days())
        .otherwise((expr - _EPOCH).dt.total_days())
    )


def pre_excel_date_text_expr(expr: pl.Expr) -> pl.Expr:
    """ISO text of dates Excel cannot hold (before 1900), else null: written as text, not lost."""
    return pl.when(expr < _FIRST_EXCEL_DATE).then(expr.dt.strftime("%Y-%m-%d")).otherwise(None)
