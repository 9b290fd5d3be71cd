"""Generate a realistic budget tracker of N lines for benchmarks: a wide workbook (23 columns), the same
rows as a wide CSV, or a long-layout workbook (a row per line and month)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from opex_app.domain.fiscal import FiscalYear
from tests.domain.workbooks import BUDGET_HEADERS

HEADERS = BUDGET_HEADERS[:11]  # the attribute columns of the export's header row; the months follow
TOWERS = [
    "Infrastructure",
    "Applications",
    "Security",
    "End User Computing",
    "Data & Analytics",
    "Telecom",
    "Enterprise Architecture",
]
HEADS = [
    "Software Licences",
    "Hardware AMC",
    "Cloud Services",
    "Network Services",
    "Consulting",
    "Training",
    "SaaS Subscriptions",
    "Managed SOC",
    "Service Desk",
    "Data Platform",
]


def tracker_rows(lines: int, fy: FiscalYear = FiscalYear(2027), seed: int = 7) -> Iterator[list[Any]]:
    """The rows of a budget tracker: the HEADERS fields (dates as datetimes) then twelve monthly amounts."""
    rng = random.Random(seed)
    vendors = [f"Vendor {i:03d} Pvt Ltd" for i in range(400)]
    centres = [f"CC-{1000 + i}" for i in range(60)]
    start = datetime(fy.start_date.year, fy.start_date.month, 1)
    end = datetime(fy.end_date.year, fy.end_date.month, fy.end_date.day)
    for r in range(1, lines + 1):
        fields = [
            f"IT-{fy.name}-{r:06d}",
            f"IT-{fy.name}-{r - 1:06d}" if r % 20 == 0 else None,
            f"{rng.choice(HEADS)} for business unit {r % 97}",
            rng.choice(TOWERS),
            rng.choice(HEADS),
            rng.choice(centres),
            rng.choice(vendors),
            "Acme India Pvt Ltd" if r % 3 else "Acme Global Services LLP",
            "INR" if r % 5 else "USD",
            start,
            end,
        ]
        base = rng.randrange(1_000, 5_000_000) / 100
        yield fields + [base if (r + m) % 4 else 0 for m in range(12)]


def write_budget_file(path: Path, lines: int, fy: FiscalYear = FiscalYear(2027), seed: int = 7) -> Path:
    """The tracker as a wide workbook: 23 columns, one row per line, a column per month."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet(f"Budget {fy.name}")
    date_fmt = workbook.add_format({"num_format": "dd-mmm-yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for c, header in enumerate([*HEADERS, *fy.month_labels()]):
        sheet.write_string(0, c, header)
    for r, row in enumerate(tracker_rows(lines, fy, seed), start=1):
        for c, value in enumerate(row[:9]):
            if value is not None:
                sheet.write_string(r, c, value)
        sheet.write_datetime(r, 9, row[9], date_fmt)
        sheet.write_datetime(r, 10, row[10], date_fmt)
        for m, amount in enumerate(row[11:]):
            sheet.write_number(r, 11 + m, amount, money)
    workbook.close()
    return path


def write_budget_csv(path: Path, lines: int, fy: FiscalYear = FiscalYear(2027), seed: int = 7) -> Path:
    """The same tracker as a wide CSV (what Excel's Save as CSV gives: dates as shown, '01-Apr-2026')."""
    columns = [*HEADERS, *fy.month_labels()]
    frame = pl.DataFrame(
        list(tracker_rows(lines, fy, seed)),
        schema={
            **{name: pl.String for name in HEADERS[:9]},
            **{name: pl.Datetime("us") for name in HEADERS[9:]},
            **{name: pl.Float64 for name in columns[11:]},
        },
        orient="row",
    )
    frame.with_columns(pl.col(HEADERS[9:]).cast(pl.Date)).write_csv(path, date_format="%d-%b-%Y", float_precision=2)
    return path


LONG_HEADERS = ["UID", "Description", "Tower", "Vendor", "Month", "Amount"]


def write_long_budget_file(path: Path, lines: int, fy: FiscalYear = FiscalYear(2027), seed: int = 7) -> Path:
    """The tracker in the long layout ERP exports use: a row per (line, month), the month a date cell
    (the 1st of the month), so `lines` lines make 12 x `lines` rows of six columns."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet(f"Budget {fy.name}")
    date_fmt = workbook.add_format({"num_format": "dd-mmm-yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for c, header in enumerate(LONG_HEADERS):
        sheet.write_string(0, c, header)
    months = [datetime(*fy.calendar_month(m), 1) for m in range(1, 13)]
    r = 0
    for row in tracker_rows(lines, fy, seed):
        uid, description, tower, vendor = row[0], row[2], row[3], row[6]
        for m, amount in enumerate(row[11:]):
            r += 1
            sheet.write_string(r, 0, uid)
            sheet.write_string(r, 1, description)
            sheet.write_string(r, 2, tower)
            sheet.write_string(r, 3, vendor)
            sheet.write_datetime(r, 4, months[m], date_fmt)
            sheet.write_number(r, 5, amount, money)
    workbook.close()
    return path
