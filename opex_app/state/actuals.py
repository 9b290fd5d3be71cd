"""Unlinked actuals state: one page of the queue (actuals booked to no budget line), and the link dialog.

The dialog finds a budget line by UID search in the actual's FY (`search_lines`), then offers the PO lines
allocating to that line (POs found by the PO number typed, else the actual's vendor, in that FY), and links
with the version of the row the user saw (optimistic locking): someone else's change in between is refused
with their change named, and the queue row is read again so a second try links on top of it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session, transaction
from opex_app.domain.money import format_indian
from opex_app.domain.url_params import page_number
from opex_app.services import actuals, reporting_basis
from opex_app.services import purchase_orders as pos
from opex_app.services.errors import Conflict, ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

DAY = "%d-%b-%Y"
PO_SEARCH_LIMIT = 10  # POs read for their lines when the dialog offers PO lines


def unlinked_reason(uid_ref: str, po_ref: str, fy: str) -> str:
    """Why an actual waits in the queue, from its references as typed (what the import said of it)."""
    if po_ref and uid_ref:
        return f"PO '{po_ref}' with UID '{uid_ref}' matched no PO line or budget line of {fy}"
    if po_ref:
        return f"PO '{po_ref}' matched no purchase order line"
    if uid_ref:
        return f"UID '{uid_ref}' matched no budget line of {fy}"
    return "No UID or PO number: nothing to link it by"


def _row(r: actuals.UnlinkedRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "version": str(r.version),
        "invoice_number": r.invoice_number,
        "invoice_date": r.invoice_date.strftime(DAY),
        "fiscal_year": r.fiscal_year,
        "vendor": r.vendor or "—",
        "amount": f"{r.currency} {format_indian(r.amount)}",
        "amount_base": format_indian(r.amount_base),
        "uid_ref": r.uid_ref or "—",
        "po_ref": r.po_ref or "—",
        "reason": unlinked_reason(r.uid_ref, r.po_ref, r.fiscal_year),
        "remarks": r.remarks,
        # the raw values the link dialog starts from
        "uid_typed": r.uid_ref,
        "po_typed": r.po_ref,
        "vendor_name": r.vendor,
    }


def po_line_choices(
    session: Any, principal: Principal, *, line_id: int, fy: str, text: str, vendor: str, tower: str
) -> list[dict[str, str]]:
    """The PO lines allocating to budget line `line_id`, among the POs of `fy` matching the PO number typed
    (else those of the vendor, and of the line's tower): [{id, label}]."""
    flt = pos.PoFilter(fy=fy, text=text.strip(), vendor="" if text.strip() else vendor, tower=tower)
    found = pos.list_pos(session, principal, flt, page_size=PO_SEARCH_LIMIT)
    out: list[dict[str, str]] = []
    for row in found.rows:
        po = pos.get_po(session, principal, row.id)
        for line in po.lines:
            if line.budget_line_id != line_id:
                continue
            open_amount = max(line.amount - line.invoiced, Decimal(0))
            out.append(
                {
                    "id": str(line.id),
                    "po_number": po.po_number,
                    "label": (
                        f"{po.po_number} · {po.status} · {po.currency} {format_indian(line.amount)} allocated, "
                        f"{format_indian(open_amount)} open"
                    ),
                }
            )
    return out


class UnlinkedActualsState(AppState):
    rows: list[dict[str, str]] = []
    page_number: int = 1
    page_count: int = 1
    total_count: int = 0
    total_base: str = "0.00"
    base_currency: str = ""
    error: str = ""
    message: str = ""
    warnings: list[str] = []
    # The link dialog (link_ref 0: closed).
    link_ref: int = 0
    link_version: int = 0
    link_title: str = ""
    link_summary: str = ""
    link_fy: str = ""
    line_text: str = ""
    line_choices: list[dict[str, str]] = []
    picked_line: str = ""  # budget line id
    picked_uid: str = ""
    picked_description: str = ""
    po_text: str = ""
    po_choices: list[dict[str, str]] = []
    picked_po_line: str = ""  # PO line id, '' for none
    link_error: str = ""
    _link_vendor: str = ""
    _picked_tower: str = ""

    def _read(self) -> None:
        self.base_currency = reporting_basis.base_currency()
        try:
            with read_session() as session:
                found = actuals.unlinked_actuals(session, current_principal(), page=self.page_number)
        except ServiceError as exc:
            self.error, self.rows = str(exc), []
            return
        self.error = ""
        self.rows = [_row(r) for r in found.rows]
        self.page_number, self.page_count, self.total_count = found.page, found.page_count, found.total_count
        self.total_base = format_indian(found.total_base)

    def _search_lines(self) -> None:
        try:
            with read_session() as session:
                found = pos.search_lines(session, current_principal(), fy=self.link_fy, text=self.line_text.strip())
        except ServiceError:
            found = []
        self.line_choices = [
            {
                "id": str(c.id),
                "uid": c.uid,
                "description": c.description,
                "tower": c.tower,
                "detail": " · ".join(x for x in (c.tower, c.vendor) if x),
            }
            for c in found
        ]

    def _search_po_lines(self) -> None:
        if not self.picked_line:
            self.po_choices = []
            return
        try:
            with read_session() as session:
                self.po_choices = po_line_choices(
                    session,
                    current_principal(),
                    line_id=int(self.picked_line),
                    fy=self.link_fy,
                    text=self.po_text,
                    vendor=self._link_vendor,
                    tower=self._picked_tower,
                )
        except ServiceError:
            self.po_choices = []
        if self.picked_po_line not in {c["id"] for c in self.po_choices}:
            self.picked_po_line = ""

    # ------------------------------------------------------------------------------------ handlers

    @guarded(Permission.EDIT_BUDGET)
    def load(self) -> None:
        """on_load: the first page of the queue."""
        self.message, self.warnings, self.link_ref = "", [], 0
        self.page_number = page_number(self.router.url.query_parameters.get("page", "1"))
        self._read()

    @guarded(Permission.EDIT_BUDGET)
    def go_to_page(self, number: int) -> None:
        self.page_number = max(1, min(int(number), self.page_count))
        self.message, self.warnings = "", []
        self._read()

    @guarded(Permission.EDIT_BUDGET)
    def start_link(self, actual_id: str) -> None:
        """Open the link dialog for one queue row, at the version shown."""
        row = next((r for r in self.rows if r["id"] == str(actual_id)), None)
        if row is None:
            return
        self.link_ref, self.link_version = int(row["id"]), int(row["version"])
        self.link_title = f"Link invoice {row['invoice_number']}"
        self.link_summary = (
            f"{row['invoice_date']} ({row['fiscal_year']}) · {row['vendor']} · {row['amount']} · "
            f"UID as typed: {row['uid_ref']} · PO as typed: {row['po_ref']}"
        )
        self.link_fy = row["fiscal_year"]
        self._link_vendor = row["vendor_name"]
        self.line_text = row["uid_typed"]
        self.picked_line = self.picked_uid = self.picked_description = self.picked_po_line = ""
        self._picked_tower = ""
        self.po_text = row["po_typed"]
        self.po_choices, self.link_error = [], ""
        self._search_lines()

    @guarded(Permission.EDIT_BUDGET)
    def close_link(self) -> None:
        self.link_ref, self.link_error = 0, ""
        self.line_choices, self.po_choices = [], []

    @guarded(Permission.EDIT_BUDGET)
    def search_line(self, text: str) -> None:
        self.line_text = text
        self._search_lines()

    @guarded(Permission.EDIT_BUDGET)
    def pick_line(self, line_id: str) -> None:
        choice = next((c for c in self.line_choices if c["id"] == str(line_id)), None)
        if choice is None:
            return
        self.picked_line, self.picked_uid, self.picked_description = choice["id"], choice["uid"], choice["description"]
        self._picked_tower = choice["tower"]
        self.line_text = choice["uid"]
        self.picked_po_line, self.link_error = "", ""
        self._search_po_lines()

    @guarded(Permission.EDIT_BUDGET)
    def unpick_line(self) -> None:
        self.picked_line = self.picked_uid = self.picked_description = self.picked_po_line = ""
        self.po_choices = []
        self._search_lines()

    @guarded(Permission.EDIT_BUDGET)
    def search_po(self, text: str) -> None:
        self.po_text = text
        self._search_po_lines()

    @guarded(Permission.EDIT_BUDGET)
    def pick_po_line(self, po_line_id: str) -> None:
        wanted = str(po_line_id)
        self.picked_po_line = "" if wanted == self.picked_po_line else wanted  # a second click unpicks it

    @guarded(Permission.EDIT_BUDGET)
    def confirm_link(self) -> None:
        """Link the actual to the picked line (and PO line) at the version the user saw."""
        if not self.link_ref:
            return
        if not self.picked_line:
            self.link_error = "Pick the budget line first."
            return
        principal = current_principal()
        try:
            with transaction() as session:
                saved = actuals.link_actual(
                    session,
                    principal,
                    self.link_ref,
                    expected_version=self.link_version,
                    budget_line_id=int(self.picked_line),
                    po_line_id=int(self.picked_po_line) if self.picked_po_line else None,
                )
                invoice, warnings = saved.actual.invoice_number, saved.warnings
        except Conflict as exc:
            self.link_error = str(exc)
            self._read()  # the row as it is now: linking again applies on top of their change
            row = next((r for r in self.rows if r["id"] == str(self.link_ref)), None)
            if row is None:
                self.link_error += " It is no longer unlinked."
            else:
                self.link_version = int(row["version"])
            return
        except ServiceError as exc:
            self.link_error = str(exc)
            return
        po = next((c["po_number"] for c in self.po_choices if c["id"] == self.picked_po_line), "")
        self.message = f"Invoice {invoice} linked to {self.picked_uid}" + (f" (PO {po})." if po else ".")
        self.warnings = warnings
        self.link_ref, self.line_choices, self.po_choices = 0, [], []
        self._read()
