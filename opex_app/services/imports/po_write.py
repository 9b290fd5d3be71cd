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

PoStrategy (here: the pipeline loads it by this path) drives the modules beside it: po_records (the stored
POs and the file's), po_checks (the rules above) and po_plan (the plan, the preview, the writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import insert, text
from sqlmodel import Session, select

from opex_app.auth.permissions import Principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.models import AuditEvent, Currency
from opex_app.models._types import utcnow
from opex_app.services import masters
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import rates_on
from opex_app.services.imports.po_checks import Errors, check_pos, convert, group_rows, row_checks, siblings
from opex_app.services.imports.po_plan import (
    audit_event,
    file_values,
    insert_new,
    plan_pos,
    preview_changes,
    stored_values,
    update_changed,
)
from opex_app.services.imports.po_records import CHANGED, NEW, UNCHANGED, FilePo, budget_line_ids, stored_pos
from opex_app.services.imports.result import CellChange, ImportResult
from opex_app.services.imports.strategy import Plan
from opex_app.settings import get_settings

LOCK_KEY = "opex:pos"  # PO imports run one at a time: what one finds stored stays true until it commits


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
        errors = Errors(parsed)
        records = row_checks(parsed, valid, errors)
        stored = stored_pos(session, parsed.rows.get_column("po_number").drop_nulls().unique().to_list())
        pos = group_rows(parsed, records, stored, errors, self._base)
        lines = budget_line_ids(session, valid.get_column("uid").drop_nulls().unique().to_list())
        codes = set(session.exec(select(Currency.code)))
        check_pos(pos, lines, errors, start=self._start, chosen=self._chosen)
        wanted = {
            (po.values["currency"], po.values["po_date"])
            for po in pos.values()
            if po.state in (NEW, CHANGED) and po.values["currency"] in codes
        }
        rates = rates_on(session, wanted)
        for po in pos.values():
            if po.state in (NEW, CHANGED) and po.values["currency"] in codes:
                convert(po, rates.get((po.values["currency"], po.values["po_date"])), errors)
        self._errors = errors.items + siblings(parsed, pos, errors)
        self._pos = {number: po for number, po in pos.items() if not errors.rows.intersection(po.rows)}

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        return list(self._errors)  # found by load(), on the same valid rows: the rules need the stored POs

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        return plan_pos(self._pos.values(), parsed, accepted, known)

    def changes(self, session: Session, parsed: ParsedImport, plan: Plan) -> list[CellChange]:
        return preview_changes(parsed, plan)

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
            events += insert_new(session, principal, batch_id, new, fy_ids, names, now)
        changed = [po for po in pos if po.stored is not None]
        if changed:
            update_changed(session, principal, changed, fy_ids)
            events += [
                audit_event(principal, batch_id, po.stored.id, stored_values(po.stored), file_values(po, names), now)
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
