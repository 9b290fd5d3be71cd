"""FX rates (Admin): the rates in force, adding a rate (or correcting a date's rate), a currency's history."""

from __future__ import annotations

from datetime import date
from typing import Any

from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.services import fx
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

_WHEN = "%d-%b-%Y %H:%M"


class FxState(AppState):
    as_of: str = ""
    rows: list[dict[str, str]] = []  # one per currency: the rate in force
    selected: str = ""  # the currency whose history is shown
    history: list[dict[str, str]] = []
    message: str = ""
    error: str = ""

    @guarded(Permission.MANAGE_FX)
    def load(self) -> None:
        """on_load: a fresh page (no history open, no message from a previous visit)."""
        self.selected = self.message = self.error = ""
        self._load()

    @guarded(Permission.MANAGE_FX)
    def show_history(self, currency: str) -> None:
        self.selected = currency
        self._load()

    @guarded(Permission.MANAGE_FX)
    def add_rate(self, form: dict[str, Any]) -> None:
        self.message = self.error = ""
        currency = str(form.get("currency") or "").strip().upper()
        rate = str(form.get("rate") or "").strip()
        day_text = str(form.get("effective_from") or "").strip()
        given = (("a currency", currency), ("a rate", rate), ("the date it is effective from", day_text))
        missing = [what for what, value in given if not value]
        if missing:
            self.error = f"Enter {' and '.join(missing)}."
            return
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            self.error = f"'{day_text}' is not a date (e.g. 2026-04-01)."
            return
        try:
            with transaction() as session:
                before = fx.stored_rate(session, currency, day)
                row = fx.set_rate(session, current_principal(), currency=currency, rate=rate, effective_from=day)
                corrects = f", correcting {fx.shown_rate(before.rate_to_base)}" if before is not None else ""
                done = f"{row.currency_code} {fx.shown_rate(row.rate_to_base)} from {day:%d-%b-%Y} recorded{corrects}."
        except ServiceError as exc:
            self.error = str(exc)[:1].upper() + str(exc)[1:] + "."
            return
        self.message = done
        self.selected = currency
        self._load()

    def _load(self) -> None:
        try:
            with read_session() as session:
                listing = fx.list_rates(session, current_principal(), self.selected or None)
        except ServiceError as exc:  # a currency that is not one (the event carries any text)
            self.selected, self.history, self.error = "", [], str(exc)
            return
        self.as_of = f"{listing.as_of:%d-%b-%Y}"
        self.rows = [_current_row(c) for c in listing.current]
        self.history = [_history_row(r) for r in listing.history] if self.selected else []


def _current_row(current: fx.CurrentRate) -> dict[str, str]:
    rate = current.rate
    return {
        "currency": current.currency,
        "rate": fx.shown_rate(rate.rate) if rate else "none yet",
        "from": f"{rate.effective_from:%d-%b-%Y}" if rate else "",
        "by": rate.created_by if rate else "",
        "at": f"{rate.created_at:{_WHEN}}" if rate else "",
        "next": f"{current.next_from:%d-%b-%Y}" if current.next_from else "",
    }


def _history_row(row: fx.RateRow) -> dict[str, str]:
    return {
        "from": f"{row.effective_from:%d-%b-%Y}",
        "rate": fx.shown_rate(row.rate),
        "by": row.created_by,
        "at": f"{row.created_at:{_WHEN}}",
        "status": "corrected" if row.corrected else "",
    }
