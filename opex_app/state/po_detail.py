"""PO detail state: header, lines, invoices and history of one PO, and the workflow actions the user may take
on it now (submit, approve, reject, back to draft, close, cancel).

Approve and reject come from `PoDecisionMixin` (shared with the approvals inbox); the others go through
one confirmation dialog here. Every action names the version on screen (optimistic locking).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.domain import po_workflow
from opex_app.domain.po_workflow import PoAction
from opex_app.domain.url_params import record_id
from opex_app.services import purchase_orders as pos
from opex_app.services import reporting_basis
from opex_app.services.errors import NotFound, ServiceError
from opex_app.state.approvals import PoDecisionMixin, money, when
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

DAY = "%d-%b-%Y"

# The actions confirmed in this page's own dialog: (handler) → title, what it does, button.
CONFIRM_TEXT: dict[str, tuple[str, str]] = {
    PoAction.SUBMIT.value: ("Submit PO {po} for approval?", "It waits in the approvers' inbox and cannot be edited."),
    PoAction.REOPEN.value: ("Take PO {po} back to draft?", "You can edit it and submit it again."),
    PoAction.CLOSE.value: (
        "Close PO {po}?",
        "What is left open on it is released from committed. Invoices can still be booked against it.",
    ),
    PoAction.CANCEL.value: ("Cancel PO {po}?", "A cancelled PO commits nothing and cannot be reopened."),
}
_SERVICE = {
    PoAction.SUBMIT.value: pos.submit_po,
    PoAction.REOPEN.value: pos.reopen_po,
    PoAction.CLOSE.value: pos.close_po,
    PoAction.CANCEL.value: pos.cancel_po,
}
_DONE = {
    PoAction.SUBMIT.value: "submitted for approval",
    PoAction.REOPEN.value: "back to draft",
    PoAction.CLOSE.value: "closed",
    PoAction.CANCEL.value: "cancelled",
}


def _day(value: Any) -> str:
    return value.strftime(DAY) if value else ""


def _amount(value: Decimal | None, currency: str) -> str:
    return "" if value is None else f"{currency} {money(value)}"


def _header(po: pos.PoView, base: str) -> list[dict[str, str]]:
    items = [
        ("PO date", f"{_day(po.po_date)} ({po.fiscal_year})"),
        ("Vendor", po.vendor),
        ("Entity", po.entity),
        ("PO value", _amount(po.value, po.currency)),
    ]
    if po.currency != base:
        rate = f"{po.fx_rate.normalize():f}" if po.fx_rate is not None else "no rate"
        items.append((f"Value ({base})", f"{base} {money(po.value_base)} at {rate} on the PO date"))
    items += [
        ("PR", " · ".join(x for x in (po.pr_number or "", _day(po.pr_date), _amount(po.pr_amount, po.currency)) if x)),
        ("Raised", f"{when(po.created_at)} by {po.created_by}"),
        ("Submitted", when(po.submitted_at)),
        ("Approved", f"{when(po.approved_at)} by {po.approved_by}" if po.approved_at else ""),
        ("Closed", when(po.closed_at)),
        ("Last changed", f"{when(po.updated_at)} by {po.updated_by}" if po.updated_at else ""),
    ]
    shown = [{"label": label, "value": value} for label, value in items if value]  # nothing for what did not happen
    return [*shown, {"label": "Description", "value": po.description or "—"}]


def _line(line: pos.PoLineView) -> dict[str, str]:
    return {
        "budget_line_id": str(line.budget_line_id),
        "uid": line.uid,
        "description": line.description or line.line_description,
        "amount": money(line.amount),
        "amount_base": money(line.amount_base),
        "service_months": line.service_months or "—",
        "invoiced": money(line.invoiced) if line.invoiced else "–",
        "open": money(max(line.amount - line.invoiced, Decimal(0))),
    }


def _invoice(inv: pos.InvoiceView) -> dict[str, str]:
    return {
        "invoice_number": inv.invoice_number,
        "invoice_date": _day(inv.invoice_date),
        "vendor": inv.vendor,
        "uid": inv.uid,
        "amount": f"{inv.currency} {money(inv.amount)}",
        "amount_base": money(inv.amount_base),
        "remarks": inv.remarks,
    }


def _history(entry: pos.PoHistoryEntry) -> dict[str, str]:
    moved = entry.status_from is not None and entry.status_to is not None
    details = [c for c in entry.changes if not c.startswith(("Status:", "Comment:"))]
    if entry.action == "create":  # every field was empty before: say only what it was created with
        details = [c.replace(": (empty) → ", ": ", 1) for c in details]
    return {
        "at": when(entry.at),
        "actor": entry.actor,
        "action": {"create": "created", "update": "edited", "transition": "status"}.get(entry.action, entry.action),
        "from": (entry.status_from or "") if moved else "",
        "to": (entry.status_to or "") if moved else "",
        "comment": entry.comment or "",
        "changes": "\n".join(details),
    }


class PoDetailState(PoDecisionMixin, AppState):
    not_found: str = ""
    po_ref: int = 0  # the PO shown (not `po_id`: that name is the route argument)
    po_number: str = ""
    status: str = ""
    version: int = 0
    currency: str = ""
    value: str = ""
    editable: bool = False
    raised_by_me: bool = False
    rejection_reason: str = ""
    approval_comment: str = ""
    header: list[dict[str, str]] = []
    lines: list[dict[str, str]] = []
    lines_total: dict[str, str] = {}
    invoices: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    actions: list[str] = []  # the workflow's actions from this status that the user's role allows
    # The confirmation dialog of submit / reopen / close / cancel.
    confirm_action: str = ""
    confirm_title: str = ""
    confirm_text: str = ""

    def _id_from_url(self) -> int | None:
        parts = [p for p in self.router.url.path.split("/") if p]
        return record_id(parts[1]) if len(parts) >= 2 and parts[0] == "pos" else None

    def _read(self) -> bool:
        po_id = self._id_from_url()
        principal = current_principal()
        try:
            if po_id is None:
                raise NotFound("There is no such PO.")
            with read_session() as session:
                po = pos.get_po(session, principal, po_id)
        except NotFound as exc:
            self.not_found, self.po_ref, self.po_number = str(exc), 0, ""
            return False
        base = reporting_basis.base_currency()
        self.not_found = ""
        self.base_currency = base
        self.po_ref, self.po_number, self.status, self.version = po.id, po.po_number, po.status, po.version
        self.currency, self.value = po.currency, money(po.value)
        self.editable = po.editable and principal.can(Permission.CREATE_PO)
        self.raised_by_me = po.created_by == principal.actor
        self.rejection_reason = (po.rejection_reason or "") if po.status == "rejected" else ""
        self.approval_comment = po.approval_comment or ""
        self.header = _header(po, base)
        self.lines = [_line(line) for line in po.lines]
        self.lines_total = {
            "amount": money(sum((line.amount for line in po.lines), Decimal(0))),
            "amount_base": money(sum((line.amount_base for line in po.lines), Decimal(0))),
            "invoiced": money(invoiced) if (invoiced := sum((line.invoiced for line in po.lines), Decimal(0))) else "–",
        }
        self.invoices = [_invoice(inv) for inv in po.invoices]
        self.history = [_history(h) for h in reversed(po.history)]
        self.actions = [
            a
            for a in po.actions
            if principal.can(po_workflow.rule(a).permission)
            and not (a in {PoAction.APPROVE.value, PoAction.REJECT.value} and self.raised_by_me)
        ]
        return True

    def _after_decision(self) -> None:
        self._read()

    @guarded(Permission.VIEW_DASHBOARDS)
    def load(self) -> None:
        """on_load: the PO named in the URL."""
        self.decision_error = self.decision_message = self.confirm_action = ""
        self.overrun_open = self.reject_open = False
        self._read()

    @guarded(Permission.CREATE_PO)
    def ask(self, action: str) -> None:
        """Open the confirmation of submit, back to draft, close or cancel."""
        if action not in CONFIRM_TEXT:
            return
        title, text = CONFIRM_TEXT[action]
        self.confirm_action, self.confirm_title, self.confirm_text = action, title.format(po=self.po_number), text
        self.dialog_error = self.decision_error = self.decision_message = ""
        self.dialog_key += 1

    @guarded(Permission.CREATE_PO)
    def close_confirm(self) -> None:
        self.confirm_action = self.dialog_error = ""

    @guarded(Permission.CREATE_PO)
    def confirm(self, form: dict[str, Any]) -> None:
        """Run the confirmed action on the version on screen, with the optional comment."""
        action = self.confirm_action
        if action not in _SERVICE:
            return
        comment = str(form.get("comment") or "").strip() or None
        try:
            with transaction() as session:
                po = _SERVICE[action](
                    session, current_principal(), self.po_ref, expected_version=self.version, comment=comment
                )
                number = po.po_number
        except ServiceError as exc:
            self.dialog_error = str(exc)
            self._read()
            return
        self.confirm_action = ""
        self.decision_message = f"PO {number} {_DONE[action]}."
        self._read()
