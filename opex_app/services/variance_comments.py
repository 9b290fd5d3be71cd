"""Variance comments: an analyst's explanation of one member's variance in one FY, level and period.

Stored in `variance_comment`, one row per (fiscal year, level, member, period key), with who wrote it first
and who changed it last. The member is the report's label at that level (a UID at line level, a master's
name, or `(no vendor)`-style labels for a line without one), so a comment shows wherever the variance report
shows that member: page, export and API (services.analytics.variance_report joins them).

Comments are not tied to the flag: thresholds may change after a comment was written, and the comment stays.
The period key (Period.key: fy, ytd, q1..q4, m01..m12) does not carry the as-of date, so a YTD comment stays
with the member as later months close: it explains the member's year to date, whenever it is read.
Writing one needs EDIT_BUDGET; every create, change and delete is audited with before and after.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.analytics import LEVELS, Level, Period
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import BudgetLine, VarianceComment
from opex_app.models._types import utcnow
from opex_app.services import audit, masters
from opex_app.services.errors import Conflict, NotFound, ServiceError

MAX_COMMENT = 2000
MAX_MEMBER = 255


class CommentNote(NamedTuple):
    comment: str
    by: str  # who wrote the text shown (the last to change it)
    at: datetime  # when (UTC)


def _fiscal_year_id(session: Session, fy: FiscalYear) -> int:
    # imported here: services.analytics imports this module to join the comments into its reports
    from opex_app.services.analytics import fiscal_year_id

    return fiscal_year_id(session, fy)


def _check_member(session: Session, fiscal_year_id: int, level: Level, member: str) -> None:
    """The member must be one the report can show: a UID of the FY, a master's name, or the `(no …)` label."""
    if level == "line":
        stmt = select(BudgetLine.id).where(BudgetLine.fiscal_year_id == fiscal_year_id, BudgetLine.uid == member)
        if session.exec(stmt.limit(1)).first() is None:
            raise NotFound(f"There is no budget line {member} in this fiscal year.")
        return
    if member == f"(no {level.replace('_', ' ')})" or member in masters.names(session, level, active_only=False):
        return
    raise NotFound(f"There is no {level.replace('_', ' ')} named '{member}'.")


def _find(session: Session, fiscal_year_id: int, level: str, member: str, period: str) -> VarianceComment | None:
    stmt = select(VarianceComment).where(
        VarianceComment.fiscal_year_id == fiscal_year_id,
        VarianceComment.level == level,
        VarianceComment.member == member,
        VarianceComment.period == period,
    )
    return session.exec(stmt.with_for_update()).first()


def _snapshot(row: VarianceComment | None) -> dict[str, object]:
    if row is None:
        return {}
    keys = {"fiscal_year_id": row.fiscal_year_id, "level": row.level, "member": row.member, "period": row.period}
    return {**keys, "comment": row.comment}


def _validated(level: str, member: str, text: str) -> tuple[str, str]:
    if level not in LEVELS:
        raise ServiceError(f"Unknown level '{level}' (expected one of: {', '.join(LEVELS)}).")
    member = member.strip()
    if not member:
        raise ServiceError("A comment needs the member it explains.")
    if len(member) > MAX_MEMBER:
        raise ServiceError(f"A member name is at most {MAX_MEMBER} characters.")
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise ServiceError(f"A variance comment is at most {MAX_COMMENT} characters (this one has {len(text)}).")
    return member, text


def set_comment(
    session: Session,
    principal: Principal,
    *,
    fy: FiscalYear,
    level: Level,
    member: str,
    period: Period,
    text: str,
) -> CommentNote | None:
    """Write, change or (blank text) delete the comment of one member; returns the comment now in force.

    Two analysts commenting the same member at the same moment: the second gets a Conflict, not a lost write."""
    require(principal, Permission.EDIT_BUDGET)
    member, text = _validated(level, member, text)
    fy_id = _fiscal_year_id(session, fy)
    _check_member(session, fy_id, level, member)
    row = _find(session, fy_id, level, member, period.key)
    before = _snapshot(row)
    if row is None and not text:
        return None  # nothing to delete, nothing changed
    if row is not None and not text:
        session.delete(row)
        changes = audit.changed_fields(before, {})
        audit.record(session, principal, action="delete", entity="variance_comment", entity_id=row.id, changes=changes)
        session.flush()
        return None
    if row is not None and row.comment == text:
        return CommentNote(row.comment, row.updated_by or row.created_by, row.updated_at or row.created_at)
    if row is None:
        row = VarianceComment(
            fiscal_year_id=fy_id,
            level=level,
            member=member,
            period=period.key,
            comment=text,
            created_by=principal.actor,
        )
    else:
        row.comment, row.updated_at, row.updated_by = text, utcnow(), principal.actor
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("Someone else commented this member at the same moment. Reload and try again.") from None
    changes = audit.changed_fields(before, _snapshot(row))
    action = "update" if before else "create"
    audit.record(session, principal, action=action, entity="variance_comment", entity_id=row.id, changes=changes)
    session.flush()
    return CommentNote(row.comment, row.updated_by or row.created_by, row.updated_at or row.created_at)


def comments_for(session: Session, *, fiscal_year_id: int, level: Level, period: Period) -> dict[str, CommentNote]:
    """{member: (comment, who, when)} of one report (FY, level, period); callers check the permission."""
    stmt = (
        select(VarianceComment)
        .where(
            VarianceComment.fiscal_year_id == fiscal_year_id,
            VarianceComment.level == level,
            VarianceComment.period == period.key,
        )
        .order_by(col(VarianceComment.member))
    )
    return {
        c.member: CommentNote(c.comment, c.updated_by or c.created_by, c.updated_at or c.created_at)
        for c in session.exec(stmt)
    }
