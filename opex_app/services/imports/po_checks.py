"""The rules of a PO import: each row's own cells, a PO's rows agreeing, its FY, UIDs and allocations, its
FX rate, and the rest of a PO's rows refused when one has an error."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from opex_app.domain.fiscal import FiscalYear, fiscal_year_of
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.ingest.amounts import MAX_INTEGER_DIGITS
from opex_app.domain.ingest.specs.pos import HEADER_FIELDS
from opex_app.domain.money import format_indian
from opex_app.domain.names import clean_name, name_key
from opex_app.models import PoStatus
from opex_app.services.fx import missing_rate_message
from opex_app.services.imports.po_records import CHANGED, NEW, UNCHANGED, FileLine, FilePo, StoredPo

MAX_TEXT = 100  # PO and PR numbers
SHOWN_ROWS = 5
_TOO_LARGE = Decimal(10) ** MAX_INTEGER_DIGITS
STATUS_NAMES = ", ".join(s.value.title() for s in PoStatus)


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_indian(value)
    return str(value)


def status_of(value: Any) -> str | None:
    """The PoStatus value a cell names (any case), or None when it names none."""
    try:
        return PoStatus(str(value).strip().lower()).value
    except ValueError:
        return None


def _comparable(name: str, value: Any) -> Any:
    """What two cells of one header field are compared on (None: blank, no value given)."""
    if value is None:
        return None
    if name in ("vendor", "entity"):
        return name_key(value) or None
    if name == "status":
        return status_of(value)
    if name in ("po_value", "pr_amount") and value == 0:
        return None  # an empty amount cell reads as zero
    return value


class Errors:
    """The errors found, by row, worded on the file's cells."""

    def __init__(self, parsed: ParsedImport) -> None:
        self.parsed = parsed
        self.items: list[CellError] = []
        self.rows: set[int] = set()

    def add(self, row: int, name: str, value: Any, message: str) -> None:
        self.items.append(self.parsed.cell_error(row, name, shown(value), message))
        self.rows.add(row)


def row_checks(parsed: ParsedImport, rows: pl.DataFrame, errors: Errors) -> list[dict[str, Any]]:
    """The cells of each row that need no other row: lengths, amounts, status. Returns the rows, by row."""
    spec = parsed.spec
    records = rows.sort("row").to_dicts()
    for rec in records:
        row = rec["row"]
        for name in ("po_number", "pr_number"):
            value = rec.get(name)
            if value is not None and len(value) > MAX_TEXT:
                errors.add(
                    row, name, value, f"{spec.label(name)} has at most {MAX_TEXT} characters ({len(value)} given)"
                )
        amount = rec.get("allocated_amount")
        if amount is not None and amount <= 0:
            what = "is empty or zero" if amount == 0 else f"is negative ({format_indian(amount)})"
            errors.add(
                row, "allocated_amount", amount, f"Allocated Amount {what}: a PO line allocates an amount above zero"
            )
        for name in ("po_value", "pr_amount"):
            value = rec.get(name)
            if value is not None and value < 0:
                errors.add(row, name, value, f"{spec.label(name)} cannot be negative ({format_indian(value)} given)")
        status = rec.get("status")
        if status is not None and status_of(status) is None:
            errors.add(row, "status", status, f"Status '{status}' is not a PO status: expected one of {STATUS_NAMES}")
    return records


def group_rows(
    parsed: ParsedImport,
    records: list[dict[str, Any]],
    stored: Mapping[str, StoredPo],
    errors: Errors,
    base: str,
) -> dict[str, FilePo]:
    """The POs of the rows, their header fields agreed across their rows (disagreements are errors)."""
    spec = parsed.spec
    present = [name for name in HEADER_FIELDS if name in parsed.present]
    by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        by_number[rec["po_number"]].append(rec)
    pos: dict[str, FilePo] = {}
    for number, recs in by_number.items():
        values: dict[str, Any] = {}
        cells: dict[str, int] = {}
        for name in present:
            agreed: Any = None
            for rec in recs:
                value = rec.get(name)
                key = _comparable(name, value)
                if key is None or (rec["row"] in errors.rows and name in ("status", "po_value", "pr_amount")):
                    continue  # blank, or a cell with its own error
                if name not in cells:
                    agreed, cells[name] = value, rec["row"]
                elif key != _comparable(name, agreed):
                    errors.add(
                        rec["row"],
                        name,
                        value,
                        f"{spec.label(name)} '{shown(value)}' differs from '{shown(agreed)}' on row "
                        f"{cells[name]} of PO Number '{number}': a PO's rows must agree",
                    )
            values[name] = agreed
        po_stored = stored.get(number)
        given = values.pop("po_value", None)
        header = _header(values, present, po_stored, base)
        lines = [FileLine(rec["row"], rec["uid"], rec["allocated_amount"]) for rec in recs]
        pos[number] = FilePo(number, [rec["row"] for rec in recs], lines, header, cells, given, po_stored)
    return pos


def _header(values: dict[str, Any], present: list[str], stored: StoredPo | None, base: str) -> dict[str, Any]:
    """The PO's header as it will be stored: the file's values; the stored ones for the columns the file does
    not have; Currency and Status never blank."""
    out: dict[str, Any] = {}
    for name in ("po_date", "vendor", "entity", "currency", "pr_number", "pr_date", "pr_amount", "status"):
        if name in present:
            value = values.get(name)
        else:
            value = getattr(stored, name) if stored is not None else None
        if name in ("vendor", "entity") and value is not None:
            value = clean_name(value)
        elif name == "status" and value is not None:
            value = status_of(value)
        elif name == "pr_amount" and value == 0:
            value = None
        out[name] = value
    if out["currency"] is None:
        out["currency"] = stored.currency if stored is not None else base
    if out["status"] is None:
        out["status"] = stored.status if stored is not None else PoStatus.DRAFT.value
    return out


def _same(po: FilePo, stored: StoredPo) -> bool:
    """Whether the file's PO is the stored one: every field the file sets, and the same allocations."""
    v = po.values
    return (
        v["po_date"] == stored.po_date
        and name_key(v["vendor"] or "") == name_key(stored.vendor or "")
        and name_key(v["entity"] or "") == name_key(stored.entity or "")
        and v["currency"] == stored.currency
        and v["status"] == stored.status
        and po.value == stored.value
        and v["pr_number"] == stored.pr_number
        and v["pr_date"] == stored.pr_date
        and (v["pr_amount"] or 0) == (stored.pr_amount or 0)  # a stored zero is no PR amount either
        and {line.budget_line_id: line.amount for line in po.lines}
        == {line.budget_line_id: line.amount for line in stored.lines}
    )


def check_pos(
    pos: dict[str, FilePo],
    lines: Mapping[tuple[int, str], int],
    errors: Errors,
    *,
    start: int,
    chosen: FiscalYear | None,
) -> None:
    """The rules of each PO whose rows have no error: its date and FY, its UIDs, its allocations; then
    whether it is new, changed or unchanged, and whether a changed one drops an invoiced line."""
    for po in pos.values():
        if errors.rows.intersection(po.rows):
            continue
        fy = _fiscal_year(po, errors, start=start, chosen=chosen)
        if fy is None:
            continue
        _check_allocations(po, fy, lines, errors)
        if errors.rows.intersection(po.rows):
            continue
        _compare_stored(po, errors)


def _fiscal_year(po: FilePo, errors: Errors, *, start: int, chosen: FiscalYear | None) -> FiscalYear | None:
    """The FY of the PO date (None, with an error, when there is no date or it is outside the chosen FY)."""
    day = po.values["po_date"]
    if day is None:
        errors.add(
            po.first_row,
            "po_date",
            None,
            f"PO Date is empty on every row of PO '{po.number}': the FY of its UIDs and its FX rate come from it",
        )
        return None
    fy = fiscal_year_of(day, start)
    po.fy_end = fy.end_year
    if chosen is not None and fy.end_year != chosen.end_year:
        errors.add(
            po.row_of("po_date"),
            "po_date",
            day,
            f"PO date {day.isoformat()} is outside {chosen.name}, the fiscal year of this import "
            f"(--fy): it is in {fy.name}",
        )
        return None
    return fy


def _check_allocations(po: FilePo, fy: FiscalYear, lines: Mapping[tuple[int, str], int], errors: Errors) -> None:
    """Each UID a budget line of the PO's FY; the allocations adding up to the PO value the file gives."""
    day = po.values["po_date"]
    for line in po.lines:
        line.budget_line_id = lines.get((fy.end_year, line.uid))
        if line.budget_line_id is None:
            errors.add(
                line.row,
                "uid",
                line.uid,
                f"UID '{line.uid}' is not a budget line of {fy.name} (the FY of the PO date {day.isoformat()})",
            )
    if po.given_value is not None and po.given_value != po.total:
        errors.add(
            po.row_of("po_value"),
            "po_value",
            po.given_value,
            f"the allocations of PO '{po.number}' add up to {format_indian(po.total)} but its PO Value is "
            f"{format_indian(po.given_value)} (difference {format_indian(po.given_value - po.total)})",
        )


def _compare_stored(po: FilePo, errors: Errors) -> None:
    """New, changed or unchanged; a changed PO may not drop a stored line with invoices booked against it."""
    if po.stored is None:
        po.state = NEW
        return
    po.state = UNCHANGED if _same(po, po.stored) else CHANGED
    kept = {line.budget_line_id for line in po.lines}
    blocked = [line.uid for line in po.stored.lines if line.budget_line_id not in kept and line.invoiced]
    if po.state == CHANGED and blocked:
        errors.add(
            po.first_row,
            "po_number",
            po.number,
            f"PO '{po.number}' is stored with an allocation to {', '.join(blocked)} that has invoices "
            "booked against it: it cannot be removed (keep its row in the file)",
        )


def convert(po: FilePo, rate: Decimal | None, errors: Errors) -> None:
    """The rate on the PO date (an error naming the currency and date when there is none)."""
    code, day = po.values["currency"], po.values["po_date"]
    if rate is None:
        where = "currency" if "currency" in po.cells else "po_date"
        errors.add(
            po.row_of(where),
            where,
            code if where == "currency" else day,
            f"{missing_rate_message(code, day)} (the PO date of PO '{po.number}'; record one with: "
            f"fx set {code} RATE --from {day.isoformat()})",
        )
        return
    po.rate = Decimal(rate)
    for line in po.lines:
        if abs(line.amount * po.rate) >= _TOO_LARGE:
            errors.add(
                line.row,
                "allocated_amount",
                line.amount,
                f"the amount in base currency is too large: at most {MAX_INTEGER_DIGITS} digits before the "
                "decimal point",
            )


def siblings(parsed: ParsedImport, pos: dict[str, FilePo], errors: Errors) -> list[CellError]:
    """An error on every other row of a PO that has errors (its rows are imported together)."""
    invalid = parsed.rows.filter(~pl.col("valid") & pl.col("po_number").is_not_null())
    bad: dict[str, set[int]] = defaultdict(set)
    for number, row in invalid.select("po_number", "row").iter_rows():
        bad[number].add(row)
    for po in pos.values():
        found = errors.rows.intersection(po.rows)
        if found:
            bad[po.number] |= found
    out: list[CellError] = []
    for number, bad_rows in bad.items():
        grouped = pos.get(number)
        for row in grouped.rows if grouped is not None else []:
            if row not in bad_rows:
                out.append(sibling_error(parsed, row, number, bad_rows))
    return out


def sibling_error(parsed: ParsedImport, row: int, number: str, bad_rows: set[int]) -> CellError:
    listed = sorted(bad_rows)
    rows = ", ".join(map(str, listed[:SHOWN_ROWS])) + (", ..." if len(listed) > SHOWN_ROWS else "")
    return parsed.cell_error(
        row,
        "po_number",
        number,
        f"PO '{number}' is not imported: {'row' if len(listed) == 1 else 'rows'} {rows} of it "
        f"{'has' if len(listed) == 1 else 'have'} errors (a PO's rows are imported together)",
    )
