"""PO form state: a new PO (`/pos/new`) or a draft/rejected one (`/pos/<id>/edit`), its header fields and
its allocations to budget lines, with the running total against the PO value.

The inputs are controlled (Reflex debounces them), so what the user typed lives here and survives a refused
save; on save the form's own data wins over anything a debounce still holds. A budget line is found by UID
search in the FY of the PO date (`search_lines`). An edit names the version it was opened at (optimistic
locking): a save refused because someone else saved first keeps what was typed, says who changed what, and
a second save replaces their version with this one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import reflex as rx
from pydantic import ValidationError

from opex_app import routes
from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.domain.ingest.amounts import parse_amount
from opex_app.domain.money import format_indian
from opex_app.domain.url_params import record_id
from opex_app.services import fx, masters, reporting_basis
from opex_app.services import purchase_orders as pos
from opex_app.services.errors import Conflict, NotFound, ServiceError
from opex_app.services.fiscal_years import current_fiscal_year
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

HEADER_FIELDS = (
    "po_number",
    "po_date",
    "vendor",
    "entity",
    "currency",
    "value",
    "pr_number",
    "pr_date",
    "pr_amount",
    "description",
)
ROW_FIELDS = ("uid", "amount", "service_start", "service_end")
_ROW_LABELS = {"uid": "UID", "amount": "amount", "service_start": "service start", "service_end": "service end"}


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format_indian(value)


def _blank_row(key: str) -> dict[str, str]:
    return {"key": key, "uid": "", "amount": "", "service_start": "", "service_end": "", "line": "", "note": ""}


def _typed(row: dict[str, str]) -> tuple[str, ...]:
    """What a user types in an allocation row, to tell whether it was changed."""
    return tuple(row[name].strip() for name in ROW_FIELDS)


def _amount_or_none(text: str) -> Decimal | None:
    try:
        return parse_amount(text) if text.strip() else None
    except ValueError:
        return None


def _problems(exc: ValidationError, rows: list[dict[str, str]]) -> str:
    """The typed values pydantic refused, named as the form names them."""
    out: list[str] = []
    for err in exc.errors():
        loc = err["loc"]
        if loc and loc[0] == "lines" and len(loc) >= 3 and isinstance(loc[1], int):
            uid = rows[loc[1]]["uid"] if loc[1] < len(rows) else ""
            label = (
                f"Allocation {loc[1] + 1}" + (f" ({uid})" if uid else "") + f" {_ROW_LABELS.get(str(loc[2]), loc[2])}"
            )
        else:
            label = pos.LABELS.get(str(loc[0]), str(loc[0])) if loc else "Form"
        given = err.get("input")
        if given is None or (isinstance(given, str) and not given.strip()):
            out.append(f"{label} is required")
            continue
        message = str(err["msg"]).removeprefix("Value error, ")
        if "date" in err["type"]:
            message = f"'{given}' is not a date"
        out.append(f"{label}: {message}")
    return "Not saved. " + "; ".join(out) + "."


class PoFormState(AppState):
    mode: str = "new"  # new | edit
    po_ref: int = 0  # the PO shown (not `po_id`: that name is the route argument)
    title: str = "New PO"
    not_editable: str = ""  # why this PO cannot be edited (status), instead of the form
    form: dict[str, str] = {name: "" for name in HEADER_FIELDS}
    rows: list[dict[str, str]] = []
    error: str = ""
    conflict: str = ""
    # The running total against the PO value.
    allocated: str = "0.00"
    value_shown: str = "—"  # the PO value as read, e.g. 15,00,000.00
    remaining: str = ""
    total_state: str = "empty"  # empty | under | over | ok | invalid
    # The UID search of the row being typed in.
    search_key: str = ""
    search_fy: str = ""
    choices: list[dict[str, str]] = []
    # The pickers' choices.
    vendor_names: list[str] = []
    entity_names: list[str] = []
    currency_codes: list[str] = []

    saved_hints: dict[str, str] = {}  # after a conflict: the saved value of each field both people changed

    _next_key: int = 0
    _edit_version: int = 0
    _base_form: dict[str, str] = {}  # the saved values the edit started from
    _base_rows: list[tuple[str, ...]] = []

    # ------------------------------------------------------------------------------------ helpers

    def _key(self) -> str:
        self._next_key += 1
        return f"r{self._next_key}"

    def _id_from_url(self) -> int | None:
        parts = [p for p in self.router.url.path.split("/") if p]
        return record_id(parts[1]) if len(parts) == 3 and parts[2] == "edit" else None

    def _recount(self) -> None:
        """The allocations' total against the PO value (amounts as the service reads them)."""
        amounts = [_amount_or_none(r["amount"]) for r in self.rows]
        given = [r for r in self.rows if r["amount"].strip()]
        total = sum((a for a in amounts if a is not None), Decimal(0))
        self.allocated = format_indian(total)
        value = _amount_or_none(self.form.get("value", ""))
        self.value_shown = format_indian(value) if value is not None else "—"
        if any(a is None for a, r in zip(amounts, self.rows, strict=True) if r["amount"].strip()):
            self.total_state, self.remaining = "invalid", "An amount is not a number"
        elif value is None:
            self.total_state = "empty" if not given else "under"
            self.remaining = "Enter the PO value"
        elif total == value:
            self.total_state, self.remaining = "ok", "Fully allocated"
        elif total < value:
            self.total_state, self.remaining = "under", f"{format_indian(value - total)} left to allocate"
        else:
            self.total_state, self.remaining = "over", f"{format_indian(total - value)} over the PO value"

    def _fy_of_form(self) -> str:
        try:
            day = date.fromisoformat(self.form.get("po_date", ""))
        except ValueError:
            return current_fiscal_year().name
        return reporting_basis.fiscal_year_on(day).name

    def _load_choices(self) -> None:
        with read_session() as session:
            self.vendor_names = masters.names(session, "vendor")
            self.entity_names = masters.names(session, "entity")
            rated = [c.currency for c in fx.list_rates(session, current_principal()).current if c.rate is not None]
        base = reporting_basis.base_currency()
        self.currency_codes = [base, *[c for c in rated if c != base]]

    def _values(self, po: pos.PoView) -> tuple[dict[str, str], list[dict[str, str]]]:
        """A saved PO as the inputs show it: the header fields, and one row per allocation."""
        form = {
            "po_number": po.po_number,
            "po_date": po.po_date.isoformat() if po.po_date else "",
            "vendor": po.vendor,
            "entity": po.entity,
            "currency": po.currency,
            "value": _plain(po.value),
            "pr_number": po.pr_number or "",
            "pr_date": po.pr_date.isoformat() if po.pr_date else "",
            "pr_amount": _plain(po.pr_amount),
            "description": po.description or "",
        }
        rows = [
            {
                "key": self._key(),
                "uid": line.uid,
                "amount": _plain(line.amount),
                "service_start": line.service_start.isoformat() if line.service_start else "",
                "service_end": line.service_end.isoformat() if line.service_end else "",
                "line": line.line_description,
                "note": line.description,  # the allocation's own description, kept as it is
            }
            for line in po.lines
        ]
        return form, rows

    def _fill(self, po: pos.PoView) -> None:
        self.form, rows = self._values(po)
        self.rows = rows or [_blank_row(self._key())]
        self._base_form, self._base_rows = dict(self.form), [_typed(r) for r in rows]
        self._edit_version = po.version

    def _rebase(self, po: pos.PoView) -> None:
        """After a conflict: keep what the user changed, take the other person's saved values for the rest
        (so saving again applies the user's edits on top of theirs, reverting nothing), and start from the
        saved version."""
        saved_form, saved_rows = self._values(po)
        changed = {name for name in HEADER_FIELDS if self.form.get(name, "") != self._base_form.get(name, "")}
        self.saved_hints = {
            name: saved_form[name] or "(empty)"
            for name in changed
            if saved_form[name] != self._base_form.get(name, "")  # both changed it: show theirs beside it
        }
        self.form = {name: self.form[name] if name in changed else saved_form[name] for name in HEADER_FIELDS}
        mine = [_typed(r) for r in self._allocations()]
        if mine == self._base_rows:  # the allocations were not touched here: take the saved ones
            self.rows = saved_rows or [_blank_row(self._key())]
        elif [_typed(r) for r in saved_rows] != self._base_rows:
            self.saved_hints["allocations"] = "; ".join(f"{r['uid']}: {r['amount']}" for r in saved_rows) or "(none)"
        self._base_form, self._base_rows = saved_form, [_typed(r) for r in saved_rows]
        self._edit_version = po.version

    def _allocations(self) -> list[dict[str, str]]:
        """The rows that allocate something: a row left blank is no allocation."""
        return [r for r in self.rows if any(r[name].strip() for name in ROW_FIELDS)]

    def _input(self) -> pos.PoInput:
        """The PoInput of what is on screen, validated in one go (the text as typed: PoInput reads amounts
        and dates), so every problem of every row is reported together; pydantic's ValidationError if any."""

        def text(name: str) -> str | None:
            return self.form[name].strip() or None

        return pos.PoInput.model_validate(
            {
                **{name: text(name) for name in HEADER_FIELDS},
                "vendor": self.form["vendor"],
                "entity": self.form["entity"],
                "currency": self.form["currency"].strip().upper(),
                "lines": [
                    {
                        "uid": r["uid"].strip(),
                        "amount": r["amount"].strip() or None,
                        "service_start": r["service_start"] or None,
                        "service_end": r["service_end"] or None,
                        "description": r["note"] or None,
                    }
                    for r in self._allocations()
                ],
            }
        )

    def _take_form_data(self, form_data: dict[str, Any]) -> None:
        """What the inputs hold when Save is pressed (a debounced change may not have arrived yet)."""
        self.form = {
            name: str(form_data[name]) if name in form_data else self.form.get(name, "") for name in HEADER_FIELDS
        }
        rows = []
        for r in self.rows:
            row = dict(r)
            for name in ROW_FIELDS:
                typed = form_data.get(f"{name}-{r['key']}")
                if typed is not None:
                    row[name] = str(typed)
            rows.append(row)
        self.rows = rows

    # ------------------------------------------------------------------------------------ handlers

    @guarded(Permission.CREATE_PO)
    def load(self) -> None:
        """on_load: a blank PO for /pos/new, the PO to edit for /pos/<id>/edit."""
        self.error = self.conflict = self.not_editable = self.search_key = ""
        self.choices, self.saved_hints = [], {}
        self._load_choices()
        po_id = self._id_from_url()
        if po_id is None:
            self.mode, self.po_ref, self.title = "new", 0, "New PO"
            self.form = {name: "" for name in HEADER_FIELDS}
            self.form["po_date"] = date.today().isoformat()
            self.form["currency"] = reporting_basis.base_currency()
            self.rows = [_blank_row(self._key())]
            self._edit_version, self._base_form, self._base_rows = 0, {}, []
            self._recount()
            return
        self.mode, self.po_ref = "edit", po_id
        try:
            with read_session() as session:
                po = pos.get_po(session, current_principal(), po_id)
        except NotFound as exc:
            self.not_editable, self.title = str(exc), "Edit PO"
            return
        self.title = po.po_number
        if not po.editable:
            self.not_editable = f"PO {po.po_number} is {po.status}: only a draft or rejected PO can be edited."
            return
        self._fill(po)
        self._recount()

    @guarded(Permission.CREATE_PO)
    def set_field(self, name: str, value: str) -> None:
        if name not in HEADER_FIELDS:
            return
        self.form[name] = value
        if name == "value":
            self._recount()
        if name == "po_date":
            self.search_key, self.choices = "", []

    @guarded(Permission.CREATE_PO)
    def set_row(self, key: str, name: str, value: str) -> None:
        if name not in ROW_FIELDS:
            return
        self.rows = [{**r, name: value} if r["key"] == key else r for r in self.rows]
        if name == "amount":
            self._recount()

    @guarded(Permission.CREATE_PO)
    def search_uid(self, key: str, text: str) -> None:
        """The UID typed so far: the row keeps it, and the picker offers the budget lines that match."""
        self.rows = [{**r, "uid": text, "line": ""} if r["key"] == key else r for r in self.rows]
        self.search_key = key
        self.search_fy = self._fy_of_form()
        try:
            with read_session() as session:
                found = pos.search_lines(session, current_principal(), fy=self.search_fy, text=text.strip())
        except ServiceError:
            found = []
        self.choices = [
            {"uid": c.uid, "description": c.description, "detail": " · ".join(x for x in (c.tower, c.vendor) if x)}
            for c in found
        ]

    @guarded(Permission.CREATE_PO)
    def pick_line(self, key: str, uid: str, description: str) -> None:
        self.rows = [{**r, "uid": uid, "line": description} if r["key"] == key else r for r in self.rows]
        self.search_key, self.choices = "", []

    @guarded(Permission.CREATE_PO)
    def close_search(self) -> None:
        self.search_key, self.choices = "", []

    @guarded(Permission.CREATE_PO)
    def add_row(self) -> None:
        self.rows = [*self.rows, _blank_row(self._key())]

    @guarded(Permission.CREATE_PO)
    def remove_row(self, key: str) -> None:
        self.rows = [r for r in self.rows if r["key"] != key] or [_blank_row(self._key())]
        if self.search_key == key:
            self.search_key, self.choices = "", []
        self._recount()

    @guarded(Permission.CREATE_PO)
    def save(self, form_data: dict[str, Any]) -> Any:
        """Create or update the PO; a refusal keeps everything typed and says why."""
        self._take_form_data(form_data)
        self._recount()
        self.error = ""
        self.search_key, self.choices = "", []
        try:
            data = self._input()
        except ValidationError as exc:
            self.error = _problems(exc, self._allocations())
            return None
        principal = current_principal()
        try:
            with transaction() as session:
                if self.mode == "edit":
                    po = pos.update_po(session, principal, self.po_ref, expected_version=self._edit_version, data=data)
                else:
                    po = pos.create_po(session, principal, data=data)
                po_id, number, version = po.id, po.po_number, po.version
        except Conflict as exc:
            try:
                with read_session() as session:
                    saved = pos.get_po(session, principal, self.po_ref)
            except ServiceError as gone:
                self.error = str(gone)
                return None
            self._rebase(saved)
            self._recount()
            self.conflict = (
                f"{exc} Your changes are still here, on top of theirs; fields you both changed show their value "
                "below. Save again to keep yours."
            )
            return None
        except ServiceError as exc:
            self.error = str(exc)
            return None
        self.conflict = ""
        done = "created as a draft" if self.mode == "new" else f"saved (version {version})"
        return [rx.redirect(routes.PO.url(po_id=po_id)), rx.toast.success(f"PO {number} {done}.")]
