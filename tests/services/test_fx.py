from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.models import AuditEvent
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fx import rate_on, set_rate


def test_rates_have_history_and_the_base_currency_is_one(session: Session) -> None:
    admin = cli_principal()
    set_rate(session, admin, currency="chf", rate="95.5", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="CHF", rate=Decimal("97.25"), effective_from=date(2041, 10, 1))
    assert rate_on(session, "CHF", date(2041, 9, 30)) == Decimal("95.500000")
    assert rate_on(session, "CHF", date(2041, 10, 1)) == Decimal("97.250000")
    assert rate_on(session, "INR", date(1990, 1, 1)) == Decimal(1)
    with pytest.raises(NotFound):
        rate_on(session, "CHF", date(2041, 3, 31))


def test_a_correction_is_audited_with_the_rate_it_replaces(session: Session) -> None:
    row = set_rate(session, cli_principal(), currency="SEK", rate="7.9", effective_from=date(2041, 4, 1))
    set_rate(session, cli_principal(), currency="SEK", rate="8.1", effective_from=date(2041, 4, 1))
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "fx_rate", AuditEvent.entity_id == str(row.id))
        .order_by(AuditEvent.id)  # type: ignore[arg-type]
    ).all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes["rate_to_base"] == ["7.900000", "8.100000"]


def test_bad_rates_are_refused(session: Session, viewer) -> None:
    admin = cli_principal()
    with pytest.raises(ServiceError, match="base currency"):
        set_rate(session, admin, currency="INR", rate="2", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="greater than zero"):
        set_rate(session, admin, currency="USD", rate="0", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="unknown currency"):
        set_rate(session, admin, currency="XXQ", rate="1", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="not a rate"):
        set_rate(session, admin, currency="USD", rate="abc", effective_from=date(2041, 4, 1))
    with pytest.raises(PermissionDenied):
        set_rate(session, viewer, currency="USD", rate="80", effective_from=date(2041, 4, 1))
