"""What goes wrong reading an import file: a cell (`CellError`, also used for warnings), or the file as
a whole (`WorkbookUnreadable`: not a workbook we can open; `WorkbookRefused`: read, but not importable)."""

from __future__ import annotations

from dataclasses import dataclass, field


def column_letter(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The Excel name of a 0-based (row, column) position: (13, 10) -> 'K14'."""
    return f"{column_letter(column)}{row + 1}"


@dataclass(frozen=True)
class CellError:
    """One problem with one cell (or, for a warning, a row, a column or a sheet), worded for the person
    who fixes the workbook. `cell` and `row` are empty (''/None) when the problem has no single place."""

    sheet: str
    cell: str  # 'K14', or ''
    row: int | None  # worksheet row as Excel shows it (1-based)
    column: str  # field name, or the header text
    value: str  # the text found in the cell ('' for empty)
    message: str

    @property
    def ref(self) -> str:
        """'Budget FY27!K14', or the sheet alone when there is no cell."""
        if not self.cell:
            return self.sheet
        return f"{self.sheet}!{self.cell}" if self.sheet else self.cell

    def to_json(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


class WorkbookUnreadable(Exception):
    """The file is not a workbook we can read (damaged, truncated, too big, not a spreadsheet). One line."""


@dataclass
class Closest:
    """The row of the file that came closest to a header row, for refusals and the mapping drop-downs."""

    sheet: str = ""
    row: int | None = None  # 1-based worksheet row
    headers: list[str] = field(default_factory=list)


class WorkbookRefused(Exception):
    """The workbook was read but cannot be imported as a whole. One line of text; `closest` says where
    the input came closest (its headers feed the mapping drop-downs)."""

    def __init__(self, message: str, closest: Closest | None = None) -> None:
        super().__init__(message)
        self.closest = closest or Closest()
