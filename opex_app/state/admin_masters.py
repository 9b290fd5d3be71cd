"""Master data (Admin): one tab per master kind (search, counts, create, rename, deactivate, merge), and
currencies and fiscal years (activate, deactivate). Every handler needs Permission.MANAGE_MASTERS."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.services import masters_admin
from opex_app.services.errors import ServiceError
from opex_app.services.master_merge import merge_masters
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

REFERENCE_LABELS = {
    "budget_line": ("line", "lines"),
    "purchase_order": ("PO", "POs"),
    "actual": ("invoice", "invoices"),
}
TABS = [*masters_admin.KIND_LABELS, "currency", "fiscal_year"]


class MastersState(AppState):
    tab: str = "vendor"  # a master kind, 'currency' or 'fiscal_year'
    query: str = ""
    rows: list[dict[str, str]] = []
    page_number: int = 1
    page_count: int = 1
    total: int = 0
    message: str = ""
    error: str = ""
    # the rename / merge dialog: which master, and what it is called now
    dialog: str = ""  # "rename" | "merge" | ""
    target_id: int = 0
    target_name: str = ""
    target_refs: str = ""

    @rx.var
    def is_master_tab(self) -> bool:
        return self.tab in masters_admin.KIND_LABELS

    @rx.var
    def kind_label(self) -> str:
        return masters_admin.KIND_LABELS.get(self.tab, "").lower()

    @guarded(Permission.MANAGE_MASTERS)
    def load(self) -> None:
        """on_load: the first page of the current tab, no dialog, no message."""
        self.message = self.error = self.query = self.dialog = ""
        self.page_number = 1
        self._load()

    @guarded(Permission.MANAGE_MASTERS)
    def set_tab(self, tab: str) -> None:
        if tab not in TABS:
            self.error = f"unknown tab '{tab}'"
            return
        self.tab = tab
        self.message = self.error = self.query = self.dialog = ""
        self.page_number = 1
        self._load()

    @guarded(Permission.MANAGE_MASTERS)
    def search(self, form: dict[str, Any]) -> None:
        self.message = self.error = ""
        self.query, self.page_number = str(form.get("query") or "").strip(), 1
        self._load()

    @guarded(Permission.MANAGE_MASTERS)
    def go_to_page(self, number: int) -> None:
        self.page_number = int(number)
        self._load()

    def _load(self) -> None:
        with read_session() as session:
            principal = current_principal()
            if self.tab == "currency":
                listed = masters_admin.list_currencies(session=session, principal=principal)
                needle = self.query.casefold()
                found = [c for c in listed if needle in f"{c.code} {c.name}".casefold()]
                size = masters_admin.PAGE_SIZE
                self.total, self.page_count = len(found), max(1, -(-len(found) // size))
                self.page_number = min(max(1, self.page_number), self.page_count)
                start = (self.page_number - 1) * size
                self.rows = [_currency_row(c) for c in found[start : start + size]]
                return
            if self.tab == "fiscal_year":
                years = masters_admin.fiscal_years_with_counts(session=session, principal=principal)
                needle = self.query.casefold()
                self.rows = [_fy_row(fy, n) for fy, n in years if needle in fy.name.casefold()]
                self.page_number = self.page_count = 1
                self.total = len(self.rows)
                return
            page = masters_admin.list_masters(
                session=session, principal=principal, kind=self.tab, query=self.query, page=self.page_number
            )
        self.rows = [_master_row(r) for r in page.rows]
        self.page_number, self.page_count, self.total = page.page, page.page_count, page.total

    def _done(self, message: str) -> None:
        self.message, self.error, self.dialog = message, "", ""
        self._load()

    @guarded(Permission.MANAGE_MASTERS)
    def create(self, form: dict[str, Any]) -> None:
        self.message = self.error = ""
        name = str(form.get("name") or "")
        try:
            with transaction() as session:
                masters_admin.create_master(
                    session=session,
                    principal=current_principal(),
                    kind=self.tab,
                    name=name,
                    code=str(form.get("code") or ""),
                )
        except ServiceError as exc:
            self.error = _sentence(exc)
            return
        self._done(f"Created {masters_admin.KIND_LABELS[self.tab].lower()} '{' '.join(name.split())}'.")

    @guarded(Permission.MANAGE_MASTERS)
    def open_dialog(self, dialog: str, master_id: int) -> None:
        self.message = self.error = ""
        row = next((r for r in self.rows if r["id"] == str(master_id)), None)
        if dialog not in {"rename", "merge"} or row is None or self.tab not in masters_admin.KIND_LABELS:
            self.error = "That row is not on this page any more: search again."
            return
        self.dialog, self.target_id, self.target_name, self.target_refs = (
            dialog,
            int(master_id),
            row["name"],
            row["refs"],
        )

    @guarded(Permission.MANAGE_MASTERS)
    def close_dialog(self) -> None:
        self.dialog = ""

    @guarded(Permission.MANAGE_MASTERS)
    def rename(self, form: dict[str, Any]) -> None:
        self.error = ""
        try:
            with transaction() as session:
                masters_admin.rename_master(
                    session=session,
                    principal=current_principal(),
                    kind=self.tab,
                    master_id=self.target_id,
                    name=str(form.get("name") or ""),
                )
        except ServiceError as exc:
            self.error = _sentence(exc)
            return
        self._done(f"Renamed '{self.target_name}' to '{' '.join(str(form.get('name') or '').split())}'.")

    @guarded(Permission.MANAGE_MASTERS)
    def merge(self, form: dict[str, Any]) -> None:
        """Merge the dialog's master (the duplicate) into the one named in the form (the survivor)."""
        self.error = ""
        try:
            with transaction() as session:
                principal = current_principal()
                survivor = masters_admin.find_by_name(
                    session=session, principal=principal, kind=self.tab, name=str(form.get("survivor") or "")
                )
                assert survivor.id is not None
                result = merge_masters(
                    session=session,
                    principal=principal,
                    kind=self.tab,
                    duplicate_id=self.target_id,
                    survivor_id=survivor.id,
                )
        except ServiceError as exc:
            self.error = _sentence(exc)
            return
        moved = _counted(result.moved)
        kept = f" {result.comments_moved} variance comments moved." if result.comments_moved else ""
        dup = result.duplicate
        self._done(f"Merged '{dup}' into '{result.survivor}': moved {moved}; '{dup}' is now inactive.{kept}")

    @guarded(Permission.MANAGE_MASTERS)
    def set_active(self, key: str, active: bool) -> None:
        """Deactivate or reactivate the row `key` of the current tab (a master id, a currency code or an FY id)."""
        self.message = self.error = ""
        try:
            with transaction() as session:
                principal = current_principal()
                if self.tab == "currency":
                    masters_admin.set_currency_active(session=session, principal=principal, code=key, active=active)
                elif self.tab == "fiscal_year":
                    masters_admin.set_fiscal_year_active(
                        session=session, principal=principal, fiscal_year_id=int(key), active=active
                    )
                else:
                    masters_admin.set_master_active(
                        session=session, principal=principal, kind=self.tab, master_id=int(key), active=active
                    )
        except (ServiceError, ValueError) as exc:
            self.error = _sentence(exc)
            return
        shown = next((r["name"] for r in self.rows if r["id"] == key), key)
        self._done(f"{'Reactivated' if active else 'Deactivated'} {shown}.")


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _counted(counts: dict[str, int]) -> str:
    """{'budget_line': 1, 'purchase_order': 2} -> '1 line, 2 POs'."""
    return ", ".join(f"{n} {REFERENCE_LABELS[t][0 if n == 1 else 1]}" for t, n in counts.items())


def _master_row(row: masters_admin.MasterRow) -> dict[str, str]:
    refs = _counted(row.references)
    status = f"merged into {row.merged_into}" if row.merged_into else ("active" if row.is_active else "inactive")
    return {
        "id": str(row.id),
        "name": row.name,
        "code": row.code or "",
        "refs": refs,
        "total": str(row.total_references),
        "status": status,
        "active": "yes" if row.is_active else "no",
        "merged": "yes" if row.merged_into else "no",
    }


def _currency_row(row: Any) -> dict[str, str]:
    active = "yes" if row.is_active else "no"
    return {
        "id": row.code,
        "name": f"{row.code} · {row.name}",
        "code": row.code,
        "refs": "",
        "total": "",
        "status": "active" if row.is_active else "inactive",
        "active": active,
        "merged": "no",
    }


def _fy_row(fy: Any, lines: int) -> dict[str, str]:
    return {
        "id": str(fy.id),
        "name": fy.name,
        "code": f"{fy.start_date:%d-%b-%Y} – {fy.end_date:%d-%b-%Y}",
        "refs": _counted({"budget_line": lines}),
        "total": str(lines),
        "status": "active" if fy.is_active else "inactive",
        "active": "yes" if fy.is_active else "no",
        "merged": "no",
    }
