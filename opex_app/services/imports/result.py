"""What an import reports: the preview a person reads and the `--json` object scripts read (a contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opex_app.domain.ingest import CellError, Closest


@dataclass(frozen=True)
class CellChange:
    key: str  # the line's key (UID)
    field: str  # label of the field or month
    before: str
    after: str


@dataclass
class ImportResult:
    status: str  # committed | dry-run | rejected | unreadable
    kind: str
    fiscal_year: str | None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    lines_unchanged: int = 0
    masters_created: int = 0
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)
    sheet: str = ""
    header_row: int | None = None
    layout: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # the header row's texts (the mapping drop-downs)
    column_map: dict[str, str] = field(default_factory=dict)  # field -> header read
    masters_new: dict[str, list[str]] = field(default_factory=dict)
    changes: list[CellChange] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    missing_count: int = 0
    fields_read: list[str] = field(default_factory=list)  # labels of the fields the file has
    import_batch_id: int | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # a kind's own JSON fields (actuals: duplicates_skipped)

    @classmethod
    def refused(cls, kind: str, status: str, message: str, closest: Closest | None = None) -> ImportResult:
        """A file refused as a whole: `unreadable` (not a spreadsheet, damaged, too big) or `rejected`."""
        where = closest or Closest()
        error = CellError(where.sheet, "", where.row, "", "", message)
        return cls(
            status=status,
            kind=kind,
            fiscal_year=None,
            errors=[error],
            sheet=where.sheet,
            header_row=where.row,
            headers=list(where.headers),
            message=message,
        )

    def to_json(self) -> dict[str, Any]:
        """The public `--json` object (field names are a contract)."""
        return {
            "status": self.status,
            "fiscal_year": self.fiscal_year,
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "rows_skipped": self.rows_skipped,
            "lines_created": self.lines_created,
            "lines_updated": self.lines_updated,
            "lines_unchanged": self.lines_unchanged,
            "masters_created": self.masters_created,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "ignored_columns": self.ignored_columns,
            "ignored_sheets": self.ignored_sheets,
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
            **self.extra,
        }
