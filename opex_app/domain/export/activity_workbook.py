"""The activity log (logins, failed logins, logouts, exports, downloads) as a workbook: one row per event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from opex_app.domain.export import styles

ACTIVITY_SHEET = "Activity"
ACTIVITY_HEADERS = ["When (UTC)", "Who", "Event", "IP address", "Detail"]
_WIDTHS = [18.0, 34.0, 14.0, 18.0, 50.0]

# One event: (at, who, kind, ip, detail).
ActivityEventRow = tuple[datetime, str, str, str, str]


def write_activity_workbook(target: str | Path | BinaryIO, events: Iterable[ActivityEventRow], *, title: str) -> int:
    """Write `events` under `title` (what was filtered on) to sheet Activity; returns the number of rows."""
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    wb.set_properties({"title": title})
    fmts = styles.add_formats(wb)
    ws = wb.add_worksheet(ACTIVITY_SHEET)
    ws.write_string(0, 0, styles.safe_text(title), fmts.title)
    header_row = 2
    ws.freeze_panes(header_row + 1, 0)
    for col, (header, width) in enumerate(zip(ACTIVITY_HEADERS, _WIDTHS, strict=True)):
        ws.set_column(col, col, width)
        ws.write_string(header_row, col, header, fmts.header)
    row = header_row
    for at, *texts in events:
        row += 1
        ws.write_datetime(row, 0, at.replace(tzinfo=None), fmts.datetime)
        for col, text in enumerate(texts, start=1):
            if text:
                ws.write_string(row, col, styles.safe_text(text))
    ws.autofilter(header_row, 0, row, len(ACTIVITY_HEADERS) - 1)
    wb.close()
    return row - header_row
