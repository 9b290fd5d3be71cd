"""Budget workbook export and the blank import template.

The ``Budget`` sheet is the canonical layout that the importer reads back: header in row 1, one row
per budget line below it, nothing else. It holds every field the importer reads, so an export
re-imports with zero changes. Remarks is the last column, after FY Total: added later, it leaves the
other columns on the letters they had. Lines arrive in batches and are rendered one batch at a time,
so a 100k-line export needs no more memory than a 10k-line one; the caller feeds frames in chunks.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import polars as pl
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from opex_app.domain.budget_fields import DATE_FIELDS, LABELS, MASTER_FIELDS, MONTH_FIELDS, TEXT_FIELDS
from opex_app.domain.export import fast_rows, styles
from opex_app.domain.fiscal import FiscalYear

BUDGET_SHEET = "Budget"
SUMMARY_SHEET = "Summary"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "Lists"
FY_TOTAL = LABELS["total"]

TEXT_COLUMNS = TEXT_FIELDS
TEXT_HEADERS = tuple(LABELS[name] for name in TEXT_FIELDS)
DATE_COLUMNS = DATE_FIELDS
DATE_HEADERS = tuple(LABELS[name] for name in DATE_FIELDS)

REMARKS_COLUMN = "remarks"
REMARKS_HEADER = LABELS[REMARKS_COLUMN]
BUDGET_COLUMNS = (*TEXT_COLUMNS, *DATE_COLUMNS, *MONTH_FIELDS, REMARKS_COLUMN)

# Master-data columns of the template that get a drop-down: masters key -> header.
MASTER_HEADERS: dict[str, str] = {name: LABELS[name] for name in (*MASTER_FIELDS, "currency")}
TEMPLATE_ROWS = 10_000  # data-validation rows 2..10001

# Sheet column positions (0-based).
_N_TEXT = len(TEXT_COLUMNS)
_FIRST_DATE_COL = _N_TEXT
_FIRST_MONTH_COL = _FIRST_DATE_COL + len(DATE_COLUMNS)
_TOTAL_COL = _FIRST_MONTH_COL + len(MONTH_FIELDS)
_REMARKS_COL = _TOTAL_COL + 1
_LAST_COL = _REMARKS_COL

_MONEY = pl.Decimal(18, 2)


def budget_headers(fy: FiscalYear) -> list[str]:
    """Header row of the Budget sheet, in sheet order."""
    return [*TEXT_HEADERS, *DATE_HEADERS, *fy.month_labels(), FY_TOTAL, REMARKS_HEADER]


def _write_header(ws: Worksheet, headers: list[str], fmt, row: int = 0) -> None:
    for col, text in enumerate(headers):
        ws.write_string(row, col, styles.safe_text(text), fmt)


def _setup_budget_sheet(ws: Worksheet, headers: list[str], fmts: styles.Formats) -> None:
    """Widths, column formats, frozen panes (header row + UID column) and the header row."""
    for col, header in enumerate(headers):
        if _FIRST_DATE_COL <= col < _FIRST_MONTH_COL:
            ws.set_column(col, col, styles.column_width(header), fmts.date)
        elif _FIRST_MONTH_COL <= col <= _TOTAL_COL:
            ws.set_column(col, col, max(styles.MONEY_WIDTH, styles.column_width(header)), fmts.money)
        else:
            ws.set_column(col, col, styles.column_width(header))
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    _write_header(ws, headers, fmts.header)


# --- Budget rows rendered by Polars (fast_rows) ------------------------------------------------
#
# xlsxwriter's constant_memory mode made a 100k-line export (2.4M cells) take ~12.5 s here. Instead
# each batch's <row> elements are built by Polars expressions, spooled to a temp file, and spliced into
# the Budget sheet of a workbook that xlsxwriter builds (styles, widths, panes, autofilter, Summary).


def _render_rows(frame: pl.DataFrame, first_row: int, money_style: int, date_style: int) -> bytes:
    """The <row> XML of one batch of budget lines, starting at Excel row ``first_row``."""
    missing = [c for c in BUDGET_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"budget batch is missing columns: {', '.join(missing)}")
    texts = [pl.col(c).cast(pl.String).replace("", None) for c in (*TEXT_COLUMNS, REMARKS_COLUMN)]
    controls = fast_rows.has_controls(frame, texts)
    row = fast_rows.excel_row(first_row)
    *leading, remarks = (fast_rows.xml_text(text, controls) for text in texts)
    cells = [fast_rows.text_cell(col, row, text) for col, text in enumerate(leading)]
    for col, name in enumerate(DATE_COLUMNS, start=_FIRST_DATE_COL):
        day = pl.col(name).cast(pl.Date)
        as_date = fast_rows.value_cell(col, row, date_style, styles.excel_serial_expr(day))
        as_text = fast_rows.text_cell(col, row, styles.pre_excel_date_text_expr(day))  # before 1900: kept as text
        cells.append(pl.concat_str([as_date, as_text]))
    months = [pl.col(c).cast(_MONEY) for c in MONTH_FIELDS]
    for col, amount in enumerate([*months, pl.sum_horizontal(months)], start=_FIRST_MONTH_COL):
        cells.append(fast_rows.value_cell(col, row, money_style, amount))
    cells.append(fast_rows.text_cell(_REMARKS_COL, row, remarks))
    return fast_rows.render(frame, row, cells)


def _batch_totals(frame: pl.DataFrame) -> list[Decimal]:
    """Exact Decimal total of each month of one batch (nulls count as zero)."""
    sums = frame.select([pl.col(c).cast(_MONEY).sum() for c in MONTH_FIELDS]).row(0)
    return [Decimal(0) if s is None else s for s in sums]


def _write_summary(
    ws: Worksheet,
    fy: FiscalYear,
    summary: Mapping[str, str] | None,
    lines: int,
    month_totals: list[Decimal],
    fmts: styles.Formats,
) -> None:
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 40)
    grand_total = sum(month_totals, Decimal(0))
    ws.write_string(0, 0, f"Budget export {fy.name}", fmts.title)
    row = 2
    items = [(str(k), "" if v is None else str(v)) for k, v in (summary or {}).items()]
    items += [("Financial year", fy.name), ("Period", f"{fy.month_label(1)} to {fy.month_label(12)}")]
    for key, value in items:
        ws.write_string(row, 0, styles.safe_text(key), fmts.label)
        if value:
            ws.write_string(row, 1, styles.safe_text(value))
        row += 1
    ws.write_string(row, 0, "Lines", fmts.label)
    ws.write_number(row, 1, lines)
    row += 1
    ws.write_string(row, 0, "Grand total", fmts.label)
    ws.write_number(row, 1, float(grand_total), fmts.money)
    row += 2
    ws.write_string(row, 0, "Month", fmts.header)
    ws.write_string(row, 1, "Total", fmts.header)
    for label, amount in zip([*fy.month_labels(), FY_TOTAL], [*month_totals, grand_total], strict=True):
        row += 1
        ws.write_string(row, 0, label)
        ws.write_number(row, 1, float(amount), fmts.money)


def write_budget_workbook(
    target: str | Path | BinaryIO,
    fy: FiscalYear,
    batches: Iterable[pl.DataFrame],
    *,
    summary: dict[str, str] | None = None,
) -> int:
    """Write budget lines to ``target`` (path or binary file object); returns the number of lines.

    ``batches`` are frames with the ``BUDGET_COLUMNS`` (text and remarks: Utf8, dates: Date, months
    m01..m12: Decimal(18,2)), written in the order given; extra columns are ignored. Sheets: ``Budget``
    (header + one row per line, FY Total = sum of months, Remarks last) then ``Summary`` (``summary``
    items, line count, totals).
    Nothing is written to ``target`` if a batch fails; memory is bounded by one batch.
    """
    headers = budget_headers(fy)
    skeleton = io.BytesIO()
    wb = styles.open_workbook(skeleton, styles.WORKBOOK_OPTIONS)
    fmts = styles.add_formats(wb)
    # Style ids for the cells rendered outside xlsxwriter; the formats are also used by set_column below.
    money_style, date_style = fast_rows.style_id(fmts.money), fast_rows.style_id(fmts.date)
    ws = wb.add_worksheet(BUDGET_SHEET)
    summary_ws = wb.add_worksheet(SUMMARY_SHEET)
    _setup_budget_sheet(ws, headers, fmts)

    lines = 0
    month_totals = [Decimal(0)] * len(MONTH_FIELDS)
    with tempfile.TemporaryFile() as rows:
        for frame in batches:
            if frame.height == 0:
                continue
            if lines + frame.height + 1 > fast_rows.MAX_ROWS:
                raise ValueError(f"too many budget lines for one Excel sheet (max {fast_rows.MAX_ROWS - 1})")
            slices = frame.iter_slices(fast_rows.RENDER_SLICE)  # bounds the XML in memory
            for offset, part in enumerate(slices):
                first_row = lines + 2 + offset * fast_rows.RENDER_SLICE
                rows.write(_render_rows(part, first_row, money_style, date_style))
            month_totals = [a + b for a, b in zip(month_totals, _batch_totals(frame), strict=True)]
            lines += frame.height
        ws.autofilter(0, 0, lines, _LAST_COL)
        _write_summary(summary_ws, fy, summary, lines, month_totals, fmts)
        wb.close()
        budget = fast_rows.SpooledSheet(rows, f"{xl_col_to_name(_LAST_COL)}{lines + 1}")
        fast_rows.splice_rows(skeleton.getvalue(), {0: budget}, target)  # Budget is the first sheet
    return lines


def _master_names(names: Iterable[str] | None) -> list[str]:
    """Distinct non-blank names, sorted case-insensitively for the drop-down."""
    seen: dict[str, None] = {}
    for name in names or ():
        if name is None:
            continue
        text = str(name).strip()
        if text:
            seen.setdefault(text, None)
    return sorted(seen, key=lambda s: (s.casefold(), s))


def _instructions(fy: FiscalYear) -> list[tuple[str, str]]:
    """(kind, text) lines of the Instructions sheet; kind is 'title', 'heading', 'text' or '' (blank)."""
    first, last = fy.month_label(1), fy.month_label(12)
    example_uid = f"IT-{fy.name}-0042"
    return [
        ("title", f"Budget import template for {fy.name} ({first} to {last})"),
        ("", ""),
        ("heading", "Filling in the Budget sheet"),
        ("text", "Enter one budget line per row, starting in row 2. Keep the header row as it is."),
        ("text", f"Required: UID (your own key for the line, unique within {fy.name}, e.g. {example_uid})."),
        (
            "text",
            (
                f"Required: the twelve month columns {first} to {last}. Leave a month blank or enter 0 if "
                "nothing is planned for it."
            ),
        ),
        ("text", "Parent UID is optional: the UID of the line this one belongs to (e.g. a contract split)."),
        ("text", "FY Total is for your reference only; the app always computes it as the sum of the months."),
        ("text", "Remarks, the last column, is optional free text: a note kept with the line."),
        ("", ""),
        ("heading", "Amounts"),
        ("text", "Up to two decimal places, in the currency named in the Currency column. Accepted forms:"),
        ("text", "    1234567.89      1,234,567.89      12,34,567.89 (Indian grouping: lakh / crore)"),
        ("text", "    Negative amounts: -1,234.00 or (1,234.00)"),
        ("", ""),
        ("heading", "Dates"),
        (
            "text",
            (
                "Service Start and Service End are optional. Use real Excel dates (shown as 01-Apr-2026) "
                "or text such as 01-Apr-2026 or 2026-04-01."
            ),
        ),
        ("", ""),
        ("heading", "Tower, Budget Head, Cost Centre, Vendor, Entity, Currency"),
        (
            "text",
            (
                "Pick a known name from the drop-down or type a new one. Excel warns about a name that is "
                "not in the list; choose Yes to keep it. New names are created as master data on import."
            ),
        ),
        ("", ""),
        ("heading", "One financial year per file"),
        ("text", f"This file is for {fy.name} only. To plan another year, download that year's template."),
        ("", ""),
        ("heading", "Importing again"),
        (
            "text",
            (
                "Lines are matched by UID: a UID already in the app is updated with the values in the file, "
                "and a new UID adds a line."
            ),
        ),
        (
            "text",
            ("Importing never deletes lines: lines missing from the file stay as they are (delete them in the app)."),
        ),
        ("", ""),
        ("text", "Text that starts with =, +, - or @ is kept as text. Only the Budget sheet is read."),
    ]


def write_template(target: str | Path | BinaryIO, fy: FiscalYear, masters: dict[str, list[str]]) -> None:
    """Blank import template: ``Budget`` (header only, drop-downs), ``Instructions``, hidden ``Lists``.

    ``masters`` maps keys of ``MASTER_HEADERS`` to known names; a missing key means no known names.
    The drop-downs warn about unknown names but allow them, since the importer creates them.
    """
    unknown = sorted(set(masters) - set(MASTER_HEADERS))
    if unknown:
        raise ValueError(f"unknown master keys: {', '.join(unknown)} (expected {', '.join(MASTER_HEADERS)})")
    headers = budget_headers(fy)
    wb = styles.open_workbook(target, styles.WORKBOOK_OPTIONS)
    fmts = styles.add_formats(wb)
    ws = wb.add_worksheet(BUDGET_SHEET)
    guide = wb.add_worksheet(INSTRUCTIONS_SHEET)
    lists = wb.add_worksheet(LISTS_SHEET)

    _setup_budget_sheet(ws, headers, fmts)
    ws.autofilter(0, 0, 0, _LAST_COL)

    for list_col, (key, header) in enumerate(MASTER_HEADERS.items()):
        names = _master_names(masters.get(key))
        lists.write_string(0, list_col, header, fmts.header)
        for i, name in enumerate(names, start=1):
            lists.write_string(i, list_col, styles.safe_text(name))
        lists.set_column(list_col, list_col, styles.column_width(header))
        last_row = max(len(names), 1) + 1  # Excel row of the last name (at least row 2)
        letter = chr(ord("A") + list_col)
        sheet_col = headers.index(header)
        ws.data_validation(
            1,
            sheet_col,
            TEMPLATE_ROWS,
            sheet_col,
            {
                "validate": "list",
                "source": f"={LISTS_SHEET}!${letter}$2:${letter}${last_row}",
                "ignore_blank": True,
                "error_type": "warning",
                "error_title": f"New {header.lower()}?",
                "error_message": (
                    f"This {header.lower()} is not in the list. Choose Yes to keep it: "
                    "it will be created when the file is imported."
                ),
            },
        )
    lists.hide()

    guide.set_column(0, 0, 110, fmts.wrap)
    heading = wb.add_format({"bold": True, "font_size": 12})
    styles_by_kind = {"title": fmts.title, "heading": heading, "text": fmts.wrap}
    for row, (kind, text) in enumerate(_instructions(fy)):
        if text:
            guide.write_string(row, 0, text, styles_by_kind[kind])
    ws.activate()
    wb.close()
