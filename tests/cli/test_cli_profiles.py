"""`profiles list|rename|delete` as scripts use them: one line per profile, exit codes, audited as the CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlmodel import col, delete, select

from opex_app.auth.permissions import cli_principal
from opex_app.db import read_session, transaction
from opex_app.models import AuditEvent, MappingProfile
from opex_app.services.mapping_profiles import save_profile


@pytest.fixture()
def tag(database_url: str) -> Iterator[str]:
    """A prefix for the names of this test's profiles, which are committed (the CLI runs in another process)
    and deleted again at the end."""
    prefix = f"cli-{uuid.uuid4().hex[:6]}"
    yield prefix
    with transaction() as session:
        session.exec(delete(MappingProfile).where(col(MappingProfile.name).startswith(prefix)))  # type: ignore[call-overload]


def _lines(stdout: str, tag: str) -> list[str]:
    return [line for line in stdout.splitlines() if tag in line]


def test_list_prints_one_line_per_profile(run_cli, tag: str) -> None:
    with transaction() as session:
        save_profile(
            session,
            cli_principal(),
            kind="pos",
            name=f"{tag} Globex",
            mapping={"PO No": "po_number", "Cost\nCentre": "cost_centre"},
        )
        save_profile(session, cli_principal(), kind="budget", name=f"{tag} acme", mapping={"Cost ID": "uid"})
        save_profile(session, cli_principal(), kind="budget", name=f"{tag} Beta", mapping={"Line": "uid"})

    pos = run_cli("profiles", "list", "--kind", "POS")
    assert pos.returncode == 0, pos.stderr
    assert _lines(pos.stdout, tag) == [f"pos\t{tag} Globex\tCost Centre=cost_centre\tPO No=po_number"]

    every = run_cli("profiles", "list")
    assert every.returncode == 0, every.stderr
    assert _lines(every.stdout, tag) == [
        f"budget\t{tag} acme\tCost ID=uid",
        f"budget\t{tag} Beta\tLine=uid",
        f"pos\t{tag} Globex\tCost Centre=cost_centre\tPO No=po_number",
    ]


def test_rename_and_delete_are_audited_as_the_cli(run_cli, tag: str) -> None:
    with transaction() as session:
        acme = save_profile(session, cli_principal(), kind="actuals", name=f"{tag} Acme", mapping={"Inv": "invoice"})
        save_profile(session, cli_principal(), kind="actuals", name=f"{tag} Taken", mapping={"Bill": "invoice"})

    renamed = run_cli("profiles", "rename", "actuals", f"{tag} ACME", f"{tag} Acme ledger")
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.stdout.strip() == f"renamed actuals mapping profile '{tag} Acme' to '{tag} Acme ledger'"
    listed = run_cli("profiles", "list", "--kind", "actuals")
    assert _lines(listed.stdout, tag) == [
        f"actuals\t{tag} Acme ledger\tInv=invoice",
        f"actuals\t{tag} Taken\tBill=invoice",
    ]

    clash = run_cli("profiles", "rename", "actuals", f"{tag} Acme ledger", f"{tag} taken")
    assert clash.returncode == 1
    assert clash.stderr.strip() == f"error: Another actuals mapping profile is already named '{tag} Taken'."

    deleted = run_cli("profiles", "delete", "Actuals", f"{tag}   acme LEDGER")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"deleted actuals mapping profile '{tag} Acme ledger'"
    assert _lines(run_cli("profiles", "list", "--kind", "actuals").stdout, tag) == [
        f"actuals\t{tag} Taken\tBill=invoice"
    ]

    with read_session() as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "mapping_profile", AuditEvent.entity_id == str(acme.id))
            .order_by(col(AuditEvent.id))
        ).all()
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert all(e.actor.startswith("cli:") for e in events)
    assert events[1].changes == {"name": [f"{tag} Acme", f"{tag} Acme ledger"]}
    assert events[2].changes == {
        "kind": ["actuals", None],
        "name": [f"{tag} Acme ledger", None],
        "mapping": [{"Inv": "invoice"}, None],
    }


def test_missing_profiles_and_unknown_kinds_fail_in_one_line(run_cli, tag: str) -> None:
    missing = run_cli("profiles", "delete", "fx", f"{tag} nothing")
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: no fx mapping profile named '{tag} nothing'"
    again = run_cli("profiles", "rename", "budget", f"{tag} nothing", f"{tag} other")
    assert again.returncode == 1 and "no budget mapping profile named" in again.stderr

    for args in (["list", "--kind", "invoices"], ["rename", "invoices", "a", "b"], ["delete", "invoices", "a"]):
        bad = run_cli("profiles", *args)
        assert bad.returncode == 2, bad.stderr
        assert bad.stderr.strip() == (
            "error: unknown import kind 'invoices' (expected one of: budget, pos, actuals, fx)"
        )
    assert run_cli("profiles").returncode == 2
    for args in (["profiles"], ["profiles", "list"], ["profiles", "rename"], ["profiles", "delete"]):
        shown = run_cli(*args, "--help")
        assert shown.returncode == 0 and "usage:" in shown.stdout
