"""The read API (/api/v1) against the real database: token auth, permissions, parameters, figures, OpenAPI.

Commits to the test run's database in FY83 (Apr 2082 - Mar 2083), which no other test writes, INR only,
towers and users with a fresh tag.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import col, delete
from starlette.testclient import TestClient

from opex_app.api import v1
from opex_app.api.routes import api
from opex_app.auth.permissions import Principal, RoleName, cli_principal
from opex_app.domain.analytics import Filters, Period
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import UserRole
from opex_app.services import api_tokens
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.masters import create_missing
from tests.services.lines import add_line

FY83 = FiscalYear(2083)
AS_OF = "2082-05-15"  # fiscal month 2 of FY83: April closed


@dataclass(frozen=True)
class World:
    tower_a: str
    tower_b: str
    viewer: Principal
    viewer_token: str
    roleless_token: str


def _user_with_token(session: Any, role: RoleName, tag: str) -> tuple[Principal, str]:
    from opex_app.models import AppUser
    from opex_app.services.sessions import principal_of
    from opex_app.services.users import create_user

    created = create_user(session, cli_principal(), email=f"api-{role.value}-{tag}@example.com", role=role)
    principal = principal_of(session, session.get(AppUser, created.user_id))
    return principal, api_tokens.create(session, principal, name="tests").token


@pytest.fixture(scope="module")
def world(database_url: str) -> World:
    from opex_app.db import transaction

    tag = uuid.uuid4().hex[:6]
    tower_a, tower_b = f"API-{tag}-A", f"API-{tag}-B"
    with transaction() as session:
        fy = ensure_fiscal_year(session, FY83)
        create_missing(session, cli_principal(), "tower", [tower_a, tower_b])
        add_line(session, fy, f"API-{tag}-1", {1: "100", 2: "200", 3: "300"}, tower=tower_a)
        add_line(session, fy, f"API-{tag}-2", {1: "50"}, tower=tower_b)
        viewer, viewer_token = _user_with_token(session, RoleName.VIEWER, tag)
        roleless, roleless_token = _user_with_token(session, RoleName.VIEWER, tag + "x")
        session.exec(delete(UserRole).where(col(UserRole.user_id) == roleless.user_id))  # type: ignore[call-overload]
    return World(tower_a, tower_b, viewer, viewer_token, roleless_token)


@pytest.fixture()
def client() -> TestClient:
    return TestClient(api)


def _get(client: TestClient, path: str, token: str | None, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1/{path}", params=params, headers=headers)


def _tower_rows(body: dict[str, Any], *towers: str) -> dict[str | None, dict[str, Any]]:
    rows = {r["member"]: r for r in body["rows"] if r["member"] in towers or r["row"] == "total"}
    return rows


# --- authentication and permission --------------------------------------------------------------


@pytest.mark.parametrize("path", ["summary", "variance"])
def test_no_token_is_401_with_a_challenge(client: TestClient, world: World, path: str) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer "}):
        response = client.get(f"/api/v1/{path}", params={"fy": "FY83"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="opex"'
        assert response.headers["cache-control"] == "no-store"
        assert response.json()["error"] == "unauthorized"
        assert "Authorization: Bearer <token>" in response.json()["message"]


def test_an_unknown_or_revoked_token_is_401(client: TestClient, world: World) -> None:
    from opex_app.db import transaction

    unknown = _get(client, "variance", "opex_" + "A" * 43, fy="FY83")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in unknown.headers["www-authenticate"]

    with transaction() as session:
        created = api_tokens.create(session, world.viewer, name=f"to revoke {uuid.uuid4().hex[:6]}")
    assert _get(client, "variance", created.token, fy="FY83").status_code == 200
    with transaction() as session:
        api_tokens.revoke(session, world.viewer, token_id=created.info.id)
    revoked = _get(client, "variance", created.token, fy="FY83")
    assert revoked.status_code == 401
    assert "unknown or revoked" in revoked.json()["message"]


def test_a_user_without_the_permission_is_403(client: TestClient, world: World) -> None:
    for path in ("summary", "variance"):
        response = _get(client, path, world.roleless_token, fy="FY83")
        assert response.status_code == 403
        assert response.json() == {"error": "forbidden", "message": "Your role does not allow this (view dashboards)."}


def test_a_request_notes_the_token_last_use(client: TestClient, world: World) -> None:
    from opex_app.db import read_session, transaction

    with transaction() as session:
        created = api_tokens.create(session, world.viewer, name=f"last use {uuid.uuid4().hex[:6]}")
    assert _get(client, "variance", created.token, fy="FY83").status_code == 200
    with read_session() as session:
        [info] = [t for t in api_tokens.list_tokens(session, world.viewer) if t.id == created.info.id]
    assert info.last_used_at is not None


# --- figures ------------------------------------------------------------------------------------


def test_a_viewer_reads_the_variance_report(client: TestClient, world: World) -> None:
    from opex_app.db import read_session
    from opex_app.services.analytics import variance_report

    response = _get(client, "variance", world.viewer_token, fy="fy83", level="tower", period="Q1", as_of=AS_OF)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["fy"], body["level"], body["period"], body["as_of"]) == ("FY83", "tower", "Q1 FY83", AS_OF)
    assert body["currency"] == "INR" and body["columns"][:4] == ["row", "group", "member", "budget"]
    rows = _tower_rows(body, world.tower_a, world.tower_b)
    # tower A, Q1: 100 + 200 + 300 = 600 budgeted, nothing spent: variance 600 = 100 %. As of May (April closed,
    # no actual: run-rate 0) the remaining months are expected at their budget: outturn 200 + 300 = 500.
    assert rows[world.tower_a] == {
        "row": "member",
        "group": None,
        "member": world.tower_a,
        "budget": "600.00",
        "committed": "0.00",
        "actual": "0.00",
        "available": "600.00",
        "variance": "600.00",
        "variance_pct": "100.00",
        "outturn": "500.00",
        "outturn_variance": "100.00",
        "flagged": False,  # 600 is not over the default 1,00,000
        "comment": None,
        "comment_by": None,
        "comment_at": None,
    }
    assert rows[world.tower_b]["budget"] == "50.00" and rows[world.tower_b]["outturn"] == "0.00"
    assert body["rows"][-1]["row"] == "total"

    # the same figures as the service the page and the export read, to the cent
    with read_session() as session:
        frame = variance_report(
            session, world.viewer, fy=FY83, levels=["tower"], period=Period("quarter", 1), as_of=date(2082, 5, 15)
        )["tower"]
    assert [Decimal(r["budget"]) for r in body["rows"]] == frame["budget"].to_list()
    assert [Decimal(r["outturn"]) for r in body["rows"]] == frame["outturn"].to_list()
    assert [r["member"] for r in body["rows"]] == frame["member"].to_list()


def test_level_names_as_the_cli_spells_them(client: TestClient, world: World) -> None:
    body = _get(client, "variance", world.viewer_token, fy="FY83", level="head").json()
    assert body["level"] == "budget_head" and body["period"] == "FY FY83"  # period defaults to the FY


def test_a_viewer_reads_the_summary(client: TestClient, world: World) -> None:
    from opex_app.services import dashboard

    response = _get(client, "summary", world.viewer_token, fy="FY83", tower=world.tower_a, as_of=AS_OF)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    expected = dashboard.to_json(
        dashboard.dashboard(world.viewer, fy=FY83, filters=Filters(tower=world.tower_a), as_of=date(2082, 5, 15))
    )
    body = response.json()
    assert body == json.loads(json.dumps(expected))
    assert body["filters"] == {"tower": world.tower_a}
    assert body["kpis"]["budget"] == "600.00"  # tower A: 100 + 200 + 300 (hand-computed)
    # the OpenAPI description of the summary names every key the answer has
    assert set(v1.openapi_spec()["components"]["schemas"]["Summary"]["required"]) == set(body)


# --- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("variance", {}, "parameter 'fy' is required, e.g. fy=FY27"),
        ("summary", {"fy": "XY27"}, "fy: 'XY27' is not a fiscal year name (expected e.g. FY27)"),
        ("variance", {"fy": "FY83", "level": "planet"}, "level: 'planet' is not a level (expected one of: line,"),
        ("variance", {"fy": "FY83", "period": "q5"}, "period: 'q5' is not a period of FY83"),
        ("summary", {"fy": "FY83", "as_of": "2082-13-01"}, "as_of: '2082-13-01' is not a date (expected YYYY-MM-DD"),
        ("variance", {"fy": "FY83", "tower": "x"}, "unknown parameter 'tower' (this endpoint takes: fy, level,"),
        ("summary", {"fy": "FY83", "colour": "x"}, "unknown parameter 'colour' (this endpoint takes: fy, tower,"),
    ],
)
def test_bad_parameters_are_400_with_a_precise_message(
    client: TestClient, world: World, path: str, params: dict[str, str], message: str
) -> None:
    response = _get(client, path, world.viewer_token, **params)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert response.json()["message"].startswith(message)


def test_a_repeated_parameter_is_400(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/variance?fy=FY83&level=tower&level=vendor", headers={"Authorization": f"Bearer {world.viewer_token}"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "parameter 'level' is given more than once"


def test_a_fiscal_year_that_does_not_exist_is_404(client: TestClient, world: World) -> None:
    response = _get(client, "variance", world.viewer_token, fy="FY2098")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "there is no fiscal year FY98"}


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_describes_every_route_and_parameter(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a personal API token from the profile page",
    }
    accepted = {"/summary": v1.SUMMARY_PARAMS, "/variance": v1.VARIANCE_PARAMS}
    data_routes = [route.path for route in v1.ROUTES if route.path != "/openapi.json"]
    assert sorted(spec["paths"]) == sorted(v1.PREFIX + path for path in data_routes)
    for path in data_routes:
        operation = spec["paths"][v1.PREFIX + path]["get"]
        assert [p["name"] for p in operation["parameters"]] == list(accepted[path])
        assert operation["security"] == [{"bearerToken": []}]
        assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    row = spec["components"]["schemas"]["VarianceRow"]
    assert set(row["properties"]) == set(row["required"])
