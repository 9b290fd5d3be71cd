"""A log read through its address (the audit trail, the activity log): the filters live in the URL, so a view
can be bookmarked or shared; each visit reads that one page of events on the server; what the address holds
that cannot be read is said and ignored.

A page state mixes in UrlLogMixin and describes its log with a LogSource; the handlers are guarded by the
audit permission, which is what both logs ask of their readers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import read_session
from opex_app.domain.url_params import page_number, query_params
from opex_app.state.guard import current_principal, guarded

MAX_FILTER_LENGTH = 100


@dataclass(frozen=True)
class LogSource:
    """One log as its page reads it.

    `parse` is the query's from_params (the query, and a sentence per unreadable parameter); `search` reads one
    page: (session, principal, query, page, number format) -> a LogPage; `shown` turns a row into table cells.
    `chosen` are the filters offered as a closed choice: the form shows what was understood, not what was typed."""

    route: str
    filters: tuple[str, ...]
    parse: Callable[[Mapping[str, Any]], tuple[Any, list[str]]]
    search: Callable[..., Any]
    shown: Callable[[Any], dict[str, str]]
    chosen: tuple[str, ...] = ()

    def url(self, query: Any, page: int = 1) -> str:
        """The log's address for `query` at `page` (page 1 is left out)."""
        params = query.as_params() | ({"page": str(page)} if page > 1 else {})
        return f"{self.route}/?{urlencode(params)}" if params else f"{self.route}/"


def _typed(value: Any) -> str:
    return str(value or "").strip()[:MAX_FILTER_LENGTH]


class UrlLogMixin(rx.State, mixin=True):
    """One page of a filtered log; the page state declares a `str` var per filter and its `source`."""

    source: ClassVar[LogSource]
    rows: list[dict[str, str]] = []
    page_number: int = 1
    page_count: int = 1
    total: int = 0
    warnings: list[str] = []  # URL parameters that could not be read (and were ignored)
    view_key: str = ""  # the address's filters: a new view re-creates the (uncontrolled) filter inputs

    def _query(self) -> Any:
        return self.source.parse({name: getattr(self, name) for name in self.source.filters})[0]

    @guarded(Permission.VIEW_AUDIT)
    def load(self) -> None:
        """on_load: read the filters and page from the URL and query that one page."""
        source = self.source
        params = query_params(self.router.url.query_parameters)
        query, self.warnings = source.parse(params)
        for name in source.filters:  # the form shows what the address says, an unreadable date included
            setattr(self, name, _typed(params.get(name)))
        for name in source.chosen:
            setattr(self, name, getattr(query, name))
        self.view_key = urlencode({name: getattr(self, name) for name in source.filters if getattr(self, name)})
        page = page_number(params.get("page", "1"))
        with read_session() as session:
            number_format = getattr(self, "number_format", "")  # AppState's: the mixin is not one itself
            found = source.search(session, current_principal(), query, page, number_format)
        self.rows = [source.shown(r) for r in found.rows]
        self.page_number, self.page_count, self.total = found.page, found.page_count, found.total

    @guarded(Permission.VIEW_AUDIT)
    def apply_filter(self, form: dict[str, Any]) -> Any:
        """The filter form was submitted: go to that view's address (its on_load queries it)."""
        params = {name: _typed(form.get(name)) for name in self.source.filters}  # load reports bad values
        return rx.redirect(f"{self.source.route}/?{urlencode({k: v for k, v in params.items() if v})}")

    @guarded(Permission.VIEW_AUDIT)
    def clear_filters(self) -> Any:
        return rx.redirect(f"{self.source.route}/")

    @guarded(Permission.VIEW_AUDIT)
    def go_to_page(self, number: int) -> Any:
        number = min(max(1, int(number)), self.page_count)
        return None if number == self.page_number else rx.redirect(self.source.url(self._query(), number))
