"""Budget line detail state: attributes, budget vs committed vs actual by month, notes, history, and the
monthly editor with optimistic locking.

The editor's inputs are uncontrolled (no event per keystroke); `form` holds what they start from
and `form_key` remounts them when that changes. Only the fields the user changed against the
values the editor was opened with (`_base`) are sent, so a re-save after a conflict applies the
user's edits on top of the other person's without reverting what the user did not touch.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session, transaction
from opex_app.domain.analytics import as_of_month
from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.money import format_indian
from opex_app.domain.url_params import record_id
from opex_app.services import audit_log, budget_lines, masters, reporting_basis
from opex_app.services.budget_lines import ATTRIBUTE_LABELS, EDITABLE_FIELDS, LineDetail
from opex_app.services.errors import Conflict, NotFound, ServiceError
from opex_app.state import charts
from opex_app.state.base import AppState
from opex_app.state.dashboard import user_format
from opex_app.state.guard import current_principal, guarded

ATTRIBUTE_FIELDS = ("description", "parent_uid", "tower", "budget_head", "cost_centre", "vendor", "entity")
FORM_LABELS = ATTRIBUTE_LABELS  # the edit form's labels: the service's names of the fields it accepts
MONTH_INPUTS: tuple[str, ...] = MONTH_FIELDS  # the edit form's twelve month inputs (m01..m12), fiscal order


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_indian(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _when(at: datetime | None) -> str:
    return at.strftime("%d-%b-%Y %H:%M") if at else ""


NO_RATE = "no rate"


def _figure(value: Decimal | None) -> str:
    if value is None:
        return NO_RATE
    return "–" if value == 0 else format_indian(value)


def _total(value: Decimal | None) -> str:
    return NO_RATE if value is None else format_indian(value)


def _figure_rows(detail: LineDetail) -> list[dict[str, str]]:
    """One row per fiscal month, then the totals: the budget as entered and in base currency, committed,
    actual, available (all from the figures model)."""
    rows = [
        {
            "kind": "month",
            "label": label,
            "budget": _figure(m.budget),
            "budget_base": _figure(m.budget_base),
            "committed": _figure(m.committed),
            "actual": _figure(m.actual),
            "available": _figure(m.available),
        }
        for label, m in zip(detail.month_labels, detail.months, strict=True)
    ]
    t = detail.totals
    rows.append(
        {
            "kind": "total",
            "label": "Total",
            "budget": format_indian(t.budget),
            "budget_base": _total(t.budget_base),
            "committed": format_indian(t.committed),
            "actual": format_indian(t.actual),
            "available": _total(t.available),
        }
    )
    return rows


def _rate_warnings(detail: LineDetail, fy_start: str) -> list[str]:
    """What the figures could not convert, said plainly (never a silent 1.0)."""
    out = []
    if detail.totals.budget_rate_missing:
        out.append(
            f"No {detail.currency} rate on {fy_start} (the budget rate of {detail.fiscal_year}): the budget cannot be "
            f"converted to {detail.base_currency}, so budget and available in {detail.base_currency} are not shown. "
            f"Record the rate on the FX rates page."
        )
    if detail.totals.po_rate_missing:
        out.append(
            "An approved PO on this line is in a currency with no rate on its PO date: its commitment is left out "
            "of committed until the rate is recorded."
        )
    return out


def _cumulative_chart(detail: LineDetail, number_format: str) -> go.Figure:
    """The dashboard's cumulative chart for this one line (budget against actual + committed), today marked."""
    fy = reporting_basis.fiscal_year_named(detail.fiscal_year)
    return charts.line_cumulative(
        detail.months,
        fy=fy,
        as_of_month=as_of_month(fy, date.today()),
        currency=detail.base_currency,
        number_format=user_format(number_format),
    )


_EDITOR_CHOICES = ("tower", "budget_head", "cost_centre", "vendor", "entity")


@dataclass(frozen=True)
class _LineRead:
    detail: LineDetail | None  # None: `not_found` says why
    names: tuple[list[str], ...] = ()  # the editor's choices, in _EDITOR_CHOICES order
    not_found: str = ""


def _read_line(principal: Principal, line_id: int | None) -> _LineRead:
    """A line's detail and the editor's choices in one read-only transaction (the page load runs it in a thread)."""
    try:
        if line_id is None:
            raise NotFound("There is no such budget line.")
        with read_session() as session:
            detail = budget_lines.get_line_detail(session, principal, line_id)
            names = tuple(masters.names(session, kind) for kind in _EDITOR_CHOICES)
    except NotFound as exc:
        return _LineRead(None, not_found=str(exc))
    return _LineRead(detail, names)


class BudgetLineState(AppState):
    line_ref: int = 0
    not_found: str = ""
    uid: str = ""
    fy_name: str = ""
    version: int = 0
    attributes: list[dict[str, str]] = []  # [{label, value}]
    month_labels: list[str] = [""] * 12
    figure_rows: list[dict[str, str]] = []  # per month, then the total: budget (as entered, base), committed, ...
    cumulative_chart: dict[str, Any] = {}  # the same months, cumulative (small): state.charts.figure_data
    shows_base: bool = False  # the line's currency is not the base currency: show the budget both ways
    budget_header: str = "Budget"
    budget_base_header: str = "Budget"
    rate_note: str = ""  # the budget rate used, e.g. '1 USD = 82.50 INR on 01-Apr-2042'
    rate_warnings: list[str] = []
    notes: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    # One month's history (cell_month '' = the dialog is closed).
    cell_month: str = ""
    cell_history: list[dict[str, str]] = []
    # The editor.
    editing: bool = False
    form: dict[str, str] = {}
    form_key: int = 0
    saved_hints: dict[str, str] = {}  # after a conflict: the saved value of each field the user changed
    edit_error: str = ""
    conflict: str = ""
    saved_message: str = ""
    # Notes.
    note_error: str = ""
    note_key: int = 0
    # The editor's choices.
    tower_names: list[str] = []
    head_names: list[str] = []
    cost_centre_names: list[str] = []
    vendor_names: list[str] = []
    entity_names: list[str] = []

    _saved: dict[str, str] = {}  # the line's saved editable values, as the inputs show them
    _base: dict[str, str] = {}  # the values the open editor started from
    _edit_version: int = 0  # the version the open editor started from

    def _line_id_from_url(self) -> int | None:
        last = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return record_id(last)

    def _show(self, detail: LineDetail) -> None:
        self.not_found = ""
        self.line_ref = detail.id
        self.uid = detail.uid
        self.fy_name = detail.fiscal_year
        self.version = detail.version
        self.month_labels = detail.month_labels
        self._saved = {name: _text(detail.values[name]) for name in EDITABLE_FIELDS}
        values = self._saved
        self.attributes = [
            {"label": "Fiscal year", "value": detail.fiscal_year},
            *[{"label": ATTRIBUTE_LABELS[name], "value": values[name] or "—"} for name in ATTRIBUTE_FIELDS],
            {"label": "Currency", "value": values["currency_code"] or "—"},
            {
                "label": "Service period",
                "value": f"{values['service_start'] or '…'} to {values['service_end'] or '…'}"
                if values["service_start"] or values["service_end"]
                else "—",
            },
            {"label": "Remarks", "value": values["remarks"] or "—"},
            {"label": "Version", "value": str(detail.version)},
            {"label": "Created", "value": f"{_when(detail.created_at)} by {detail.created_by}"},
            {
                "label": "Last saved",
                "value": f"{_when(detail.updated_at)} by {detail.updated_by}" if detail.updated_at else "—",
            },
        ]
        self.figure_rows = _figure_rows(detail)
        self.cumulative_chart = charts.figure_data(_cumulative_chart(detail, self.number_format))
        self.shows_base = detail.shows_base
        base = detail.base_currency
        self.budget_header = f"Budget ({detail.currency})" if detail.shows_base else f"Budget ({base})"
        self.budget_base_header = f"Budget ({base})"
        fy_start = detail.fy_start.strftime("%d-%b-%Y")
        self.rate_note = (
            f"Budget rate: 1 {detail.currency} = {detail.budget_rate.normalize():f} {base} on {fy_start}."
            if detail.shows_base and detail.budget_rate is not None
            else ""
        )
        self.rate_warnings = _rate_warnings(detail, fy_start)
        self.notes = [{"author": n.author, "at": _when(n.at), "body": n.body} for n in detail.notes]
        self.history = [
            {
                "at": _when(h.at),
                "actor": h.actor,
                "action": h.action,
                "changes": "\n".join(f"{c.label}: {c.before} → {c.after}" for c in h.changes),
            }
            for h in reversed(detail.history)
        ]

    def _apply(self, read: _LineRead) -> bool:
        """Show what `_read_line` found; False (with a message) when the line is gone."""
        if read.detail is None:
            self.not_found = read.not_found
            self.uid = ""
            self.line_ref = 0
            self.editing = False
            return False
        self.tower_names, self.head_names, self.cost_centre_names, self.vendor_names, self.entity_names = read.names
        self._show(read.detail)
        return True

    def _reload(self) -> bool:
        """Read the line again (and the editor's choices); False (with a message) when it is gone."""
        return self._apply(_read_line(current_principal(), self._line_id_from_url()))

    @guarded(Permission.VIEW_DASHBOARDS)
    async def load(self) -> None:
        """on_load: the line named in the URL, read off the event loop; a fresh page starts with the editor closed."""
        self.editing = False
        self.edit_error = self.conflict = self.saved_message = self.note_error = ""
        self.saved_hints = {}
        self._apply(await asyncio.to_thread(_read_line, current_principal(), self._line_id_from_url()))

    @guarded(Permission.VIEW_DASHBOARDS)
    def show_cell_history(self, month_label: str) -> None:
        """Open the past values of one month of this line (by its label, as the page offers them)."""
        if month_label not in self.month_labels or not self.line_ref:
            return
        with read_session() as session:
            found = audit_log.cell_history(
                session,
                principal=current_principal(),
                line_id=self.line_ref,
                month=self.month_labels.index(month_label) + 1,
                number_format=user_format(self.number_format),
            )
        self.cell_month = month_label
        self.cell_history = [
            {"at": _when(c.at), "actor": c.actor, "action": c.action, "before": c.before, "after": c.after}
            for c in found
        ]

    @guarded(Permission.VIEW_DASHBOARDS)
    def close_cell_history(self) -> None:
        self.cell_month, self.cell_history = "", []

    @guarded(Permission.EDIT_BUDGET)
    def start_edit(self) -> None:
        if not self._reload():
            return
        self._base = dict(self._saved)
        self._edit_version = self.version
        self.form = dict(self._saved)
        self.saved_hints = {}
        self.form_key += 1
        self.editing = True
        self.edit_error = self.conflict = self.saved_message = ""

    @guarded(Permission.EDIT_BUDGET)
    def cancel_edit(self) -> None:
        self.editing = False
        self.edit_error = self.conflict = ""
        self.saved_hints = {}

    @guarded(Permission.EDIT_BUDGET)
    def save(self, form_data: dict[str, Any]) -> None:
        submitted = {name: str(form_data.get(name, "")).strip() for name in EDITABLE_FIELDS if name in form_data}
        changes = {name: value for name, value in submitted.items() if value != self._base.get(name, "")}
        self.edit_error = self.saved_message = ""
        self.form = {**self.form, **submitted}  # what the user typed survives any re-render
        if not changes:
            self.conflict = ""
            self.saved_message = "Nothing changed."
            return
        try:
            with transaction() as session:
                line = budget_lines.update_line(
                    session, current_principal(), self.line_ref, expected_version=self._edit_version, changes=changes
                )
                new_version = line.version
        except Conflict as exc:
            if not self._reload():
                return
            # Keep the user's edits; everything else now starts from the saved values.
            self._base = dict(self._saved)
            self._edit_version = self.version
            self.form = {name: changes.get(name, self._saved[name]) for name in EDITABLE_FIELDS}
            self.saved_hints = {
                name: (self._saved[name] or "(empty)") if name in changes else "" for name in EDITABLE_FIELDS
            }
            self.form_key += 1
            self.conflict = str(exc)
            return
        except ServiceError as exc:
            self.edit_error = str(exc)
            return
        self._reload()
        self.editing = False
        self.conflict = ""
        self.saved_hints = {}
        self.saved_message = f"Saved: {self.uid} is now at version {new_version}."

    @guarded(Permission.EDIT_BUDGET)
    def add_note(self, form_data: dict[str, Any]) -> None:
        self.note_error = ""
        try:
            with transaction() as session:
                budget_lines.add_note(session, current_principal(), self.line_ref, body=str(form_data.get("body", "")))
        except ServiceError as exc:
            self.note_error = str(exc)
            return
        self.note_key += 1
        self._reload()
