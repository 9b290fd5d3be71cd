from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.models import AuditEvent, FxRate
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fx import list_rates, rate_on, rates_on, set_rate


def _rows(session: Session, code: str) -> list[FxRate]:
    return list(session.exec(select(FxRate).where(FxRate.currency_code == code).order_by(col(FxRate.id))))


def test_rates_have_history_and_the_base_currency_is_one(session: Session) -> None:
    admin = cli_principal()
    set_rate(session, admin, currency="chf", rate="95.5", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="CHF", rate=Decimal("97.25"), effective_from=date(2041, 10, 1))
    assert rate_on(session, "CHF", date(2041, 9, 30)) == Decimal("95.500000")
    assert rate_on(session, "CHF", date(2041, 10, 1)) == Decimal("97.250000")
    assert rate_on(session, "INR", date(1990, 1, 1)) == Decimal(1)
    with pytest.raises(NotFound):
        rate_on(session, "CHF", date(2041, 3, 31))


def test_a_correction_is_a_new_row_audited_with_the_rate_it_replaces(session: Session) -> None:
    first = set_rate(session, cli_principal(), currency="SEK", rate="7.9", effective_from=date(2041, 4, 1))
    second = set_rate(session, cli_principal(), currency="sek", rate="8.1", effective_from=date(2041, 4, 1))
    assert second.id != first.id
    rows = _rows(session, "SEK")
    assert [(r.effective_from, r.rate_to_base) for r in rows] == [
        (date(2041, 4, 1), Decimal("7.900000")),  # kept, never overwritten
        (date(2041, 4, 1), Decimal("8.100000")),
    ]
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "fx_rate", col(AuditEvent.entity_id).in_([str(first.id), str(second.id)]))
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.entity_id, e.action) for e in events] == [(str(first.id), "create"), (str(second.id), "correct")]
    assert events[0].changes["rate_to_base"] == [None, "7.900000"]
    assert events[1].changes["rate_to_base"] == ["7.900000", "8.100000"]
    assert events[1].changes["in_force_id"] == [first.id, second.id]
    assert rate_on(session, "SEK", date(2041, 4, 1)) == Decimal("8.1")


def test_rate_on_takes_the_latest_row_of_the_latest_date(session: Session) -> None:
    admin = cli_principal()
    set_rate(session, admin, currency="NOK", rate="8.0", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="NOK", rate="9.0", effective_from=date(2041, 7, 1))
    set_rate(session, admin, currency="NOK", rate="9.5", effective_from=date(2041, 7, 1))  # corrects 9.0
    set_rate(session, admin, currency="NOK", rate="8.2", effective_from=date(2041, 4, 1))  # corrects 8.0, later id
    assert rate_on(session, "NOK", date(2041, 6, 30)) == Decimal("8.2")
    assert rate_on(session, "nok", date(2041, 7, 1)) == Decimal("9.5")
    assert rate_on(session, "NOK", date(2045, 1, 1)) == Decimal("9.5")


def test_a_missing_rate_names_the_currency_and_the_date(session: Session) -> None:
    set_rate(session, cli_principal(), currency="DKK", rate="12", effective_from=date(2041, 4, 1))
    with pytest.raises(NotFound) as refused:
        rate_on(session, "DKK", date(2041, 3, 31))
    assert "DKK" in str(refused.value) and "2041-03-31" in str(refused.value)
    with pytest.raises(NotFound, match=r"PLN.*2041-05-01"):  # a currency without any rate: never 1.0
        rate_on(session, "PLN", date(2041, 5, 1))


def test_rates_on_looks_up_many_pairs_at_once(session: Session) -> None:
    admin = cli_principal()
    set_rate(session, admin, currency="CZK", rate="3.5", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="HUF", rate="0.23", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="HUF", rate="0.24", effective_from=date(2041, 4, 1))
    pairs = [
        ("CZK", date(2041, 4, 1)),
        ("czk", date(2041, 12, 31)),
        ("HUF", date(2041, 5, 1)),
        ("HUF", date(2041, 3, 31)),
        ("INR", date(2041, 5, 1)),
        ("RON", date(2041, 5, 1)),
    ]
    found = rates_on(session, [*pairs, pairs[0]])  # repeats are fine
    assert found == {
        ("CZK", date(2041, 4, 1)): Decimal("3.5"),
        ("czk", date(2041, 12, 31)): Decimal("3.5"),
        ("HUF", date(2041, 5, 1)): Decimal("0.24"),
        ("HUF", date(2041, 3, 31)): None,
        ("INR", date(2041, 5, 1)): Decimal(1),
        ("RON", date(2041, 5, 1)): None,
    }
    assert rates_on(session, []) == {}
    # the same answers as the one-pair lookup
    for (code, day), value in found.items():
        if value is not None:
            assert rate_on(session, code, day) == value


def test_list_rates_shows_the_rate_in_force_and_the_history_newest_first(session: Session, viewer) -> None:
    admin = cli_principal()
    set_rate(session, admin, currency="ISK", rate="0.6", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="ISK", rate="0.61", effective_from=date(2041, 4, 1))
    set_rate(session, admin, currency="ISK", rate="0.65", effective_from=date(2041, 10, 1))
    listing = list_rates(session, viewer, "isk", as_of=date(2041, 6, 1))
    isk = next(c for c in listing.current if c.currency == "ISK")
    assert isk.rate is not None and isk.rate.rate == Decimal("0.61") and isk.next_from == date(2041, 10, 1)
    assert isk.rate.rate == rate_on(session, "ISK", date(2041, 6, 1))  # the same row the one lookup takes
    assert [(r.effective_from, r.rate, r.corrected) for r in listing.history] == [
        (date(2041, 10, 1), Decimal("0.65"), False),
        (date(2041, 4, 1), Decimal("0.61"), False),
        (date(2041, 4, 1), Decimal("0.6"), True),
    ]
    assert all(r.created_by == admin.actor and r.created_at is not None for r in listing.history)
    before = list_rates(session, viewer, as_of=date(2041, 3, 1))
    early = next(c for c in before.current if c.currency == "ISK")
    assert early.rate is None and early.next_from == date(2041, 4, 1)  # only later rates: none in force
    with pytest.raises(ServiceError, match="unknown currency"):
        list_rates(session, viewer, "XXQ")


def test_bad_rates_are_refused(session: Session, viewer) -> None:
    admin = cli_principal()
    count = session.exec(select(func.count()).select_from(FxRate)).one()
    with pytest.raises(ServiceError, match="base currency"):
        set_rate(session, admin, currency="INR", rate="2", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="greater than zero"):
        set_rate(session, admin, currency="USD", rate="0", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="greater than zero"):
        set_rate(session, admin, currency="USD", rate="-1", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="unknown currency"):
        set_rate(session, admin, currency="XXQ", rate="1", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="not a rate"):
        set_rate(session, admin, currency="USD", rate="abc", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="not a rate"):
        set_rate(session, admin, currency="USD", rate="NaN", effective_from=date(2041, 4, 1))
    with pytest.raises(ServiceError, match="too large"):
        set_rate(session, admin, currency="USD", rate="1000000000000", effective_from=date(2041, 4, 1))
    with pytest.raises(PermissionDenied):
        set_rate(session, viewer, currency="USD", rate="80", effective_from=date(2041, 4, 1))
    assert session.exec(select(func.count()).select_from(FxRate)).one() == count
