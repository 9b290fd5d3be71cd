"""What the logs read on their own pages share (the audit trail, the activity log): a query that round-trips
through the page's URL with a date range, one page of the filtered events newest first, and the export's
title that says what was filtered on. Each log keeps its own filters, rows and workbook."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlmodel import Session, func, select

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 100_000
DATE_KEYS = ("date_from", "date_to")

Row = TypeVar("Row")


class UrlQuery:
    """Mixed into a log's frozen dataclass of filters: its non-empty fields, in their order, as URL parameters."""

    def as_params(self) -> dict[str, str]:
        """The non-empty filters as URL parameters (dates in ISO form)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items() if v}


def read_dates(params: Mapping[str, Any]) -> tuple[date | None, date | None, list[str]]:
    """The URL's date_from and date_to, and a sentence for each that could not be read (then ignored)."""
    dates: list[date | None] = []
    problems: list[str] = []
    for key in DATE_KEYS:
        raw = str(params.get(key) or "").strip()
        try:
            dates.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            dates.append(None)
            problems.append(f"'{raw[:30]}' is not a date (YYYY-MM-DD); the {key.replace('_', ' ')} filter is ignored")
    return dates[0], dates[1], problems


def within_dates(stmt: Any, column: Any, date_from: date | None, date_to: date | None) -> Any:
    """`stmt` narrowed to `column` from the start of `date_from` to the end of `date_to` (each if given)."""
    if date_from:
        stmt = stmt.where(column >= datetime.combine(date_from, time.min))
    if date_to:  # the whole day named
        stmt = stmt.where(column < datetime.combine(date_to + timedelta(days=1), time.min))
    return stmt


@dataclass(frozen=True)
class LogPage(Generic[Row]):
    rows: list[Row]
    total: int  # events matching the filters, all pages
    page: int
    page_count: int


def one_page(
    session: Session,
    stmt: Any,
    *,
    newest_first: Sequence[Any],
    page: int,
    page_size: int,
    shown: Callable[[list[Any]], list[Row]],
) -> LogPage[Row]:
    """Page `page` of what `stmt` selects, ordered by `newest_first`; `page` past the end gives the last page.
    `shown` turns the page's records into the log's rows."""
    total = int(session.exec(select(func.count()).select_from(stmt.subquery())).one())
    page_count = max(1, -(-total // page_size))
    page = min(max(1, page), page_count)
    records = list(session.exec(stmt.order_by(*newest_first).offset((page - 1) * page_size).limit(page_size)))
    return LogPage(shown(records), total, page, page_count)


def export_title(log_name: str, query: UrlQuery, events: int) -> str:
    """The export's title: the log, what it was filtered on, how many events, and whether the cap cut it."""
    described = ", ".join(f"{k}={v}" for k, v in query.as_params().items()) or "all events"
    title = f"{log_name} ({described}), {events:,} event{'s' if events != 1 else ''}"
    if events >= EXPORT_MAX_ROWS:  # said in the file, not dropped silently
        title += f" (the newest {EXPORT_MAX_ROWS:,}: narrow the filters for the older ones)"
    return title
