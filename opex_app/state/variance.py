"""Variance report page state: the choices (FY, level, period, as-of date) live in the URL, one page of rows.

The figures, flags and comments come from services.analytics.variance_report, the function behind the
export and the API too, read through services.dashboard.variance (cached by data version, which every
comment and threshold change bumps); the Download button writes exactly the CLI's workbook for the choices on
screen. State keeps only the page on screen, as strings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

import polars as pl
import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session, transaction
from opex_app.domain.analytics import LEVELS, Level, Period
from opex_app.domain.export.variance_workbook import LEVEL_LABELS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.money import format_amount
from opex_app.domain.url_params import query_params
from opex_app.services import analytics, app_settings, dashboard, reporting_basis, variance_comments
from opex_app.services.downloads import Ticket
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import current_fiscal_year, list_fiscal_years
from opex_app.state.base import AppState
from opex_app.state.downloads import DownloadState
from opex_app.state.guard import current_principal, guarded

VARIANCE_ROUTE = routes.VARIANCE.path
PAGE_SIZE = 50
DEFAULT_LEVEL: Level = "tower"  # as the CLI's --level
AMOUNT_COLUMNS = ("budget", "committed", "actual", "available", "variance", "outturn", "outturn_variance")
WHEN = "%d-%b-%Y %H:%M UTC"
CHOICES = ("fy", "level", "period", "as_of")
LEVEL_CHOICES = list(LEVEL_LABELS.items())  # the level drop-down: (value, text)


@dataclass(frozen=True)
class VarianceView:
    """The choices of the page as the URL spells them: FY name ('' = the default), level, period key,
    as-of date ISO ('' = today), page."""

    fy: str = ""
    level: Level = DEFAULT_LEVEL
    period: str = "fy"
    as_of: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> tuple[VarianceView, list[str]]:
        """The view, and one note per parameter that was not understood (shown, never silently dropped)."""
        ignored: list[str] = []
        view = cls(fy=str(params.get("fy") or "").strip())
        level = str(params.get("level") or DEFAULT_LEVEL).strip().lower()
        if level in LEVELS:
            view = replace(view, level=cast(Level, level))
        else:
            ignored.append(f"level '{level}'")
        period = str(params.get("period") or "fy").strip().lower()
        try:
            view = replace(view, period=Period.from_key(period).key)
        except ValueError:
            ignored.append(f"period '{period}'")
        as_of = str(params.get("as_of") or "").strip()
        try:
            view = replace(view, as_of=date.fromisoformat(as_of).isoformat() if as_of else "")
        except ValueError:
            ignored.append(f"as-of date '{as_of}'")
        try:
            view = replace(view, page=max(1, int(str(params.get("page") or "1"))))
        except ValueError:
            ignored.append(f"page '{params.get('page')}'")
        return view, ignored

    def to_params(self) -> dict[str, str]:
        params = {"fy": self.fy, "level": self.level, "period": self.period, "as_of": self.as_of}
        if self.page > 1:
            params["page"] = str(self.page)
        return {k: v for k, v in params.items() if v}

    @property
    def url(self) -> str:
        return f"{VARIANCE_ROUTE}?{urlencode(self.to_params())}"

    def fiscal_year(self) -> FiscalYear:
        return reporting_basis.fiscal_year_named(self.fy) if self.fy else current_fiscal_year()

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else date.today()


def amount(value: Decimal | None, number_format: str) -> str:
    """Whole base-currency units in the user's grouping ('indian' unless the user chose 'western'); a dash for
    nothing, so the figures that matter stand out."""
    if value is None:
        return "–"
    shown = format_amount(value, "western" if number_format == "western" else "indian", 0)
    return "–" if shown in {"0", "-0"} else shown


def _row(row: dict[str, Any], number_format: str) -> dict[str, str]:
    pct = row["variance_pct"]
    at: datetime | None = row["comment_at"]
    return {
        "member": row["member"] or "",
        **{c: amount(row[c], number_format) for c in AMOUNT_COLUMNS},
        "variance_pct": "–" if pct is None else f"{pct:.2f} %",
        "flagged": "1" if row["flagged"] else "",
        "comment": row["comment"] or "",
        "comment_by": row["comment_by"] or "",
        "comment_at": at.strftime(WHEN) if at else "",
    }


def period_choices(fy: FiscalYear) -> list[list[str]]:
    """[key, label] of every period of `fy`: FY, YTD, the quarters, the months."""
    fixed = [["fy", "Full year"], ["ytd", "Year to date"], *[[f"q{q}", f"Q{q}"] for q in range(1, 5)]]
    return fixed + [[Period("month", m).key, fy.month_label(m)] for m in range(1, 13)]


def _export(principal: Principal, params: dict[str, Any]) -> tuple[str, Ticket]:
    """The download of the page's choices: refused (not guessed) when a choice is not understood."""
    view, ignored = VarianceView.from_params(params)
    if ignored:
        raise ServiceError(f"Cannot export: unknown {', '.join(ignored)}.")
    try:
        fy = view.fiscal_year()
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    with read_session() as session:
        result, ticket = analytics.export_variance_download(
            session,
            principal,
            fy=fy,
            levels=[view.level],
            period=Period.from_key(view.period),
            as_of=view.as_of_date(),
        )
    return f"Exported {result.rows:,} rows of the {result.fiscal_year} variance report ({result.period}).", ticket


class VarianceDownloadState(DownloadState):
    """The Download button: the DownloadState mechanism (background work, one-time link) for this report."""

    @rx.event(background=True)
    @guarded(Permission.VIEW_DASHBOARDS)
    async def export_variance(self, view_params: dict[str, str]) -> AsyncIterator[Any]:
        """Write the CLI's workbook for ``view_params`` (VarianceView.to_params keys) and download it."""
        async for event in self._run(_export, dict(view_params or {})):
            yield event


class VarianceState(AppState):
    # the choices, as read from the URL ('' as_of shows today's date)
    fy: str = ""
    level: str = DEFAULT_LEVEL
    period: str = "fy"
    as_of: str = ""
    page_number: int = 1
    # what the page shows now
    page_count: int = 1
    member_count: int = 0
    flagged_count: int = 0
    rows: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    level_label: str = LEVEL_LABELS[DEFAULT_LEVEL]
    period_label: str = ""
    base_currency: str = ""
    thresholds_text: str = ""
    pct_threshold: str = ""
    amount_threshold: str = ""
    notice: str = ""  # URL parameters that were not understood
    error: str = ""
    thresholds_error: str = ""
    # the drop-downs' choices
    fy_names: list[str] = []
    period_options: list[list[str]] = []

    @rx.var
    def can_set_thresholds(self) -> bool:
        """The thresholds form is shown to MANAGE_MASTERS holders (save_thresholds checks it again)."""
        return Permission.MANAGE_MASTERS.value in self.permissions

    def _view(self, **changes: Any) -> VarianceView:
        level = self.level if self.level in LEVELS else DEFAULT_LEVEL
        view = VarianceView(self.fy, cast(Level, level), self.period, self.as_of, self.page_number)
        return replace(view, **changes)

    def _show_thresholds(self, limits: app_settings.Thresholds) -> None:
        self.pct_threshold = app_settings.plain(limits.pct)
        self.amount_threshold = app_settings.plain(limits.amount)
        shown = amount(limits.amount, self.number_format)
        self.thresholds_text = f"|variance| over {self.pct_threshold} % of budget and over {shown}"

    def _show(self, report: pl.DataFrame) -> None:
        members = report.filter(pl.col("row") == "member")
        self.member_count, self.flagged_count = members.height, int(members["flagged"].sum())
        self.page_count = max(1, -(-members.height // PAGE_SIZE))
        self.page_number = min(self.page_number, self.page_count)
        page = members.slice((self.page_number - 1) * PAGE_SIZE, PAGE_SIZE)
        self.rows = [_row(r, self.number_format) for r in page.iter_rows(named=True)]
        self.totals = _row(report.filter(pl.col("row") == "total").row(0, named=True), self.number_format)

    def _clear(self) -> None:
        self.rows, self.totals, self.member_count, self.flagged_count, self.page_count = [], {}, 0, 0, 1
        self.page_number = 1  # not the address's page of a report that could not be computed

    def _refresh(self, principal: Principal) -> None:
        """Compute the report of the choices on screen and show its current page."""
        view = self._view()
        self.error = ""
        try:
            fy = view.fiscal_year()
            as_of = view.as_of_date()
            with read_session() as session:
                self._show_thresholds(app_settings.get_thresholds(session))
            period = Period.from_key(view.period)
            reports = dashboard.variance(principal, fy=fy, levels=[view.level], period=period, as_of=as_of).reports
        except (ServiceError, ValueError) as exc:
            self.error = str(exc)
            self._clear()
            return
        self.fy, self.as_of = fy.name, as_of.isoformat()
        self.period_options = period_choices(fy)
        self.period_label = {key: label for key, label in self.period_options}.get(view.period, view.period)
        self.level_label = LEVEL_LABELS[view.level]
        self._show(reports[view.level])

    @guarded(Permission.VIEW_DASHBOARDS)
    def load(self) -> None:
        """on_load: read the choices from the URL, then compute and show that report."""
        view, ignored = VarianceView.from_params(query_params(self.router.url.query_parameters))
        self.fy, self.level, self.period, self.as_of, self.page_number = (
            view.fy,
            view.level,
            view.period,
            view.as_of,
            view.page,
        )
        self.notice = f"Ignored the {', '.join(ignored)} in the address." if ignored else ""
        self.thresholds_error = ""
        with read_session() as session:
            self.fy_names = [row.name for row in list_fiscal_years(session)]
        if not self.fy and self.fy_names and current_fiscal_year().name not in self.fy_names:
            self.fy = self.fy_names[0]  # no current FY stored: the newest one
        self.base_currency = reporting_basis.base_currency()
        self._refresh(current_principal())

    @guarded(Permission.VIEW_DASHBOARDS)
    def choose(self, name: str, value: str) -> Any:
        """A drop-down or the as-of date changed: go to that report's address (its on_load computes it)."""
        if name not in CHOICES or not str(value).strip():
            return None
        return rx.redirect(self._view(**{name: str(value).strip()}, page=1).url)

    @guarded(Permission.VIEW_DASHBOARDS)
    def apply_as_of(self, form: dict[str, Any]) -> Any:
        text = str(form.get("as_of") or "").strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return rx.toast.error(f"'{text}' is not a date (e.g. 2026-09-30).", id="variance-as-of")
        return rx.redirect(self._view(as_of=day.isoformat(), page=1).url)

    @guarded(Permission.VIEW_DASHBOARDS)
    def go_to_page(self, number: int) -> Any:
        number = min(max(1, int(number)), self.page_count)
        if number == self.page_number:
            return None
        return rx.redirect(self._view(page=number).url)

    @guarded(Permission.EDIT_BUDGET)
    def save_comment(self, form: dict[str, Any]) -> Any:
        """Write (or, blank, delete) the comment of one member (`form`: member, comment) of the report on screen."""
        principal = current_principal()
        view = self._view()
        member, text = str(form.get("member") or ""), str(form.get("comment") or "")
        try:
            with transaction() as session:
                saved = variance_comments.set_comment(
                    session,
                    principal,
                    fy=view.fiscal_year(),
                    level=view.level,
                    member=member,
                    period=Period.from_key(view.period),
                    text=text,
                )
        except (ServiceError, ValueError) as exc:
            return rx.toast.error(str(exc), id="variance-comment")
        self._refresh(principal)
        return rx.toast.success(f"Comment {'saved' if saved else 'removed'} for {member}.", id="variance-comment")

    @guarded(Permission.MANAGE_MASTERS)
    def save_thresholds(self, form: dict[str, Any]) -> Any:
        principal = current_principal()
        self.thresholds_error = ""
        try:
            with transaction() as session:
                app_settings.set_thresholds(session, principal, pct=form.get("pct"), amount=form.get("amount"))
        except ServiceError as exc:
            self.thresholds_error = str(exc)
            return None
        self._refresh(principal)
        return rx.toast.success(f"Thresholds saved: {self.thresholds_text}.", id="variance-thresholds")
