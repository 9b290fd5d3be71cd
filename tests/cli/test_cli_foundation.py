import uuid

from sqlmodel import func, select

from opex_app.db import read_session
from opex_app.models import AppUser, AuditEvent, BudgetLine, Currency, FiscalYearRow, PurchaseOrder


def test_help_everywhere(run_cli) -> None:
    for args in ([], ["db"], ["create-user"], ["demo-data"]):
        result = run_cli(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage:" in result.stdout


def test_db_upgrade_is_idempotent_and_seeds_currencies(run_cli) -> None:
    result = run_cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    with read_session() as session:
        codes = set(session.exec(select(Currency.code)))
    assert {"INR", "USD", "EUR", "GBP", "JPY"} <= codes


def test_create_user_generated_and_stdin_passwords(run_cli) -> None:
    email = f"ops-{uuid.uuid4().hex[:6]}@Example.com"
    result = run_cli("create-user", email, "--role", "APPROVER")
    assert result.returncode == 0, result.stderr
    assert "password: " in result.stdout
    again = run_cli("create-user", email.lower(), "--role", "viewer")
    assert again.returncode == 1
    assert again.stderr.strip().startswith("error:") and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    other = f"ops2-{uuid.uuid4().hex[:6]}@example.com"
    piped = run_cli("create-user", other, "--role", "analyst", "--password-stdin", stdin="a long enough secret\n")
    assert piped.returncode == 0 and "password:" not in piped.stdout
    with read_session() as session:
        user = session.exec(select(AppUser).where(AppUser.email == other)).one()
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "app_user", AuditEvent.entity_id == str(user.id))
        ).one()
    assert event.actor.startswith("cli:")


def test_usage_errors_exit_2_in_one_line(run_cli) -> None:
    bad_role = run_cli("create-user", "x@example.com", "--role", "overlord")
    assert bad_role.returncode == 2
    assert "unknown role" in bad_role.stderr and "Traceback" not in bad_role.stderr
    assert run_cli("no-such-command").returncode == 2
    short = run_cli("create-user", "y@example.com", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least" in short.stderr


def test_demo_data_is_idempotent(run_cli, scratch_database_url: str) -> None:
    """Run in a database of its own: demo data commits FX rates and POs that other tests must not see."""
    from sqlmodel import Session, create_engine

    engine = create_engine(scratch_database_url)
    first = run_cli("demo-data", "--fy", "FY27", database=scratch_database_url)
    assert first.returncode == 0, first.stderr
    with Session(engine) as session:
        fy = session.exec(select(FiscalYearRow).where(FiscalYearRow.name == "FY27")).one()
        lines = session.exec(
            select(func.count()).select_from(BudgetLine).where(BudgetLine.fiscal_year_id == fy.id)
        ).one()
        statuses = set(session.exec(select(PurchaseOrder.status).where(PurchaseOrder.fiscal_year_id == fy.id)))
        towers = session.exec(select(func.count(func.distinct(BudgetLine.tower_id)))).one()
    assert 250 <= lines <= 350
    assert statuses == {"draft", "submitted", "approved", "rejected", "closed", "cancelled"}
    assert 6 <= towers <= 8
    second = run_cli("demo-data", "--fy", "FY27", database=scratch_database_url)
    assert second.returncode == 0 and "nothing changed" in second.stdout
    with Session(engine) as session:
        again = session.exec(
            select(func.count()).select_from(BudgetLine).where(BudgetLine.fiscal_year_id == fy.id)
        ).one()
    assert again == lines
    engine.dispose()


def test_cli_and_services_do_not_import_reflex(run_cli) -> None:
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, opex_app.cli, opex_app.cli_budget, opex_app.services\n"
        "for m in pkgutil.iter_modules(opex_app.services.__path__):\n"
        "    importlib.import_module('opex_app.services.' + m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'reflex' or n.startswith('reflex.'))\n"
        "print(len(bad)); assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
