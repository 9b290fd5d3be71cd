"""The migration chain and the SQLModel tables describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import opex_app.models  # noqa: F401  (registers the tables)
from opex_app.db import get_engine


def test_models_match_the_migrated_database(database_url: str) -> None:
    with get_engine().connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_actual_references_are_checked_per_statement_both_ways(session) -> None:
    """Migration 0005: no dangling reference can be written, and no referred row deleted."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from opex_app.domain.fiscal import FiscalYear
    from opex_app.services.fiscal_years import ensure_fiscal_year

    fy = ensure_fiscal_year(session, FiscalYear(2071)).id
    insert = (
        "INSERT INTO actual (fiscal_year_id, budget_line_id, invoice_number, invoice_date, fiscal_month, "
        "currency_code, amount, amount_base, created_by) "
        "VALUES (:fy, :line, 'REF-1', '2070-05-01', 2, 'INR', 1, 1, 't')"
    )
    with pytest.raises(DBAPIError, match="does not exist"), session.begin_nested():
        session.execute(text(insert), {"fy": fy, "line": 987654321})
    line = session.execute(
        text(
            "INSERT INTO budget_line (fiscal_year_id, uid, version, created_by) "
            "VALUES (:fy, 'REF-L', 1, 't') RETURNING id"
        ),
        {"fy": fy},
    ).scalar_one()
    session.execute(text(insert), {"fy": fy, "line": line})
    with pytest.raises(DBAPIError, match="cannot be deleted"), session.begin_nested():
        session.execute(text("DELETE FROM budget_line WHERE id = :id"), {"id": line})
