"""Generate a realistic budget tracker workbook of N lines (23 columns) for benchmarks."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import xlsxwriter

from opex_app.domain.fiscal import FiscalYear

HEADERS = [
    "UID",
    "Parent UID",
    "Description",
    "Tower",
    "Budget Head",
    "Cost Centre",
    "Vendor",
    "Entity",
    "Currency",
    "Service Start",
    "Service End",
]
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


def write_budget_file(path: Path, lines: int, fy: FiscalYear = FiscalYear(2027), seed: int = 7) -> Path:
    rng = random.Random(seed)
    vendors = [f"Vendor {i:03d} Pvt Ltd" for i in range(400)]
    centres = [f"CC-{1000 + i}" for i in range(60)]
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet(f"Budget {fy.name}")
    date_fmt = workbook.add_format({"num_format": "dd-mmm-yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for c, header in enumerate([*HEADERS, *fy.month_labels()]):
        sheet.write_string(0, c, header)
    start = datetime(fy.start_date.year, fy.start_date.month, 1)
    end = datetime(fy.end_date.year, fy.end_date.month, fy.end_date.day)
    for r in range(1, lines + 1):
        sheet.write_string(r, 0, f"IT-{fy.name}-{r:06d}")
        if r % 20 == 0:
            sheet.write_string(r, 1, f"IT-{fy.name}-{r - 1:06d}")
        sheet.write_string(r, 2, f"{rng.choice(HEADS)} for business unit {r % 97}")
        sheet.write_string(r, 3, rng.choice(TOWERS))
        sheet.write_string(r, 4, rng.choice(HEADS))
        sheet.write_string(r, 5, rng.choice(centres))
        sheet.write_string(r, 6, rng.choice(vendors))
        sheet.write_string(r, 7, "Acme India Pvt Ltd" if r % 3 else "Acme Global Services LLP")
        sheet.write_string(r, 8, "INR" if r % 5 else "USD")
        sheet.write_datetime(r, 9, start, date_fmt)
        sheet.write_datetime(r, 10, end, date_fmt)
        base = rng.randrange(1_000, 5_000_000) / 100
        for m in range(12):
            sheet.write_number(r, 11 + m, base if (r + m) % 4 else 0, money)
    workbook.close()
    return path
