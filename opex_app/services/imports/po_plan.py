"""What a PO import will do (the plan's frames, the preview of changed cells) and doing it: the POs as the
audit trail records them, and the inserts and updates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import insert, text
from sqlmodel import Session, col

from opex_app.auth.permissions import Principal
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.names import name_key
from opex_app.models import PoLine, PurchaseOrder
from opex_app.services import audit
from opex_app.services.imports.po_checks import shown, sibling_error
from opex_app.services.imports.po_records import CENT, CHANGED, NEW, UNCHANGED, FilePo, StoredLine, StoredPo, to_base
from opex_app.services.imports.result import CellChange
from opex_app.services.imports.strategy import PREVIEW_LIMIT, Plan
from opex_app.services.purchase_orders import ENTITY, service_months
from opex_app.services.request_ids import current_request_id

ACTION = "imported"  # the audit action of a PO created or updated by an import
MONEY = pl.Decimal(18, 2)
LINES_SCHEMA: dict[str, Any] = {"row": pl.Int64, "po_number": pl.String, "uid": pl.String, "amount": MONEY}


def _line_text(uid: str, amount: Decimal, stored: StoredLine | None) -> str:
    """A PO line as the PO's audit trail shows it (as services/purchase_orders words it)."""
    text_ = f"{uid}: {Decimal(amount).quantize(CENT)}"
    if stored is not None:
        months = service_months(stored.service_start, stored.service_end)
        text_ += f" ({months})" if months else ""
        text_ += f" {stored.description}" if stored.description else ""
    return text_


def stored_values(po: StoredPo) -> dict[str, Any]:
    return {
        "po_number": po.po_number,
        "po_date": po.po_date,
        "vendor": po.vendor or "",
        "entity": po.entity or "",
        "currency": po.currency,
        "value": po.value.quantize(CENT),
        "fx_rate": None if po.fx_rate is None else Decimal(po.fx_rate).quantize(Decimal("0.000001")),
        "value_base": po.value_base.quantize(CENT),
        "pr_number": po.pr_number,
        "pr_date": po.pr_date,
        "pr_amount": None if po.pr_amount is None else Decimal(po.pr_amount).quantize(CENT),
        "lines": [_line_text(line.uid, line.amount, line) for line in po.lines],
        "status": po.status,
    }


def plan_pos(
    pos: Iterable[FilePo], parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]
) -> Plan:
    """The checked POs whose rows are all accepted, with their master ids, as the plan's frames of PO lines
    (new, changed, unchanged); a PO with a row refused after the checks waits whole (its rows `dropped`)."""
    taken = set(accepted.get_column("row").to_list())
    planned: list[FilePo] = []
    dropped: list[CellError] = []
    for po in pos:
        out = [row for row in po.rows if row not in taken]
        if out:  # a row has an error found after the checks (a currency, a master): the PO waits whole
            dropped += [sibling_error(parsed, row, po.number, set(out)) for row in po.rows if row in taken]
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


def preview_changes(parsed: ParsedImport, plan: Plan) -> list[CellChange]:
    """The cells a changed PO changes, as the preview shows them (at most PREVIEW_LIMIT)."""
    spec = parsed.spec
    out: list[CellChange] = []
    for po in plan.extra.get("pos", []):
        if po.stored is None:
            continue
        before, after = stored_values(po.stored), file_values(po)
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
                pair = ("; ".join(old), "; ".join(new)) if name == "lines" else (shown(old), shown(new))
                out.append(CellChange(po.number, label, *pair))
                if len(out) >= PREVIEW_LIMIT:
                    return out
    return out


def _frame(records: list[tuple[int, str, str, Decimal]]) -> pl.DataFrame:
    return pl.DataFrame(records, schema=LINES_SCHEMA, orient="row")


def _rate(po: FilePo) -> Decimal:
    assert po.rate is not None, "a new or changed PO is converted by the checks"
    return po.rate


def file_values(po: FilePo, names: Mapping[str, Mapping[int, str]] | None = None) -> dict[str, Any]:
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
        "value": po.value.quantize(CENT),
        "fx_rate": rate.quantize(Decimal("0.000001")),
        "value_base": sum((to_base(line.amount, rate) for line in po.lines), Decimal("0.00")),
        "pr_number": v["pr_number"],
        "pr_date": v["pr_date"],
        "pr_amount": None if v["pr_amount"] is None else Decimal(v["pr_amount"]).quantize(CENT),
        "lines": _after_lines(po, stored),
        "status": v["status"],
    }


def given_values(values: Mapping[str, Any]) -> dict[str, Any]:
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
        "total_amount_base": sum((to_base(line.amount, rate) for line in po.lines), Decimal("0.00")),
    }


def insert_new(
    session: Session,
    principal: Principal,
    batch_id: int,
    pos: list[FilePo],
    fy_ids: Mapping[int, int | None],
    names: Mapping[str, Mapping[int, str]],
    now: Any,
) -> list[dict[str, Any]]:
    """Insert the new POs and their lines (one statement each); returns their audit events."""
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
            for po in pos
        ],
    )
    ids = {number: id_ for id_, number in created}
    lines = [
        {
            "purchase_order_id": ids[po.number],
            "budget_line_id": line.budget_line_id,
            "amount": line.amount,
            "amount_base": to_base(line.amount, _rate(po)),
        }
        for po in pos
        for line in po.lines
    ]
    session.execute(insert(PoLine), lines)
    return [
        audit_event(principal, batch_id, ids[po.number], {}, given_values(file_values(po, names)), now) for po in pos
    ]


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


def update_changed(session: Session, principal: Principal, pos: list[FilePo], fy_ids: Mapping[int, int | None]) -> None:
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
            base = to_base(line.amount, rate)
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


def audit_event(
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
