"""The activity log page's handlers, called directly as the browser would: the view comes from the address,
unreadable filters are said and ignored, a viewer is refused, the export is a guarded background task."""

from __future__ import annotations

import importlib
import uuid
from types import SimpleNamespace
from typing import Any

from opex_app.auth.permissions import Principal, RoleName, cli_principal
from opex_app.db import transaction
from opex_app.services import activity, sessions
from opex_app.services.users import create_user
from opex_app.state.guard import GUARD_ATTR
from tests.state.fakes import require_for_token

PASSWORD = "correct horse battery"


class FakeActivityPage:
    def __init__(self, token: str, query: dict[str, str]) -> None:
        from opex_app.state.activity import FILTERS, ActivityState

        importlib.import_module("opex_app.opex_app")
        self.source = ActivityState.source  # the log the shared handlers read (UrlLogMixin)
        self.session_token = token
        self.router = SimpleNamespace(url=SimpleNamespace(query_parameters=query))
        self.rows: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self.page_number, self.page_count, self.total, self.view_key = 1, 1, 0, ""
        for name in FILTERS:
            setattr(self, name, "")

    def _require(self, permission: Any) -> Principal:
        return require_for_token(self.session_token, permission)


def _handler(name: str) -> Any:
    from opex_app.state.activity import ActivityState

    return ActivityState.event_handlers[name].fn


def _token(role: RoleName) -> str:
    email = f"activity-{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    with transaction() as session:
        create_user(session, cli_principal(), email=email, role=role, password=PASSWORD)
        token, _ = sessions.login(session, email=email, password=PASSWORD, ip="192.0.2.44")
    return token


def test_the_page_shows_the_view_its_address_names(database_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    with transaction() as session:
        for n in range(3):
            activity.record(
                session, kind=activity.Kind.EXPORT, actor=f"{tag}@example.com", ip="192.0.2.7", detail=f"{n}.xlsx"
            )
        activity.record(session, kind=activity.Kind.LOGIN_FAILED, actor=f"{tag}@example.com", ip="192.0.2.8")
    page = FakeActivityPage(_token(RoleName.APPROVER), {"user": tag, "kind": "login_failed", "date_to": "soon"})
    _handler("load")(page)
    assert page.warnings == ["'soon' is not a date (YYYY-MM-DD); the date to filter is ignored"]
    assert (page.user, page.kind, page.date_to, page.total) == (tag, "login_failed", "soon", 1)
    [row] = page.rows
    assert (row["actor"], row["kind_label"], row["ip"], row["detail"]) == (
        f"{tag}@example.com",
        "Failed login",
        "192.0.2.8",
        "",
    )

    everything = FakeActivityPage(page.session_token, {"user": tag, "kind": "nonsense"})
    _handler("load")(everything)
    assert everything.kind == "" and everything.total == 4 and len(everything.warnings) == 1
    assert "/admin/activity/?user=" in str(_handler("apply_filter")(everything, {"user": tag, "kind": "export"}))


def test_a_viewer_is_refused_and_sees_nothing(database_url: str) -> None:
    page = FakeActivityPage(_token(RoleName.VIEWER), {})
    refused = _handler("load")(page)
    assert "view audit" in str(refused) and page.rows == [] and page.total == 0


def test_the_export_is_a_guarded_background_task() -> None:
    from opex_app.state.activity import ActivityState

    handler = ActivityState.event_handlers["export"]
    assert handler.is_background and getattr(handler.fn, GUARD_ATTR).value == "view_audit"
