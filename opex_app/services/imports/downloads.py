"""The errors (and warnings) of an import as a workbook in a one-time download ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.export import write_error_report
from opex_app.services import downloads


def error_report_download(principal: Principal, errors: list[dict[str, Any]], source_name: str) -> downloads.Ticket:
    require(principal, Permission.IMPORT)
    stem = Path(source_name).stem or "import"
    with downloads.issue(f"{stem}-errors.xlsx", user_id=principal.user_id, activity="download") as ticket:
        write_error_report(ticket.path, errors, title=f"Errors found in {Path(source_name).name}")
    return ticket
