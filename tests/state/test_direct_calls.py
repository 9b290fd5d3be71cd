"""Every event handler of every State class, called directly (as a crafted websocket event would call it, no
page, no hidden button), refuses a user whose role lacks its permission and nobody logged in: it sends back
the refusal and nothing else, leaves the state's values as they were, and writes nothing to the database.

The handlers are found by walking the registered State classes, not listed by hand, so a handler added
tomorrow is checked tomorrow. Each is called with plausible arguments: the ids of real FY36 rows, forms that
would add an admin or change a rate, so that a missing guard would show as a change.
"""

from __future__ import annotations

import inspect
import io
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
from reflex_base.event import EventSpec
from starlette.datastructures import UploadFile

from opex_app.auth.permissions import ROLE_PERMISSIONS, Permission, RoleName
from opex_app.state.guard import GUARD_ATTR
from tests.state.principals import act_as, app_states, fresh_state, principal, run_handler, snapshot
from tests.state.security_seed import Seeded, changed_tables, database_fingerprint, seed_fy36
from tests.state.test_guards import PUBLIC

# Who acts in the refusal tests: nobody, and each role without the admin's every permission.
ACTORS = [None, RoleName.VIEWER, RoleName.ANALYST, RoleName.APPROVER]

# What each role must be refused, written down independently of the decorators (which the test also reads):
# lowering a handler's guard to a weaker permission fails here. "Class.*" = every handler of the class.
_ADMIN_WORK = {"UsersState.*", "MastersState.*", "FxState.*", "VarianceState.save_thresholds"}
_AUDIT_WORK = {"AuditState.*", "ImportHistoryState.*", "DownloadState.export_audit"}
_APPROVER_WORK = {"ApprovalsState.*"} | {
    f"PoDetailState.{name}"
    for name in ("approve", "approve_anyway", "close_overrun", "start_reject", "close_reject", "confirm_reject")
}
_ANALYST_WORK = {
    "ImportState.*",
    "ImportProfilesState.*",
    "UnlinkedActualsState.*",
    "PoFormState.*",
    "PoDetailState.ask",
    "PoDetailState.close_confirm",
    "PoDetailState.confirm",
    "BudgetLineState.start_edit",
    "BudgetLineState.cancel_edit",
    "BudgetLineState.save",
    "BudgetLineState.add_note",
    "ActualDetailState.start_edit",
    "ActualDetailState.cancel_edit",
    "ActualDetailState.set_field",
    "ActualDetailState.save",
    "ActualDetailState.add_note",
    "VarianceState.save_comment",
}
MUST_REFUSE: dict[RoleName, set[str]] = {
    RoleName.VIEWER: _ADMIN_WORK | _AUDIT_WORK | _APPROVER_WORK | _ANALYST_WORK,
    RoleName.ANALYST: _ADMIN_WORK | _AUDIT_WORK | _APPROVER_WORK,
    RoleName.APPROVER: _ADMIN_WORK | _ANALYST_WORK,
}


@pytest.fixture(scope="module")
def seeded(database_url: str) -> Seeded:
    return seed_fy36()


def _handlers(cls: type[rx.State]) -> Iterator[tuple[str, Any]]:
    for name, handler in cls.event_handlers.items():
        if name != "setvar":  # Reflex's generic setter: tested on its own below
            yield name, handler.fn


def _form(seeded: Seeded) -> dict[str, Any]:
    """One form that every handler could read what it wants from: what it would do if not refused."""
    return {
        "email": f"intruder-{seeded.tag}@example.com",
        "name": f"Intruder {seeded.tag}",
        "full_name": "Intruder",
        "role": "admin",
        "role_admin": "on",
        "password": "correct horse battery",
        "body": "a note that must not be stored",
        "comment": "approved by nobody",
        "reason": "rejected by nobody",
        "currency": "USD",
        "rate": "99.5",
        "effective_from": "2035-04-01",
        "target_id": str(seeded.tower_id),
        "search": seeded.line_uid,
        "pct": "1",
        "amount": "1",
        "po_number": f"SEC-PO-NEW-{seeded.tag}",
        "description": "changed",
        "m01": "999999",
    }


def plausible(name: str, annotation: Any, seeded: Seeded) -> Any:
    """An argument a real page would send for parameter `name`."""
    by_name: dict[str, Any] = {
        "form": _form(seeded),
        "form_data": _form(seeded),
        "po_id": seeded.po_id,
        "version": seeded.po_version,
        "po_number": seeded.po_number,
        "user_id": seeded.user_id,
        "master_id": seeded.tower_id,
        "actual_id": str(seeded.actual_id),
        "line_id": str(seeded.line_id),
        "po_line_id": "1",
        "batch_id": "1",
        "token_id": "1",
        "profile_id": "1",
        "uid": seeded.line_uid,
        "text": seeded.line_uid,
        "action": "submit",
        "kind": "budget",
        "name": "tower",
        "value": seeded.tower,
        "key": "1",
        "tab": "vendor",
        "dialog": "merge",
        "column": "row",
        "index": "0",
        "currency": "USD",
        "month_label": "Apr-35",
        "chart": "towers",
        "points": [{"customdata": seeded.tower}],
        "params": {"fy": seeded.fy_name},
        "filter_params": {"fy": seeded.fy_name},
        "view_params": {"fy": seeded.fy_name},
        "fy_name": seeded.fy_name,
        "live_id": "direct-call",
        "seen": 0,
        "number": 1,
        "active": False,
        "progress": {"progress": 1.0},
        "files": [UploadFile(io.BytesIO(b"UID,Description\nX,Y\n"), filename="budget.csv")],
    }
    if name in by_name:
        return by_name[name]
    origin = typing.get_origin(annotation) or annotation
    return {str: "x", int: 1, bool: True, dict: {}, list: []}.get(origin, "x")


def _arguments(fn: Any, seeded: Seeded) -> list[Any]:
    hints = typing.get_type_hints(inspect.unwrap(fn), globalns=vars(inspect.getmodule(inspect.unwrap(fn))))
    params = list(inspect.signature(fn).parameters.values())[1:]  # after self
    return [plausible(p.name, hints.get(p.name, p.annotation), seeded) for p in params]


def _is_refusal(sent: list[Any]) -> bool:
    """Exactly the guard's refusal toast went back to the browser (and no redirect, no download, no data)."""
    return len(sent) == 1 and isinstance(sent[0], EventSpec) and '"permission-denied"' in str(sent[0])


def _refused_for(role: RoleName | None, permission: Permission) -> bool:
    return role is None or permission not in ROLE_PERMISSIONS[role]


def test_the_walk_finds_the_pages_handlers() -> None:
    names = {f"{cls.__name__}.{name}" for cls in app_states() for name, _ in _handlers(cls)}
    for expected in (
        "PoDetailState.approve",
        "ApprovalsState.confirm_reject",
        "UnlinkedActualsState.confirm_link",
        "FxState.add_rate",
        "DashboardState.follow_changes",
        "VarianceState.save_thresholds",
        "ImportState.commit",
        "ImportState.handle_upload",
        "UsersState.add_user",
        "MastersState.merge",
        "DownloadState.export_audit",
    ):
        assert expected in names
    assert len(names) > 120


@pytest.mark.parametrize("role", ACTORS, ids=lambda role: role.value if role else "nobody")
def test_each_handler_called_directly_refuses_who_lacks_its_permission(
    role: RoleName | None, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, principal(role, user_id=None))
    before = database_fingerprint()
    checked, problems = [], []
    for cls in app_states():
        for name, fn in _handlers(cls):
            permission = getattr(fn, GUARD_ATTR, None)
            if permission is None or not _refused_for(role, permission):
                continue
            state = fresh_state(cls)
            values = snapshot(state)
            try:
                sent = run_handler(fn, state, *_arguments(fn, seeded))
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with the others
                problems.append(f"{cls.__name__}.{name} raised {exc!r}")
                continue
            if not _is_refusal(sent):
                problems.append(f"{cls.__name__}.{name} answered {sent!r:.300}")
            if snapshot(state) != values or state.dirty_vars:
                problems.append(f"{cls.__name__}.{name} changed the state: {sorted(state.dirty_vars)}")
            checked.append(f"{cls.__name__}.{name}")
    assert problems == []
    assert changed_tables(before, database_fingerprint()) == []
    if role is None:  # nobody logged in is refused every guarded handler
        assert set(checked) == {name for name, fn in _all_handlers().items() if getattr(fn, GUARD_ATTR, None)}
    else:  # and each role at least what the policy above says
        assert _expand(MUST_REFUSE[role]) - set(checked) == set()


def _all_handlers() -> dict[str, Any]:
    return {f"{cls.__name__}.{name}": fn for cls in app_states() for name, fn in _handlers(cls)}


def _expand(patterns: set[str]) -> set[str]:
    """The handler names the patterns name; a pattern that names nothing is an error (a renamed handler)."""
    names = {name for name in _all_handlers() if name not in PUBLIC}
    found: set[str] = set()
    for pattern in patterns:
        matched = {n for n in names if n.startswith(pattern[:-1])} if pattern.endswith(".*") else names & {pattern}
        assert matched, f"{pattern} names no handler"
        found |= matched
    return found


@pytest.mark.parametrize("role", [None, RoleName.VIEWER], ids=["nobody", "viewer"])
def test_setvar_cannot_reach_around_a_guard(
    role: RoleName | None, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reflex's generic `setvar(name, value)` event calls the state's `set_<name>`: no such setter exists for
    a data var (auto-setters are off), and the `set_*` handlers that do exist are the guarded ones."""
    from reflex_base.config import get_state_auto_setters

    assert get_state_auto_setters() is False
    act_as(monkeypatch, principal(role))
    before = database_fingerprint()
    reached = []
    for cls in app_states():
        foreign = {name for name, h in cls.event_handlers.items() if not h.fn.__module__.startswith("opex_app.")}
        assert foreign <= {"setvar"}, f"{cls.__name__} has framework handlers {foreign}"
        for var in snapshot(fresh_state(cls)):
            state = fresh_state(cls)
            values = snapshot(state)
            setter = getattr(type(state), f"set_{var}", None)
            try:
                sent = run_handler(cls.event_handlers["setvar"].fn, state, var, "tampered")
            except (AttributeError, TypeError):
                sent = None  # no setter: the event fails and sets nothing
            else:
                # setvar drops what the setter returns (the refusal toast), so the proof is the guard on the
                # setter and the unchanged state below
                assert getattr(setter.fn, GUARD_ATTR, None) is not None, f"{cls.__name__}.set_{var} is not guarded"
                assert sent == [None]
                reached.append(f"{cls.__name__}.set_{var}")
            assert snapshot(state) == values, f"{cls.__name__}.setvar({var!r}) changed the state"
    assert changed_tables(before, database_fingerprint()) == []
    assert "MastersState.set_tab" in reached  # a var whose name meets a guarded `set_` handler was tried


def test_who_is_logged_in_cannot_be_set_by_an_event() -> None:
    """No var holds the session (the HttpOnly cookie does, read from the socket's handshake), and the vars that
    show who is logged in have no event that sets them: setvar refuses each."""
    from opex_app.state.base import AppState

    state = fresh_state(AppState)
    assert "session_token" not in AppState.vars
    for var, value in (("session_token", "stolen-token"), ("user_email", "boss@example.com"), ("permissions", ["x"])):
        with pytest.raises(AttributeError):
            run_handler(AppState.event_handlers["setvar"].fn, state, var, value)
    assert (state.user_email, state.permissions) == ("", [])


def test_public_handlers_give_nobody_any_data(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    from opex_app.state.base import AppState
    from opex_app.state.login import LoginState

    act_as(monkeypatch, None)
    before = database_fingerprint()

    shell = fresh_state(AppState)
    [sent] = run_handler(AppState.event_handlers["check_login"].fn, shell)
    assert "/login" in str(sent)
    assert (shell.user_email, shell.permissions, shell.approvals_waiting) == ("", [], 0)

    login = fresh_state(LoginState)
    assert run_handler(LoginState.event_handlers["redirect_if_logged_in"].fn, login) == [None]

    # the form only shows itself busy and hands the credentials to the browser's POST /api/session (the
    # password never crosses the event socket); a refusal comes back as a message, nothing else
    [script] = run_handler(LoginState.event_handlers["submit"].fn, login)
    assert "/api/session" in str(script) and login.busy and login.user_email == ""
    run_handler(LoginState.event_handlers["refused"].fn, login, "Wrong e-mail or password.")
    assert (login.error, login.busy, login.user_email, login.permissions) == (
        "Wrong e-mail or password.",
        False,
        "",
        [],
    )
    assert changed_tables(before, database_fingerprint()) == []


def test_the_real_session_lookup_finds_nobody_in_a_fresh_tab(database_url: str) -> None:
    """Without the patch of `act_as`: a new tab carries no session, so `_principal` is None and every guarded
    handler refuses (the patch above stands for exactly this)."""
    from opex_app.state.budget_grid import BudgetGridState

    state = fresh_state(BudgetGridState)
    assert state._principal() is None
    assert _is_refusal(run_handler(BudgetGridState.event_handlers["load"].fn, state))
    assert state.rows == []
