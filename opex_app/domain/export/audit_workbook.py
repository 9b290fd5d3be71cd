"""The audit log as a workbook: one row per changed field, so an auditor can filter and sort on the field,
the old or the new value in Excel; an event that changed no field (a login, a note) is one row of its own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from opex_app.domain.audit_diff import FieldChange
from opex_app.domain.export import styles

AUDIT_SHEET = "Audit"
AUDIT_HEADERS = ["When (UTC)", "Who", "Action", "What", "Id", "Field", "Before", "After"]
_WIDTHS = {"When (UTC)": 18.0, "Who": 30.0, "What": 16.0, "Id": 10.0, "Field": 16.0, "Before": 30.0, "After": 30.0}

# One event: (at, actor, action, entity, entity_id, its changes in words).
AuditEventRow = tuple[datetime, str, str, str, str, list[FieldChange]]


def write_audit_workbook(target: str | Path | BinaryIO, events: Iterable[AuditEventRow], *, title: str) -> int:
    """Write `events` under `title` (what was filtered on) to sheet Audit; returns the number of rows."""
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    wb.set_properties({"title": title})
    fmts = styles.add_formats(wb)
    ws = wb.add_worksheet(AUDIT_SHEET)
    for col, header in enumerate(AUDIT_HEADERS):
        ws.set_column(col, col, _WIDTHS.get(header, styles.column_width(header)))
    ws.write_string(0, 0, styles.safe_text(title), fmts.title)
    header_row = 2
    ws.freeze_panes(header_row + 1, 0)
    for col, header in enumerate(AUDIT_HEADERS):
        ws.write_string(header_row, col, header, fmts.header)
    row = header_row
    for at, actor, action, entity, entity_id, changes in events:
        for change in changes or [FieldChange("", "", "")]:
            row += 1
            ws.write_datetime(row, 0, at.replace(tzinfo=None), fmts.datetime)
            texts = (actor, action, entity, entity_id, change.label, change.before, change.after)
            for col, text in enumerate(texts, start=1):
                if text:
                    ws.write_string(row, col, styles.safe_text(text))
    ws.autofilter(header_row, 0, row, len(AUDIT_HEADERS) - 1)
    wb.close()
    return row - header_row
