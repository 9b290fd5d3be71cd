"""Generate a realistic budget tracker of N lines for benchmarks: a wide workbook (23 columns), the same
rows as a wide CSV, or a long-layout workbook (a row per line and month)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
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


# ---------------------------------------------------------------------------------------------- actuals

ACTUAL_HEADERS = ["Invoice No", "Invoice Date", "Vendor", "Amount", "Currency", "UID", "PO Number", "Remarks"]
ACTUAL_VENDORS = [f"Vendor {i:03d} Pvt Ltd" for i in range(400)]


def stored_actuals(count: int, fy: FiscalYear = FiscalYear(2027)) -> pl.DataFrame:
    """`count` actuals as a ledger would have booked them before: vendor (index into ACTUAL_VENDORS),
    invoice number, date in `fy`, amount. Deterministic, so a file can repeat some of them exactly."""
    index = pl.int_range(0, count, dtype=pl.Int64, eager=True)
    return pl.DataFrame({"i": index}).select(
        vendor=(pl.col("i") % len(ACTUAL_VENDORS)).cast(pl.Int32),
        invoice_number=pl.format("S-{}", pl.col("i").cast(pl.String).str.zfill(7)),
        invoice_date=pl.lit(fy.start_date) + pl.duration(days=pl.col("i") % 365),
        amount=((pl.col("i") * 7919) % 5_000_000 / 100 + 1).cast(pl.Decimal(18, 2)),
    )


def actual_rows(
    count: int, stored: pl.DataFrame, *, lines: int, pos: int, fy: FiscalYear = FiscalYear(2027), seed: int = 11
) -> Iterator[list[Any]]:
    """The rows of a ledger export of `count` invoices: mostly new invoices of `fy` (some in USD, some in the
    next FY), naming a UID of `lines` budget lines (IT-FY27-000001...) or a PO of `pos` POs (PO-000001...,
    one line each, the PO of line n); one row in ten repeats a `stored` invoice exactly (already imported)."""
    rng = random.Random(seed)
    start = datetime(fy.start_date.year, fy.start_date.month, 1)
    repeats = stored.sample(n=min(count // 10, stored.height), seed=seed).iter_rows()
    for r in range(1, count + 1):
        if r % 10 == 0:
            repeat = next(repeats, None)
            if repeat is not None:
                vendor, number, day, amount = repeat
                yield [number, datetime(day.year, day.month, day.day), ACTUAL_VENDORS[vendor], float(amount)]
                continue
        day = start + timedelta(days=rng.randrange(365 + (60 if r % 7 == 0 else 0)))  # some in the next FY
        line = rng.randrange(1, lines + 1)
        in_fy = day < datetime(fy.end_date.year, fy.end_date.month, fy.end_date.day) + timedelta(days=1)
        uid = f"IT-{fy.name}-{line:06d}" if in_fy and r % 3 else None
        po = f"PO-{line:06d}" if in_fy and line <= pos and r % 5 == 0 else None
        yield [
            f"INV-{seed}-{r:07d}",
            day,
            ACTUAL_VENDORS[line % len(ACTUAL_VENDORS)],
            rng.randrange(100, 2_000_000) / 100,
            "USD" if r % 11 == 0 else "INR",
            uid,
            po,
            f"{rng.choice(HEADS)} for business unit {r % 97}" if r % 4 == 0 else None,
        ]


def write_actuals_file(path: Path, rows: Iterator[list[Any]]) -> Path:
    """Ledger rows as a workbook: the header row, dates as date cells, amounts as numbers."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Ledger")
    date_fmt = workbook.add_format({"num_format": "dd-mmm-yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for c, header in enumerate(ACTUAL_HEADERS):
        sheet.write_string(0, c, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, date_fmt)
            elif isinstance(value, float):
                sheet.write_number(r, c, value, money)
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return path
