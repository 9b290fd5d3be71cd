"""Analytics use cases: the figures model read into a Polars frame, and the reports computed from it.

The frame comes from `figures.fiscal_year_frame` (one set-based query, the figures model's own SQL, read
through COPY), in `domain.analytics.FIGURES_SCHEMA`; every report (page, export, API) is a pure function of
that frame.

As-of date: the frame is read as of it (services/figures: actuals invoiced after it, POs approved after it
or still open then, lines created after it and month amounts edited after it are as they stood on it), and
it picks the as-of month (closed months before it, remaining from it on: YTD and the forecast outturn
depend on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

import polars as pl
from sqlmodel import Session, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import analytics
from opex_app.domain.analytics import REPORT_COLUMNS, Level, Period
from opex_app.domain.analytics.filters import Filters
from opex_app.domain.export.variance_workbook import write_variance_workbook
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import FiscalYearRow
from opex_app.services import app_settings, downloads, figures, variance_comments
from opex_app.services.errors import NotFound


def fiscal_year_id(session: Session, fy: FiscalYear) -> int:
    found = session.exec(select(FiscalYearRow.id).where(FiscalYearRow.end_year == fy.end_year)).first()
    if found is None:
        raise NotFound(f"there is no fiscal year {fy.name}")
    return found


def figures_frame(
    session: Session,
    principal: Principal,
    *,
    fy: FiscalYear,
    as_of: date | None = None,
    filters: Filters | None = None,
) -> pl.DataFrame:
    """Every line of `fy` matching `filters` × fiscal months 1..12 with its labels, shaped as FIGURES_SCHEMA,
    as the figures stood on `as_of` (None: as they stand now). The filters are applied in the database, so a
    one-tower dashboard reads only that tower's lines."""
    require(principal, Permission.VIEW_DASHBOARDS)
    return figures.fiscal_year_frame(session, fiscal_year_id=fiscal_year_id(session, fy), as_of=as_of, filters=filters)


# what variance_report adds after the domain's REPORT_COLUMNS: the flag (|variance| over both thresholds) and
# the member's comment with who wrote it and when (UTC); subtotal and total rows are never flagged nor commented
NOTE_COLUMNS = ("flagged", "comment", "comment_by", "comment_at")
VARIANCE_COLUMNS = (*REPORT_COLUMNS, *NOTE_COLUMNS)
_NOTES_SCHEMA: dict[str, pl.DataType] = {
    "member": pl.String(),
    "comment": pl.String(),
    "comment_by": pl.String(),
    "comment_at": pl.Datetime("us", "UTC"),
}


def _with_notes(
    report: pl.DataFrame, thresholds: app_settings.Thresholds, notes: dict[str, variance_comments.CommentNote]
) -> pl.DataFrame:
    """The report with NOTE_COLUMNS: member rows flagged by the thresholds and joined to their comments."""
    is_member = pl.col("row") == "member"
    flagged = analytics.exceeds_thresholds(thresholds.pct, thresholds.amount) & is_member
    comments = pl.DataFrame(
        [(member, n.comment, n.by, n.at) for member, n in notes.items()], schema=_NOTES_SCHEMA, orient="row"
    )
    joined = report.with_columns(flagged.alias("flagged")).join(
        comments, on="member", how="left", maintain_order="left"
    )
    return joined.with_columns(
        [pl.when(is_member).then(pl.col(c)).otherwise(None).alias(c) for c in NOTE_COLUMNS[1:]]
    ).select(VARIANCE_COLUMNS)


def variance_report(
    session: Session,
    principal: Principal,
    *,
    fy: FiscalYear,
    levels: Sequence[Level],
    period: Period,
    as_of: date,
) -> dict[Level, pl.DataFrame]:
    """One variance report (VARIANCE_COLUMNS) per level, in the order asked, from one read of the figures.

    The one function behind the page, the export and the API: flags come from the thresholds setting
    (services.app_settings) and comments from services.variance_comments. The figures are read as they
    stood on `as_of` (see figures_frame)."""
    require(principal, Permission.VIEW_DASHBOARDS)
    frame = figures_frame(session, principal, fy=fy, as_of=as_of)
    month = analytics.as_of_month(fy, as_of)
    thresholds = app_settings.get_thresholds(session)
    fy_id = fiscal_year_id(session, fy)
    return {
        level: _with_notes(
            analytics.variance_report(frame, level=level, period=period, as_of_month=month),
            thresholds,
            variance_comments.comments_for(session, fiscal_year_id=fy_id, level=level, period=period),
        )
        for level in levels
    }


@dataclass(frozen=True)
class VarianceExportResult:
    fiscal_year: str
    period: str  # e.g. 'FY FY27', 'Q1 FY27', 'Apr-26'
    levels: tuple[Level, ...]
    rows: int  # member rows written, over every sheet


def export_variance(
    session: Session,
    principal: Principal,
    target: str | Path | BinaryIO,
    *,
    fy: FiscalYear,
    levels: Sequence[Level],
    period: Period,
    as_of: date,
) -> VarianceExportResult:
    """Write the variance report of each level (one sheet each, in the order asked) to an xlsx workbook."""
    reports = variance_report(session, principal, fy=fy, levels=levels, period=period, as_of=as_of)
    rows = write_variance_workbook(target, list(reports.items()))
    return VarianceExportResult(fiscal_year=fy.name, period=period.label(fy), levels=tuple(levels), rows=rows)


def export_variance_download(
    session: Session,
    principal: Principal,
    *,
    fy: FiscalYear,
    levels: Sequence[Level],
    period: Period,
    as_of: date,
) -> tuple[VarianceExportResult, downloads.Ticket]:
    """`export_variance` (the CLI's workbook, byte for byte the same sheets) into a one-time download ticket."""
    require(principal, Permission.VIEW_DASHBOARDS)
    name = f"variance-{fy.name}-{period.key}-{'-'.join(levels)}-{as_of.isoformat()}.xlsx"
    with downloads.issue(name, user_id=principal.user_id) as ticket:
        result = export_variance(session, principal, ticket.path, fy=fy, levels=levels, period=period, as_of=as_of)
    return result, ticket
