"""Approving and rejecting POs: the decisions shared by the PO detail page and the approvals inbox
(`PoDecisionMixin`: approve, the over-budget dialog, the reject-with-a-reason dialog), and the inbox itself
(`ApprovalsState`: the submitted POs waiting for this approver, not their own).

A decision names the PO's id and the version the user saw (optimistic locking): approving a PO that changed
since it was shown is refused with who changed what, and the page reads it again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.domain.money import format_indian
from opex_app.services import purchase_orders as pos
from opex_app.services import reporting_basis
from opex_app.services.errors import ServiceError
from opex_app.services.purchase_orders import OverBudget, OverrunWarning
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

WHEN = "%d-%b-%Y %H:%M"
NO_RATE = "no rate"


def money(value: Decimal | None) -> str:
    return "" if value is None else format_indian(value)


def when(at: datetime | None) -> str:
    return at.strftime(WHEN) if at else ""


def _int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def overrun_row(w: OverrunWarning) -> dict[str, str]:
    """One budget line of the over-budget dialog (base currency): budget, committed, actual, this PO, and
    where approving takes it."""
    unknown = w.budget_rate_missing
    return {
        "uid": w.uid,
        "budget": NO_RATE if unknown else money(w.budget),
        "committed": money(w.committed),
        "actual": money(w.actual),
        "this_po": money(w.this_po),
        "after": money(w.after),
        "over_by": "unknown" if unknown else money(w.over_by),
    }


class PoDecisionMixin(rx.State, mixin=True):
    """Approve (with the over-budget warning) and reject (with a reason) one PO. Page states mix it in and
    override `_after_decision` to read their data again."""

    decision_po_id: int = 0
    decision_version: int = 0
    decision_po_number: str = ""
    overrun_open: bool = False
    overrun_rows: list[dict[str, str]] = []
    reject_open: bool = False
    dialog_key: int = 0  # remounts a dialog's form, so it opens with an empty comment
    dialog_error: str = ""  # a refusal while a dialog is open, shown in it
    decision_error: str = ""  # a refusal shown on the page
    decision_message: str = ""  # what was done, shown on the page
    base_currency: str = ""

    def _after_decision(self) -> None:
        """Read the page's data again after a decision (or a refused one)."""

    def _aim(self, po_id: int | str, version: int | str, po_number: str) -> None:
        self.decision_po_id, self.decision_version = _int(po_id), _int(version)
        self.decision_po_number = po_number
        self.dialog_error = self.decision_error = self.decision_message = ""
        self.base_currency = reporting_basis.base_currency()

    def _refused(self, message: str) -> None:
        if self.overrun_open or self.reject_open:
            self.dialog_error = message
        else:
            self.decision_error = message

    def _approve(self, *, comment: str | None, acknowledge: bool) -> None:
        try:
            with transaction() as session:
                po = pos.approve_po(
                    session,
                    current_principal(),
                    self.decision_po_id,
                    expected_version=self.decision_version,
                    comment=comment,
                    acknowledge_overrun=acknowledge,
                )
                number, version = po.po_number, po.version
        except OverBudget as exc:  # nothing written: ask the approver to confirm with a comment
            self.overrun_rows = [overrun_row(w) for w in exc.warnings]
            self.dialog_key += 1
            self.dialog_error = ""
            self.overrun_open = True
            return
        except ServiceError as exc:  # Conflict, NotFound, own PO, wrong status: nothing written
            self._refused(str(exc))
            self._after_decision()
            return
        self.overrun_open = False
        self.decision_message = f"PO {number} approved (version {version})."
        self._after_decision()

    @guarded(Permission.APPROVE_PO)
    def approve(self, po_id: int | str, version: int | str, po_number: str) -> None:
        """Approve; when it takes a budget line over budget, open the dialog with the figures instead."""
        self._aim(po_id, version, po_number)
        self._approve(comment=None, acknowledge=False)

    @guarded(Permission.APPROVE_PO)
    def approve_anyway(self, form: dict[str, Any]) -> None:
        """The over-budget dialog's confirmation: approve with the (required) comment, which is stored."""
        comment = str(form.get("comment") or "").strip()
        if not comment:
            self.dialog_error = "Say why this PO is approved although it goes over budget (the comment is stored)."
            return
        self._approve(comment=comment, acknowledge=True)

    @guarded(Permission.APPROVE_PO)
    def close_overrun(self) -> None:
        self.overrun_open = False
        self.dialog_error = ""

    @guarded(Permission.APPROVE_PO)
    def start_reject(self, po_id: int | str, version: int | str, po_number: str) -> None:
        self._aim(po_id, version, po_number)
        self.dialog_key += 1
        self.reject_open = True

    @guarded(Permission.APPROVE_PO)
    def close_reject(self) -> None:
        self.reject_open = False
        self.dialog_error = ""

    @guarded(Permission.APPROVE_PO)
    def confirm_reject(self, form: dict[str, Any]) -> None:
        reason = str(form.get("reason") or "").strip()
        if not reason:
            self.dialog_error = "Give a reason: the analyst sees it on the PO and edits it from there."
            return
        try:
            with transaction() as session:
                po = pos.reject_po(
                    session,
                    current_principal(),
                    self.decision_po_id,
                    expected_version=self.decision_version,
                    reason=reason,
                )
                number, raised_by = po.po_number, po.created_by
        except ServiceError as exc:
            self._refused(str(exc))
            self._after_decision()
            return
        self.reject_open = False
        self.decision_message = f"PO {number} rejected: it is back with {raised_by} to edit."
        self._after_decision()


def inbox_row(r: pos.PoRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "version": str(r.version),
        "po_number": r.po_number,
        "po_date": r.po_date.strftime("%d-%b-%Y") if r.po_date else "",
        "fy": r.fiscal_year,
        "vendor": r.vendor,
        "entity": r.entity,
        "currency": r.currency,
        "value": money(r.value),
        "value_base": money(r.value_base),
        "created_by": r.created_by,
        "submitted_at": when(r.submitted_at),
    }


class ApprovalsState(PoDecisionMixin, AppState):
    """The approvals inbox: submitted POs raised by someone else, longest waiting first."""

    rows: list[dict[str, str]] = []
    error: str = ""

    def _read(self) -> None:
        principal = current_principal()
        try:
            with read_session() as session:
                found = pos.pending_approvals(session, principal)
        except ServiceError as exc:
            self.error, self.rows = str(exc), []
            return
        self.error = ""
        self.base_currency = reporting_basis.base_currency()
        self.rows = [inbox_row(r) for r in found]
        self.approvals_waiting = len(found)  # the sidebar's count follows what the inbox shows

    def _after_decision(self) -> None:
        self._read()

    @guarded(Permission.APPROVE_PO)
    def load(self) -> None:
        """on_load: what waits for this approver now."""
        self.decision_error = self.decision_message = ""
        self.overrun_open = self.reject_open = False
        self._read()
