"""Committed business data of FY36 for the security tests of tests/state: a line, a submitted PO, an
unlinked invoice and a second user, so that every handler can be called with the ids of real rows; plus a
fingerprint of the whole test database, to prove that a refused event wrote nothing.

The fingerprint covers every table of the run's own database (a fresh one per run, see tests/conftest.py);
tests run one after another, so nothing else writes between the two fingerprints a test compares.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from opex_app.auth.permissions import RoleName, cli_principal
from opex_app.db import read_session, transaction
from opex_app.domain.fiscal import FiscalYear

FY36 = FiscalYear(2036)  # Apr 2035 - Mar 2036: this helper's own fiscal year
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Seeded:
    tag: str
    fy_name: str
    line_id: int
    line_uid: str
    po_id: int
    po_number: str
    po_version: int
    actual_id: int
    user_id: int
    tower_id: int
    tower: str
    vendor: str


def seed_fy36() -> Seeded:
    from opex_app.models import Actual, AppUser
    from opex_app.services.fiscal_years import ensure_fiscal_year
    from opex_app.services.masters import create_missing, name_index
    from opex_app.services.purchase_orders import PoInput, PoLineInput, create_po, submit_po
    from opex_app.services.sessions import principal_of
    from opex_app.services.users import create_user
    from tests.services.lines import add_line

    tag = uuid.uuid4().hex[:6]
    tower, vendor, entity = f"Sec Tower {tag}", f"Sec Vendor {tag}", f"Sec Entity {tag}"
    cli = cli_principal()
    with transaction() as session:
        fy = ensure_fiscal_year(session, FY36)
        create_missing(session, cli, "tower", [tower])
        create_missing(session, cli, "vendor", [vendor])
        create_missing(session, cli, "entity", [entity])
        line = add_line(session, fy, f"SEC-{tag}-1", {1: "1000.00", 2: "1000.00"}, tower=tower, vendor=vendor)
        analyst = create_user(
            session, cli, email=f"sec-analyst-{tag}@example.com", role=RoleName.ANALYST, password=PASSWORD
        )
        analyst_principal = principal_of(session, session.get(AppUser, analyst.user_id))
        po = create_po(
            session,
            analyst_principal,
            data=PoInput(
                po_number=f"SEC-PO-{tag}",
                po_date=date(2035, 6, 1),
                vendor=vendor,
                entity=entity,
                currency="INR",
                value="500.00",
                lines=[PoLineInput(uid=line.uid, amount="500.00")],
            ),
        )
        assert po.id is not None
        po = submit_po(session, analyst_principal, po.id, expected_version=po.version)
        actual = Actual(
            fiscal_year_id=fy.id,
            budget_line_id=None,
            vendor_id=name_index(session, "vendor")[vendor.casefold()],
            invoice_number=f"SEC-INV-{tag}",
            invoice_date=date(2035, 7, 1),
            fiscal_month=4,
            currency_code="INR",
            amount=Decimal("100.00"),
            amount_base=Decimal("100.00"),
            created_by="seed",
        )
        session.add(actual)
        session.flush()
        assert line.id is not None and actual.id is not None and po.id is not None
        tower_row = session.execute(text("SELECT id FROM tower WHERE name = :n"), {"n": tower}).one()
        seeded = Seeded(
            tag=tag,
            fy_name=FY36.name,
            line_id=line.id,
            line_uid=line.uid,
            po_id=po.id,
            po_number=po.po_number,
            po_version=po.version,
            actual_id=actual.id,
            user_id=analyst.user_id,
            tower_id=int(tower_row[0]),
            tower=tower,
            vendor=vendor,
        )
    return seeded


def database_fingerprint() -> dict[str, str]:
    """Per table of the public schema: its row count and a digest of all its rows (order-independent)."""
    with read_session() as session:
        tables = session.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        ).scalars()
        found = {}
        digest = "count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), ''))"
        for table in list(tables):  # names from pg_tables, quoted
            row = session.execute(text(f'SELECT {digest} FROM "{table}" t')).one()
            found[table] = f"{row[0]}:{row[1]}"
    return found


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
