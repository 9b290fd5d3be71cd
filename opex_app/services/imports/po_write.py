"""The purchase-order write strategy: the file's rows grouped into POs by PO number, checked across their
rows, and each PO created, updated or left as it is, with its lines.

The rules, per PO (a PO is imported with all its rows or not at all):
- Its header fields (PO date, vendor, entity, currency, PO value, PR number/date/amount, status) must agree
  across its rows: a different value is an error on that cell, naming the value of the earlier row (as
  the budget's long layout rules). A blank cell is not a disagreement: the PO takes its other rows' value.
  Blank amounts read as zero, so a PO Value or PR Amount of zero counts as blank.
- Its lines allocate its value to budget lines: a UID names the budget line of the FY of the PO date (an
  unknown UID is an error naming that FY), and the allocations must add up to the PO value (an error on
  the PO Value cell with both figures). Without a PO value, the PO's value is what its lines allocate.
- Status is one of the PoStatus values, in any case. Imported POs are history: they take the file's
  status without the workflow, and are audited as 'imported' (one event per PO, with before/after).
- It is converted at the rate on its PO date (services/fx); a missing rate is an error on its currency
  cell naming the currency and the date, never 1.0. A PO that is unchanged needs no rate.
- A column the file does not have leaves the stored PO's value as it is (a new PO: none). A blank cell of
  a column the file has clears that field; Currency and Status cannot be cleared: blank keeps the stored
  PO's (a new PO takes the base currency and Draft).
- A PO already stored with the same values is unchanged (re-importing a file changes nothing); with other
  values it is updated: its lines are matched by budget line (a line keeps its id and what is linked to
  it, and its service months and description), and a stored line the file no longer has is removed,
  unless invoices are booked against it (an error on the PO's rows).
The other rows of a PO that has an error are errors too ("not imported: row N has errors"), so the row
counts say what was imported. `lines_*` count PO lines: created (a new PO's, or a new allocation of a
stored PO), updated (the other lines of a PO that changes) and unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Principal
from opex_app.domain.fiscal import FiscalYear, fiscal_year_of
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.ingest.amounts import MAX_INTEGER_DIGITS
from opex_app.domain.ingest.specs.pos import HEADER_FIELDS
from opex_app.domain.money import format_indian
from opex_app.domain.names import clean_name, name_key
from opex_app.models import AuditEvent, Currency, PoLine, PoStatus, PurchaseOrder
from opex_app.models._types import utcnow
from opex_app.services import audit, masters
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import missing_rate_message, rates_on
from opex_app.services.imports.result import CellChange, ImportResult
from opex_app.services.imports.strategy import PREVIEW_LIMIT, Plan
from opex_app.services.purchase_orders import ENTITY, service_months
from opex_app.services.request_ids import current_request_id
from opex_app.settings import get_settings

ACTION = "imported"  # the audit action of a PO created or updated by an import
LOCK_KEY = "opex:pos"  # PO imports run one at a time: what one finds stored stays true until it commits
MAX_TEXT = 100  # PO and PR numbers
SHOWN_ROWS = 5
_CENT = Decimal("0.01")
_TOO_LARGE = Decimal(10) ** MAX_INTEGER_DIGITS
MONEY = pl.Decimal(18, 2)
LINES_SCHEMA: dict[str, Any] = {"row": pl.Int64, "po_number": pl.String, "uid": pl.String, "amount": MONEY}
STATUS_NAMES = ", ".join(s.value.title() for s in PoStatus)
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


# ---------------------------------------------------------------------------------------------- what is stored


@dataclass
class StoredLine:
    id: int
    budget_line_id: int
    uid: str
    amount: Decimal
    amount_base: Decimal
    service_start: date | None
    service_end: date | None
    description: str | None
    invoiced: bool  # invoices are booked against it: it cannot be removed


@dataclass
class StoredPo:
    id: int
    po_number: str
    po_date: date | None
    vendor: str | None  # master names
    entity: str | None
    currency: str
    status: str
    value: Decimal
    fx_rate: Decimal | None
    value_base: Decimal
    pr_number: str | None
    pr_date: date | None
    pr_amount: Decimal | None
    lines: list[StoredLine] = field(default_factory=list)  # by id

    def line_of(self, budget_line_id: int) -> StoredLine | None:
        return next((line for line in self.lines if line.budget_line_id == budget_line_id), None)


_STORED_POS = text(
    """
    SELECT p.id, p.po_number, p.po_date, v.name, e.name, p.currency_code, p.status, p.total_amount, p.fx_rate,
           p.total_amount_base, p.pr_number, p.pr_date, p.pr_amount
    FROM purchase_order p
    LEFT JOIN vendor v ON v.id = p.vendor_id
    LEFT JOIN entity e ON e.id = p.entity_id
    WHERE p.po_number = ANY(CAST(:numbers AS text[]))
    """
)
_STORED_LINES = text(
    """
    SELECT l.purchase_order_id, l.id, l.budget_line_id, b.uid, l.amount, l.amount_base, l.service_start,
           l.service_end, l.description, EXISTS (SELECT 1 FROM actual a WHERE a.po_line_id = l.id)
    FROM po_line l JOIN budget_line b ON b.id = l.budget_line_id
    WHERE l.purchase_order_id = ANY(CAST(:ids AS integer[]))
    ORDER BY l.id
    """
)
_BUDGET_LINES = text(
    """
    SELECT f.end_year, b.uid, b.id FROM budget_line b JOIN fiscal_year f ON f.id = b.fiscal_year_id
    WHERE b.uid = ANY(CAST(:uids AS text[]))
    """
)


def stored_pos(session: Session, numbers: Iterable[str]) -> dict[str, StoredPo]:
    """The stored POs of these numbers, with their lines (and whether each has invoices)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    found: dict[str, StoredPo] = {}
    for r in session.execute(_STORED_POS, {"numbers": wanted}):
        found[r[1]] = StoredPo(
            id=r[0],
            po_number=r[1],
            po_date=r[2],
            vendor=r[3],
            entity=r[4],
            currency=r[5],
            status=r[6],
            value=Decimal(r[7]),
            fx_rate=None if r[8] is None else Decimal(r[8]),
            value_base=Decimal(r[9]),
            pr_number=r[10],
            pr_date=r[11],
            pr_amount=None if r[12] is None else Decimal(r[12]),
        )
    by_id = {po.id: po for po in found.values()}
    for po_id, *line in session.execute(_STORED_LINES, {"ids": sorted(by_id)}) if by_id else ():
        by_id[po_id].lines.append(StoredLine(*line))
    return found


def budget_line_ids(session: Session, uids: Iterable[str]) -> dict[tuple[int, str], int]:
    """{(FY end year, UID): budget line id} of the UIDs, in every FY that has them."""
    wanted = sorted(set(uids))
    if not wanted:
        return {}
    return {(end, uid): id_ for end, uid, id_ in session.execute(_BUDGET_LINES, {"uids": wanted})}


# ---------------------------------------------------------------------------------------------- a PO of the file


@dataclass
class FileLine:
    row: int
    uid: str
    amount: Decimal
    budget_line_id: int | None = None


@dataclass
class FilePo:
    """A PO as the file gives it: its header agreed across its rows (a column the file does not have taken
    from the stored PO), its lines, where each header value was read, and what the checks found."""

    number: str
    rows: list[int]
    lines: list[FileLine]
    values: dict[str, Any]  # header field -> value (names for masters, PoStatus value for status)
    cells: dict[str, int]  # header field -> the row its value was read from
    given_value: Decimal | None  # the PO Value of the file (None: not given)
    stored: StoredPo | None
    fy_end: int = 0
    rate: Decimal | None = None
    state: str = ""  # NEW | CHANGED | UNCHANGED once checked
    ids: dict[str, int | None] = field(default_factory=dict)  # vendor/entity master ids, once planned

    @property
    def first_row(self) -> int:
        return self.rows[0]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def value(self) -> Decimal:
        return self.total if self.given_value is None else self.given_value

    def row_of(self, name: str) -> int:
        return self.cells.get(name, self.first_row)


def _base(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(_CENT, rounding=ROUND_HALF_UP)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_indian(value)
    return str(value)


def _status(value: Any) -> str | None:
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
        return _status(value)
    if name in ("po_value", "pr_amount") and value == 0:
        return None  # an empty amount cell reads as zero
    return value


class _Errors:
    """The errors found, by row, worded on the file's cells."""

    def __init__(self, parsed: ParsedImport) -> None:
        self.parsed = parsed
        self.items: list[CellError] = []
        self.rows: set[int] = set()

    def add(self, row: int, name: str, value: Any, message: str) -> None:
        self.items.append(self.parsed.cell_error(row, name, _shown(value), message))
        self.rows.add(row)


def _row_checks(parsed: ParsedImport, rows: pl.DataFrame, errors: _Errors) -> list[dict[str, Any]]:
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
        if status is not None and _status(status) is None:
            errors.add(row, "status", status, f"Status '{status}' is not a PO status: expected one of {STATUS_NAMES}")
    return records


def _group(
    parsed: ParsedImport,
    records: list[dict[str, Any]],
    stored: Mapping[str, StoredPo],
    errors: _Errors,
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
                        f"{spec.label(name)} '{_shown(value)}' differs from '{_shown(agreed)}' on row "
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
            value = _status(value)
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


def _line_text(uid: str, amount: Decimal, stored: StoredLine | None) -> str:
    """A PO line as the PO's audit trail shows it (as services/purchase_orders words it)."""
    text_ = f"{uid}: {Decimal(amount).quantize(_CENT)}"
    if stored is not None:
        months = service_months(stored.service_start, stored.service_end)
        text_ += f" ({months})" if months else ""
        text_ += f" {stored.description}" if stored.description else ""
    return text_


def _stored_values(po: StoredPo) -> dict[str, Any]:
    return {
        "po_number": po.po_number,
        "po_date": po.po_date,
        "vendor": po.vendor or "",
        "entity": po.entity or "",
        "currency": po.currency,
        "value": po.value.quantize(_CENT),
        "fx_rate": None if po.fx_rate is None else Decimal(po.fx_rate).quantize(Decimal("0.000001")),
        "value_base": po.value_base.quantize(_CENT),
        "pr_number": po.pr_number,
        "pr_date": po.pr_date,
        "pr_amount": None if po.pr_amount is None else Decimal(po.pr_amount).quantize(_CENT),
        "lines": [_line_text(line.uid, line.amount, line) for line in po.lines],
        "status": po.status,
    }


# ---------------------------------------------------------------------------------------------- the strategy


@dataclass
class _Report:
    errors: list[CellError] = field(default_factory=list)  # errors report() added to the result
    moved: int = 0  # rows report() moved from accepted to rejected


class PoStrategy:
    """Purchase orders: create the new POs, update the changed ones, leave the others; nothing is deleted."""

    def __init__(self) -> None:
        settings = get_settings()
        self._base, self._start = settings.base_currency, settings.fy_start_month
        self._chosen: FiscalYear | None = None
        self._pos: dict[str, FilePo] = {}
        self._errors: list[CellError] = []
        self._reported = _Report()

    def prefetch(self, session: Session, chosen: FiscalYear | None) -> None:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": LOCK_KEY})
        self._chosen = chosen

    def load(self, session: Session, parsed: ParsedImport) -> None:
        valid = parsed.rows.filter(pl.col("valid"))
        errors = _Errors(parsed)
        records = _row_checks(parsed, valid, errors)
        stored = stored_pos(session, parsed.rows.get_column("po_number").drop_nulls().unique().to_list())
        pos = _group(parsed, records, stored, errors, self._base)
        lines = budget_line_ids(session, valid.get_column("uid").drop_nulls().unique().to_list())
        codes = set(session.exec(select(Currency.code)))
        self._check(parsed, pos, lines, errors)
        wanted = {
            (po.values["currency"], po.values["po_date"])
            for po in pos.values()
            if po.state in (NEW, CHANGED) and po.values["currency"] in codes
        }
        rates = rates_on(session, wanted)
        for po in pos.values():
            if po.state in (NEW, CHANGED) and po.values["currency"] in codes:
                self._convert(po, rates.get((po.values["currency"], po.values["po_date"])), errors)
        self._errors = errors.items + self._siblings(parsed, pos, errors)
        self._pos = {number: po for number, po in pos.items() if not errors.rows.intersection(po.rows)}

    def _check(
        self, parsed: ParsedImport, pos: dict[str, FilePo], lines: Mapping[tuple[int, str], int], errors: _Errors
    ) -> None:
        """The rules of each PO whose rows have no error: its date and FY, its UIDs, its allocations; then
        whether it is new, changed or unchanged, and whether a changed one drops an invoiced line."""
        for po in pos.values():
            if errors.rows.intersection(po.rows):
                continue
            day = po.values["po_date"]
            if day is None:
                errors.add(
                    po.first_row,
                    "po_date",
                    None,
                    f"PO Date is empty on every row of PO '{po.number}': the FY of its UIDs and its FX rate "
                    "come from it",
                )
                continue
            fy = fiscal_year_of(day, self._start)
            po.fy_end = fy.end_year
            if self._chosen is not None and fy.end_year != self._chosen.end_year:
                errors.add(
                    po.row_of("po_date"),
                    "po_date",
                    day,
                    f"PO date {day.isoformat()} is outside {self._chosen.name}, the fiscal year of this import "
                    f"(--fy): it is in {fy.name}",
                )
                continue
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
            if errors.rows.intersection(po.rows):
                continue
            if po.stored is None:
                po.state = NEW
                continue
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

    def _convert(self, po: FilePo, rate: Decimal | None, errors: _Errors) -> None:
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

    def _siblings(self, parsed: ParsedImport, pos: dict[str, FilePo], errors: _Errors) -> list[CellError]:
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
                    out.append(_sibling(parsed, row, number, bad_rows))
        return out

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        return list(self._errors)  # found by load(), on the same valid rows: the rules need the stored POs

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        taken = set(accepted.get_column("row").to_list())
        planned: list[FilePo] = []
        dropped: list[CellError] = []
        for po in self._pos.values():
            out = [row for row in po.rows if row not in taken]
            if out:  # a row has an error found after the checks (a currency, a master): the PO waits whole
                dropped += [_sibling(parsed, row, po.number, set(out)) for row in po.rows if row in taken]
                continue
            for kind in ("vendor", "entity"):
                name = po.values[kind]
                po.ids[kind] = None if name is None else known.get(kind, {}).get(name_key(name))
            planned.append(po)
        new: list[tuple[int, str, str, Decimal]] = []
        changed: list[tuple[int, str, str, Decimal]] = []
        unchanged: list[tuple[int, str, str, Decimal]] = []
        for po in planned:
            for line in po.lines:
                record = (line.row, po.number, line.uid, line.amount)
                if po.state == UNCHANGED:
                    unchanged.append(record)
                elif po.stored is None or po.stored.line_of(line.budget_line_id or 0) is None:
                    new.append(record)
                else:
                    changed.append(record)
        return Plan(
            new=_frame(new),
            changed=_frame(changed),
            unchanged=_frame(unchanged),
            extra={
                "pos": [po for po in planned if po.state in (NEW, CHANGED)],
                "counts": {state: sum(po.state == state for po in planned) for state in (NEW, CHANGED, UNCHANGED)},
                "fy_ends": sorted({po.fy_end for po in planned}),
                "dropped": dropped,
            },
        )

    def changes(self, session: Session, parsed: ParsedImport, plan: Plan) -> list[CellChange]:
        spec = parsed.spec
        out: list[CellChange] = []
        for po in plan.extra.get("pos", []):
            if po.stored is None:
                continue
            before, after = _stored_values(po.stored), _file_values(po)
            for name, label in (
                ("po_date", spec.label("po_date")),
                ("vendor", spec.label("vendor")),
                ("entity", spec.label("entity")),
                ("currency", spec.label("currency")),
                ("value", spec.label("po_value")),
                ("pr_number", spec.label("pr_number")),
                ("pr_date", spec.label("pr_date")),
                ("pr_amount", spec.label("pr_amount")),
                ("status", spec.label("status")),
                ("lines", "Allocations"),
            ):
                old, new = before[name], after[name]
                if name in ("vendor", "entity"):
                    differs = name_key(old or "") != name_key(new or "")
                elif name == "lines":
                    differs = sorted(old) != sorted(new)
                elif name == "pr_amount":
                    differs = (old or 0) != (new or 0)
                else:
                    differs = old != new
                if differs:
                    shown = ("; ".join(old), "; ".join(new)) if name == "lines" else (_shown(old), _shown(new))
                    out.append(CellChange(po.number, label, *shown))
                    if len(out) >= PREVIEW_LIMIT:
                        return out
        return out

    def missing(self, parsed: ParsedImport, rows: pl.DataFrame) -> pl.Series:
        return pl.Series("po_number", [], dtype=pl.String)  # a file of POs is a slice: nothing is missing

    def fiscal_year_id(self, session: Session, parsed: ParsedImport) -> int | None:
        return None  # a file of POs may span FYs; each PO's FY is its PO date's

    def write(self, session: Session, principal: Principal, batch_id: int, plan: Plan) -> None:
        pos: list[FilePo] = plan.extra.get("pos", [])
        if not pos:
            return
        fy_ids = {end: ensure_fiscal_year(session, FiscalYear(end, self._start)).id for end in {p.fy_end for p in pos}}
        names = {kind: masters.names_by_id(session, kind) for kind in ("vendor", "entity")}
        session.flush()
        now = utcnow()
        events: list[dict[str, Any]] = []
        new = [po for po in pos if po.stored is None]
        if new:
            created = session.execute(
                insert(PurchaseOrder).returning(col(PurchaseOrder.id), col(PurchaseOrder.po_number)),
                [
                    {
                        **_header_row(po, fy_ids),
                        "po_number": po.number,
                        "version": 1,
                        "created_at": now,
                        "created_by": principal.actor,
                    }
                    for po in new
                ],
            )
            ids = {number: id_ for id_, number in created}
            lines = [
                {
                    "purchase_order_id": ids[po.number],
                    "budget_line_id": line.budget_line_id,
                    "amount": line.amount,
                    "amount_base": _base(line.amount, _rate(po)),
                }
                for po in new
                for line in po.lines
            ]
            session.execute(insert(PoLine), lines)
            events += [
                _event(principal, batch_id, ids[po.number], {}, _given(_file_values(po, names)), now) for po in new
            ]
        changed = [po for po in pos if po.stored is not None]
        if changed:
            _update(session, principal, changed, fy_ids)
            events += [
                _event(principal, batch_id, po.stored.id, _stored_values(po.stored), _file_values(po, names), now)
                for po in changed
                if po.stored is not None
            ]
        events = [event for event in events if event["changes"]]
        if events:
            session.execute(insert(AuditEvent), events)

    def report(self, result: ImportResult, plan: Plan) -> None:
        # report() runs again after new masters are created: replace what it added, never repeat it.
        added = {id(error) for error in self._reported.errors}
        result.errors = [error for error in result.errors if id(error) not in added]
        result.rows_accepted += self._reported.moved
        result.rows_rejected -= self._reported.moved
        dropped: list[CellError] = plan.extra.get("dropped", [])
        result.errors = sorted([*result.errors, *dropped], key=lambda e: (e.row or 0, len(e.cell), e.cell))
        result.rows_accepted -= len(dropped)
        result.rows_rejected += len(dropped)
        self._reported = _Report(list(dropped), len(dropped))
        years = [FiscalYear(end, self._start).name for end in plan.extra.get("fy_ends", [])]
        result.fiscal_year = years[0] if len(years) == 1 else None
        counts = plan.extra.get("counts", {})
        result.extra.update(
            {
                "fiscal_years": years,
                "pos_created": counts.get(NEW, 0),
                "pos_updated": counts.get(CHANGED, 0),
                "pos_unchanged": counts.get(UNCHANGED, 0),
            }
        )


# ---------------------------------------------------------------------------------------------- helpers


def _sibling(parsed: ParsedImport, row: int, number: str, bad_rows: set[int]) -> CellError:
    shown = sorted(bad_rows)
    rows = ", ".join(map(str, shown[:SHOWN_ROWS])) + (", ..." if len(shown) > SHOWN_ROWS else "")
    return parsed.cell_error(
        row,
        "po_number",
        number,
        f"PO '{number}' is not imported: {'row' if len(shown) == 1 else 'rows'} {rows} of it "
        f"{'has' if len(shown) == 1 else 'have'} errors (a PO's rows are imported together)",
    )


def _frame(records: list[tuple[int, str, str, Decimal]]) -> pl.DataFrame:
    return pl.DataFrame(records, schema=LINES_SCHEMA, orient="row")


def _rate(po: FilePo) -> Decimal:
    assert po.rate is not None, "a new or changed PO is converted by the checks"
    return po.rate


def _file_values(po: FilePo, names: Mapping[str, Mapping[int, str]] | None = None) -> dict[str, Any]:
    """The PO as it will be stored, as the audit trail records it (masters by their stored name)."""
    v = po.values
    rate = _rate(po)

    def master(kind: str) -> str:
        id_ = po.ids.get(kind)
        return (names or {}).get(kind, {}).get(id_, v[kind] or "") if id_ is not None else v[kind] or ""

    stored = po.stored
    return {
        "po_number": po.number,
        "po_date": v["po_date"],
        "vendor": master("vendor"),
        "entity": master("entity"),
        "currency": v["currency"],
        "value": po.value.quantize(_CENT),
        "fx_rate": rate.quantize(Decimal("0.000001")),
        "value_base": sum((_base(line.amount, rate) for line in po.lines), Decimal("0.00")),
        "pr_number": v["pr_number"],
        "pr_date": v["pr_date"],
        "pr_amount": None if v["pr_amount"] is None else Decimal(v["pr_amount"]).quantize(_CENT),
        "lines": _after_lines(po, stored),
        "status": v["status"],
    }


def _given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that have a value (what a new PO's audit event lists)."""
    return {name: value for name, value in values.items() if value not in (None, "", [])}


def _after_lines(po: FilePo, stored: StoredPo | None) -> list[str]:
    """The PO's lines after the import, in the order the PO shows them: kept lines first (by id), then new."""
    by_budget = {line.budget_line_id: line for line in po.lines}
    kept = [
        _line_text(line.uid, by_budget[line.budget_line_id].amount, line)
        for line in (stored.lines if stored is not None else [])
        if line.budget_line_id in by_budget
    ]
    known = {line.budget_line_id for line in stored.lines} if stored is not None else set()
    added = [_line_text(line.uid, line.amount, None) for line in po.lines if line.budget_line_id not in known]
    return kept + added


def _header_row(po: FilePo, fy_ids: Mapping[int, int | None]) -> dict[str, Any]:
    v = po.values
    rate = _rate(po)
    return {
        "fiscal_year_id": fy_ids[po.fy_end],
        "po_date": v["po_date"],
        "vendor_id": po.ids.get("vendor"),
        "entity_id": po.ids.get("entity"),
        "currency_code": v["currency"],
        "status": v["status"],
        "pr_number": v["pr_number"],
        "pr_date": v["pr_date"],
        "pr_amount": v["pr_amount"],
        "total_amount": po.value,
        "fx_rate": rate,
        "total_amount_base": sum((_base(line.amount, rate) for line in po.lines), Decimal("0.00")),
    }


_UPDATE_PO = text(
    """
    UPDATE purchase_order SET fiscal_year_id = :fiscal_year_id, po_date = :po_date, vendor_id = :vendor_id,
           entity_id = :entity_id, currency_code = :currency_code, status = :status, pr_number = :pr_number,
           pr_date = :pr_date, pr_amount = :pr_amount, total_amount = :total_amount, fx_rate = :fx_rate,
           total_amount_base = :total_amount_base, version = version + 1, updated_at = now(), updated_by = :actor
    WHERE id = :id
    """
)
_UPDATE_LINE = text("UPDATE po_line SET amount = :amount, amount_base = :amount_base WHERE id = :id")
_DELETE_LINES = text("DELETE FROM po_line WHERE id = ANY(CAST(:ids AS integer[]))")


def _update(session: Session, principal: Principal, pos: list[FilePo], fy_ids: Mapping[int, int | None]) -> None:
    """Update the changed POs: their header, their kept lines, their new lines; remove the lines they dropped
    (the checks refused any with invoices)."""
    headers, kept, added, removed = [], [], [], []
    for po in pos:
        assert po.stored is not None
        rate = _rate(po)
        headers.append({**_header_row(po, fy_ids), "id": po.stored.id, "actor": principal.actor})
        wanted = {line.budget_line_id for line in po.lines}
        removed += [line.id for line in po.stored.lines if line.budget_line_id not in wanted]
        for line in po.lines:
            stored = po.stored.line_of(line.budget_line_id or 0)
            base = _base(line.amount, rate)
            if stored is None:
                added.append(
                    {
                        "purchase_order_id": po.stored.id,
                        "budget_line_id": line.budget_line_id,
                        "amount": line.amount,
                        "amount_base": base,
                    }
                )
            elif (stored.amount, stored.amount_base) != (line.amount, base):
                kept.append({"id": stored.id, "amount": line.amount, "amount_base": base})
    session.execute(_UPDATE_PO, headers)
    if removed:
        session.execute(_DELETE_LINES, {"ids": removed})
    if kept:
        session.execute(_UPDATE_LINE, kept)
    if added:
        session.execute(insert(PoLine), added)


def _event(
    principal: Principal, batch_id: int, po_id: int, before: Mapping[str, Any], after: Mapping[str, Any], at: Any
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": principal.actor,
        "action": ACTION,
        "entity": ENTITY,
        "entity_id": str(po_id),
        "changes": audit.changed_fields(before, after),
        "request_id": current_request_id(),
        "import_batch_id": batch_id,
    }
