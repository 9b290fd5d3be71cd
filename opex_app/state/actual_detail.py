"""Actual detail state: one invoice (`/actuals/<id>`) with its values, conversion, link, reconciliation notes
and history, its editor, and manual entry of a new one (`/actuals/new`).

The editor's inputs are controlled, so what the user typed lives here and survives a refused save; on save
the form's own data wins over anything a debounce still holds. An edit sends only the fields changed since
the version it was opened at (optimistic locking): a save refused because someone else saved first keeps
what was typed, takes their values for the fields not touched here, shows theirs beside the fields both
changed, and a second save applies this user's changes on top of theirs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx
from pydantic import ValidationError

from opex_app import routes
from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.domain.money import format_indian
from opex_app.domain.url_params import record_id
from opex_app.services import actuals, audit, fx, masters, reporting_basis
from opex_app.services.errors import Conflict, NotFound, ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

DAY = "%d-%b-%Y"
WHEN = "%d-%b-%Y %H:%M UTC"
FORM_FIELDS = ("invoice_number", "invoice_date", "vendor", "currency", "amount", "uid", "po_number", "remarks")
_HISTORY_ACTIONS = {"create": "created", "update": "edited", "link": "linked", "imported": "imported"}


def _form_values(view: actuals.ActualView) -> dict[str, str]:
    """A saved actual as the inputs show it."""
    v = view.values
    return {
        "invoice_number": v["invoice_number"] or "",
        "invoice_date": v["invoice_date"].isoformat() if v["invoice_date"] else "",
        "vendor": v["vendor"] or "",
        "currency": v["currency"] or "",
        "amount": format_indian(v["amount"]) if v["amount"] is not None else "",
        "uid": v["uid"] or "",
        "po_number": v["po_number"] or "",
        "remarks": v["remarks"] or "",
    }


def _same(name: str, a: str, b: str) -> bool:
    """Whether two typed values of a field mean the same (amounts by value, codes and vendors by case)."""
    a, b = a.strip(), b.strip()
    if name == "amount":
        try:
            read = actuals.ActualUpdate.model_validate
            return read({"amount": a or None}).amount == read({"amount": b or None}).amount
        except ValidationError:
            return a == b
    if name in {"currency", "vendor"}:
        return a.casefold() == b.casefold()
    return a == b


def _worded(action: str, changes: list[str]) -> list[str]:
    """A history entry's changes: what an actual was created with ('UID: X'), else 'UID: (empty) → X'."""
    if action in {"create", "imported"}:
        return [c.replace(":  → ", ": ", 1) for c in changes]
    return [c.replace(":  → ", ": (empty) → ", 1) for c in changes]


def _details(view: actuals.ActualView, base: str) -> list[dict[str, str]]:
    v = view.values
    items = [
        ("Invoice date", f"{v['invoice_date']:{DAY}} ({v['fiscal_year']}, {v['fiscal_month']})"),
        ("Vendor", v["vendor"] or "—"),
        ("Amount", f"{v['currency']} {format_indian(v['amount'])}"),
    ]
    if v["currency"] != base:
        rate = f"{v['fx_rate'].normalize():f}" if v["fx_rate"] is not None else "no rate"
        items.append((f"Amount ({base})", f"{base} {format_indian(v['amount_base'])} at {rate} on the invoice date"))
    items += [
        ("UID as typed", v["uid"] or "—"),
        ("PO number as typed", v["po_number"] or "—"),
        ("Remarks", v["remarks"] or "—"),
    ]
    return [{"label": label, "value": value} for label, value in items]


def _problems(exc: ValidationError) -> str:
    out = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else ""
        label = actuals.LABELS.get(name, name or "Form")
        message = str(err["msg"]).removeprefix("Value error, ")
        if "date" in err["type"]:
            message = f"'{err.get('input')}' is not a date"
        out.append(f"{label}: {message}")
    return "Not saved. " + "; ".join(out) + "."


class ActualDetailState(AppState):
    mode: str = "view"  # view | new
    not_found: str = ""
    actual_ref: int = 0  # the actual shown (not `actual_id`: that name is the route argument)
    invoice_number: str = ""
    version: int = 0
    details: list[dict[str, str]] = []
    linked: bool = False
    linked_line_id: str = ""
    linked_uid: str = ""
    linked_po: str = ""
    notes: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    # The editor (also the form of a new actual).
    editing: bool = False
    form: dict[str, str] = {name: "" for name in FORM_FIELDS}
    saved_hints: dict[str, str] = {}
    error: str = ""
    conflict: str = ""
    saved_message: str = ""
    warnings: list[str] = []
    note_error: str = ""
    note_key: int = 0  # a new key empties the note input after a note is added
    vendor_names: list[str] = []
    currency_codes: list[str] = []

    _edit_version: int = 0
    _base_form: dict[str, str] = {}

    def _id_from_url(self) -> int | None:
        parts = [p for p in self.router.url.path.split("/") if p]
        return record_id(parts[1]) if len(parts) >= 2 and parts[0] == "actuals" else None

    def _load_choices(self) -> None:
        with read_session() as session:
            self.vendor_names = masters.names(session, "vendor")
            rated = [c.currency for c in fx.list_rates(session, current_principal()).current if c.rate is not None]
        base = reporting_basis.base_currency()
        self.currency_codes = [base, *[c for c in rated if c != base]]

    def _get(self) -> actuals.ActualView | None:
        try:
            with read_session() as session:
                view = actuals.get_actual(session, current_principal(), self.actual_ref)
                events = audit.history(session, current_principal(), actuals.ENTITY, self.actual_ref)
                self.history = [
                    {
                        "at": e.at.strftime(WHEN),
                        "actor": e.actor,
                        "action": _HISTORY_ACTIONS.get(e.action, e.action),
                        "changes": "\n".join(_worded(e.action, actuals.describe_changes(e.changes))),
                    }
                    for e in reversed(events)
                    if e.action != "note"
                ]
        except NotFound as exc:
            self.not_found = str(exc)
            return None
        return view

    def _show(self, view: actuals.ActualView) -> None:
        self.not_found = ""
        self.invoice_number, self.version = view.values["invoice_number"], view.version
        self.details = _details(view, reporting_basis.base_currency())
        self.linked = view.budget_line_id is not None
        self.linked_line_id = str(view.budget_line_id or "")
        self.linked_uid, self.linked_po = view.uid, view.po_number
        self.notes = [{"at": n.created_at.strftime(WHEN), "author": n.author, "body": n.body} for n in view.notes]

    def _take_form_data(self, form_data: dict[str, Any]) -> None:
        self.form = {
            name: str(form_data[name]) if name in form_data else self.form.get(name, "") for name in FORM_FIELDS
        }

    def _changed(self) -> set[str]:
        return {name for name in FORM_FIELDS if not _same(name, self.form[name], self._base_form.get(name, ""))}

    def _typed(self, names: set[str] | tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            text = self.form[name].strip()
            out[name] = text or None
        return out

    # ------------------------------------------------------------------------------------ handlers

    @guarded(Permission.VIEW_DASHBOARDS)
    def load(self) -> None:
        """on_load: the actual named in the URL, or a blank form for /actuals/new."""
        self.error = self.conflict = self.saved_message = self.note_error = ""
        self.warnings, self.saved_hints = [], {}
        actual_id = self._id_from_url()
        if actual_id is None:
            self.mode, self.actual_ref, self.not_found = "new", 0, ""
            self.editing = current_principal().can(Permission.EDIT_BUDGET)
            self.form = {name: "" for name in FORM_FIELDS}
            self.form["invoice_date"] = date.today().isoformat()
            self.form["currency"] = reporting_basis.base_currency()
            self._base_form, self._edit_version = {}, 0
            if self.editing:
                self._load_choices()
            return
        self.mode, self.actual_ref, self.editing = "view", actual_id, False
        view = self._get()
        if view is not None:
            self._show(view)

    @guarded(Permission.EDIT_BUDGET)
    def start_edit(self) -> None:
        view = self._get()
        if view is None:
            return
        self._show(view)
        self._load_choices()
        self.form = _form_values(view)
        self._base_form, self._edit_version = dict(self.form), view.version
        self.editing, self.error, self.conflict, self.saved_message = True, "", "", ""
        self.warnings, self.saved_hints = [], {}

    @guarded(Permission.EDIT_BUDGET)
    def cancel_edit(self) -> None:
        self.editing, self.error, self.conflict, self.saved_hints = False, "", "", {}

    @guarded(Permission.EDIT_BUDGET)
    def set_field(self, name: str, value: str) -> None:
        if name in FORM_FIELDS:
            self.form[name] = value

    @guarded(Permission.EDIT_BUDGET)
    def save(self, form_data: dict[str, Any]) -> Any:
        """Create the actual, or save the fields changed since the version opened; a refusal keeps what was
        typed and says why."""
        self._take_form_data(form_data)
        self.error = self.saved_message = ""
        principal = current_principal()
        try:
            if self.mode == "new":
                data: Any = actuals.ActualInput.model_validate(self._typed(FORM_FIELDS))
            else:
                changed = self._changed()
                if not changed:
                    self.editing, self.conflict, self.saved_hints = False, "", {}
                    self.saved_message = "Nothing changed."
                    return None
                data = actuals.ActualUpdate.model_validate(self._typed(changed))
        except ValidationError as exc:
            self.error = _problems(exc)
            return None
        try:
            with transaction() as session:
                if self.mode == "new":
                    saved = actuals.create_actual(session, principal, data)
                else:
                    saved = actuals.update_actual(
                        session, principal, self.actual_ref, expected_version=self._edit_version, changes=data
                    )
                actual_id, number, version, warnings = (
                    saved.actual.id,
                    saved.actual.invoice_number,
                    saved.actual.version,
                    saved.warnings,
                )
        except Conflict as exc:
            self._rebase()
            self.conflict = (
                f"{exc} Your changes are still here, on top of theirs; fields you both changed show their value "
                "below. Save again to keep yours."
            )
            return None
        except ServiceError as exc:
            self.error = str(exc)
            return None
        self.conflict, self.saved_hints = "", {}
        if self.mode == "new":
            toasts = [rx.toast.warning(w) for w in warnings]
            return [
                rx.redirect(routes.ACTUAL.url(actual_id=actual_id)),
                rx.toast.success(f"Invoice {number} recorded."),
                *toasts,
            ]
        self.editing = False
        self.warnings = warnings
        self.saved_message = f"Invoice {number} saved (version {version})."
        view = self._get()
        if view is not None:
            self._show(view)
        return None

    def _rebase(self) -> None:
        """After a conflict: keep what this user changed, take the saved values for the rest, and start from
        the saved version."""
        view = self._get()
        if view is None:
            self.error = self.not_found
            return
        self._show(view)
        saved = _form_values(view)
        changed = self._changed()
        self.saved_hints = {
            name: saved[name] or "(empty)"
            for name in changed
            if not _same(name, saved[name], self._base_form.get(name, ""))  # both changed it: show theirs
        }
        self.form = {name: self.form[name] if name in changed else saved[name] for name in FORM_FIELDS}
        self._base_form, self._edit_version = saved, view.version

    @guarded(Permission.EDIT_BUDGET)
    def add_note(self, form_data: dict[str, Any]) -> None:
        self.note_error = ""
        try:
            with transaction() as session:
                actuals.add_actual_note(
                    session, current_principal(), self.actual_ref, body=str(form_data.get("body", ""))
                )
        except ServiceError as exc:
            self.note_error = str(exc)
            return
        self.note_key += 1
        view = self._get()
        if view is not None:
            self._show(view)
