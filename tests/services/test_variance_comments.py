"""Variance thresholds (app setting) and variance comments on real PostgreSQL, and the report that joins them.

FY81 (Apr-80 .. Mar-81), written only here and rolled back after each test. Two lines with budget and no
spend, so variance = budget = 100 % of it:
  BIG   3,00,000 in Apr-80: |variance| 3,00,000 > 1,00,000 and 100 % > 10 %  -> flagged by the defaults
  SMALL    50,000 in Apr-80: 100 % > 10 % but 50,000 is not > 1,00,000      -> not flagged
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied
from opex_app.domain.analytics import FY, YTD, Period, parse_period
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import AuditEvent
from opex_app.services import app_settings, variance_comments
from opex_app.services.analytics import NOTE_COLUMNS, VARIANCE_COLUMNS, export_variance, variance_report
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.masters import create_missing
from tests.services.lines import add_line

FY81 = FiscalYear(2081)
AS_OF = date(2081, 4, 30)  # after the FY: every month closed


@dataclass(frozen=True)
class Seeded:
    big: str
    small: str
    tower: str


@pytest.fixture()
def seeded(session: Session, admin) -> Seeded:
    tag = uuid.uuid4().hex[:6]
    tower = f"VC Tower {tag}"
    create_missing(session, admin, "tower", [tower])
    fy = ensure_fiscal_year(session, FY81)
    big, small = f"VC-{tag}-BIG", f"VC-{tag}-SMALL"
    add_line(session, fy, big, {1: "300000"}, tower=tower)
    add_line(session, fy, small, {1: "50000"}, tower=tower)
    return Seeded(big, small, tower)


def _events(session: Session, entity: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity == entity).order_by(col(AuditEvent.id))))


def test_period_keys_round_trip() -> None:
    fy = FiscalYear(2027)
    keys = ["fy", "ytd", "q1", "q4", "m01", "m12"]
    assert [Period.from_key(k).key for k in keys] == keys
    assert parse_period("May-26", fy).key == "m02"
    assert Period.from_key("Q2") == Period("quarter", 2)
    for bad in ("q5", "m13", "m1", "month", ""):
        with pytest.raises(ValueError, match="not a period key"):
            Period.from_key(bad)


def test_thresholds_default_then_set_by_an_admin_and_audited(session: Session, admin, analyst) -> None:
    assert app_settings.get_thresholds(session) == app_settings.Thresholds(
        Decimal("10"), Decimal("100000"), is_default=True
    )
    with pytest.raises(PermissionDenied):
        app_settings.set_thresholds(session, analyst, pct="5", amount="1000")

    stored = app_settings.set_thresholds(session, admin, pct="12.5", amount="2,50,000")
    assert (stored.pct, stored.amount) == (Decimal("12.50"), Decimal("250000.00"))
    again = app_settings.get_thresholds(session)
    assert (again.pct, again.amount, again.is_default) == (Decimal("12.50"), Decimal("250000.00"), False)
    app_settings.set_thresholds(session, admin, pct="15", amount="250000")
    app_settings.set_thresholds(session, admin, pct="15", amount="250000")  # unchanged: no audit event

    events = [e for e in _events(session, "app_setting") if e.entity_id == app_settings.THRESHOLDS_KEY]
    assert [(e.action, e.actor) for e in events[-2:]] == [("create", admin.actor), ("update", admin.actor)]
    assert events[-2].changes == {"amount": [None, "250000"], "pct": [None, "12.5"]}
    assert events[-1].changes == {"pct": ["12.5", "15"]}


@pytest.mark.parametrize(
    ("pct", "amount", "message"),
    [
        ("-1", "0", "between 0 and 1000"),
        ("1000.01", "0", "between 0 and 1000"),
        ("ten", "0", "'ten' is not a number"),
        ("10", "-5", "must be 0 or more"),
        ("10", "1.234", "at most 2 decimals"),
        ("NaN", "0", "is not a number"),
    ],
)
def test_thresholds_refuse_nonsense(session: Session, admin, pct: str, amount: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        app_settings.set_thresholds(session, admin, pct=pct, amount=amount)
    assert app_settings.get_thresholds(session).is_default


def test_comment_written_changed_and_deleted_with_audit(session: Session, seeded: Seeded, analyst, viewer) -> None:
    def note(text: str, who=analyst, member: str = seeded.big):
        return variance_comments.set_comment(session, who, fy=FY81, level="line", member=member, period=FY, text=text)

    fy_id = ensure_fiscal_year(session, FY81).id
    assert fy_id is not None
    with pytest.raises(PermissionDenied):
        note("not allowed", who=viewer)
    first = note("  Renewal moved to next year.  ")
    assert first is not None and (first.comment, first.by) == ("Renewal moved to next year.", analyst.actor)
    found = variance_comments.comments_for(session, fiscal_year_id=fy_id, level="line", period=FY)
    assert found == {seeded.big: first}
    # another period or level has its own comments
    assert variance_comments.comments_for(session, fiscal_year_id=fy_id, level="line", period=YTD) == {}
    assert variance_comments.comments_for(session, fiscal_year_id=fy_id, level="tower", period=FY) == {}

    changed = note("Renewal moved to FY82.")
    assert changed is not None and changed.comment == "Renewal moved to FY82."
    assert note("") is None
    assert variance_comments.comments_for(session, fiscal_year_id=fy_id, level="line", period=FY) == {}
    assert note("   ") is None  # deleting what is not there changes nothing

    events = _events(session, "variance_comment")[-3:]
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert events[0].changes is not None and events[0].changes["comment"] == [None, "Renewal moved to next year."]
    assert events[1].changes == {"comment": ["Renewal moved to next year.", "Renewal moved to FY82."]}
    assert events[2].changes is not None and events[2].changes["comment"] == ["Renewal moved to FY82.", None]


def test_comment_refuses_unknown_members_and_long_text(session: Session, seeded: Seeded, analyst) -> None:
    def note(level, member: str, text: str = "why"):
        return variance_comments.set_comment(
            session, analyst, fy=FY81, level=level, member=member, period=FY, text=text
        )

    with pytest.raises(NotFound, match="no budget line NOPE"):
        note("line", "NOPE")
    with pytest.raises(NotFound, match="no tower named 'Nowhere'"):
        note("tower", "Nowhere")
    with pytest.raises(ServiceError, match="needs the member"):
        note("line", "  ")
    with pytest.raises(ServiceError, match="at most 2000 characters"):
        note("line", seeded.big, "x" * 2001)
    with pytest.raises(ServiceError, match="Unknown level"):
        note("planet", seeded.big)
    with pytest.raises(NotFound, match="no fiscal year FY99"):
        variance_comments.set_comment(
            session, analyst, fy=FiscalYear(2099), level="line", member=seeded.big, period=FY, text="x"
        )
    assert note("tower", seeded.tower, "x" * 2000) is not None  # the limit itself is fine
    assert note("vendor", "(no vendor)") is not None  # a line without a vendor is reported under this label


def test_report_flags_members_over_both_thresholds_and_shows_comments(
    session: Session, seeded: Seeded, admin, analyst
) -> None:
    variance_comments.set_comment(
        session, analyst, fy=FY81, level="line", member=seeded.big, period=FY, text="Licence true-up"
    )
    report = variance_report(session, analyst, fy=FY81, levels=["line", "tower"], period=FY, as_of=AS_OF)
    lines = report["line"]
    assert tuple(lines.columns) == VARIANCE_COLUMNS
    assert VARIANCE_COLUMNS[-len(NOTE_COLUMNS) :] == NOTE_COLUMNS
    rows = {r["member"]: r for r in lines.filter(lines["member"].is_in([seeded.big, seeded.small])).to_dicts()}
    assert rows[seeded.big]["flagged"] is True
    assert (rows[seeded.big]["comment"], rows[seeded.big]["comment_by"]) == ("Licence true-up", analyst.actor)
    assert rows[seeded.big]["comment_at"] is not None
    assert rows[seeded.small]["flagged"] is False and rows[seeded.small]["comment"] is None
    total = lines.filter(lines["row"] == "total").row(0, named=True)
    assert total["flagged"] is False and total["comment"] is None  # 3,50,000 over both, but a total is not asked
    tower = report["tower"].filter(report["tower"]["member"] == seeded.tower).row(0, named=True)
    assert tower["flagged"] is True and tower["comment"] is None  # the line's comment is not the tower's

    # thresholds move the flags: 100 % is not over 100 %; 99.99 % with no amount floor flags both lines
    app_settings.set_thresholds(session, admin, pct="100", amount="0")
    again = variance_report(session, analyst, fy=FY81, levels=["line"], period=FY, as_of=AS_OF)["line"]
    assert again.filter(again["member"].is_in([seeded.big, seeded.small]))["flagged"].to_list() == [False, False]
    app_settings.set_thresholds(session, admin, pct="99.99", amount="0")
    again = variance_report(session, analyst, fy=FY81, levels=["line"], period=FY, as_of=AS_OF)["line"]
    assert again.filter(again["member"].is_in([seeded.big, seeded.small]))["flagged"].to_list() == [True, True]


def test_export_carries_the_comment_with_who_and_when(session: Session, seeded: Seeded, analyst, viewer) -> None:
    saved = variance_comments.set_comment(
        session, analyst, fy=FY81, level="line", member=seeded.big, period=FY, text='=cmd|" /c calc"!A1'
    )
    assert saved is not None
    buf = io.BytesIO()
    result = export_variance(session, viewer, buf, fy=FY81, levels=["line"], period=FY, as_of=AS_OF)
    assert result.levels == ("line",)
    buf.seek(0)
    ws = openpyxl.load_workbook(buf)["Line"]
    by_member = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    comment = by_member[seeded.big][9]
    assert comment.value == f'=cmd|" /c calc"!A1 ({analyst.actor}, {saved.at.strftime("%d-%b-%Y")})'
    assert comment.data_type == "s"  # text, never a formula
    assert by_member[seeded.big][0].fill.fgColor.rgb.endswith("FFEB9C")  # flagged: highlighted
    assert by_member[seeded.small][9].value is None
    assert not by_member[seeded.small][0].fill.fgColor.rgb.endswith("FFEB9C")
