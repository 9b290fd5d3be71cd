"""The read API (/api/v1) for Power BI and Excel Power Query: the dashboard summary and the variance report.

A request carries a personal API token (`Authorization: Bearer opex_...`, created on the profile page); it
acts as its user, with the permission checks of the UI. The figures come from the same service functions
the pages use (`services.dashboard.dashboard` and `.variance`, cached by data version, read from the replica
when DATABASE_REPLICA_URL names one that is not behind; the token lookup, which records its use, goes to the
primary); money is sent
as exact decimal strings ("1234.50"), never floats. Nothing a caller sends is silently ignored: an unknown
or repeated parameter is a 400 naming it. Blocking database work runs in a thread, off the event loop.

Status codes: 401 no, unknown or revoked token; 403 the user's role may not view dashboards; 400 a bad
parameter; 404 a fiscal year that does not exist. Errors are JSON: {"error": code, "message": sentence}.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from opex_app.auth.permissions import Permission, PermissionDenied, Principal, require
from opex_app.domain.analytics import (
    FILTER_DIMENSIONS,
    FILTER_LABELS,
    LEVEL_NAMES,
    REPORT_COLUMNS,
    Filters,
    Level,
    Period,
    parse_period,
)
from opex_app.domain.fiscal import FiscalYear, parse_fiscal_year
from opex_app.services import api_tokens
from opex_app.services.analytics import VARIANCE_COLUMNS
from opex_app.services.audit import jsonable
from opex_app.services.errors import NotFound, ServiceError
from opex_app.settings import get_settings

PREFIX = "/api/v1"
NO_STORE = {"Cache-Control": "no-store"}
CHALLENGE = 'Bearer realm="opex"'
HOW_TO_AUTHENTICATE = "send a personal API token as 'Authorization: Bearer <token>' (create one on your profile page)"


class ApiError(Exception):
    """A refused request: its status, a short code and one sentence for the caller."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = {**NO_STORE, **(headers or {})}

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.code, "message": self.message}, self.status, headers=self.headers)


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


# --- authentication -----------------------------------------------------------------------------


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", HOW_TO_AUTHENTICATE, {"WWW-Authenticate": CHALLENGE})
    return token.strip()


def _resolve(token: str) -> Principal | None:
    from opex_app.db import transaction  # the token's last use is written: one short transaction

    with transaction() as session:
        return api_tokens.authenticate(session, token)


async def _authorised(request: Request) -> Principal:
    """The token's principal, allowed to view dashboards; ApiError 401/403 otherwise."""
    principal = await asyncio.to_thread(_resolve, _bearer(request))
    if principal is None:
        challenge = f'{CHALLENGE}, error="invalid_token"'
        message = "this API token is unknown or revoked: " + HOW_TO_AUTHENTICATE
        raise ApiError(401, "invalid_token", message, {"WWW-Authenticate": challenge})
    try:
        return require(principal, Permission.VIEW_DASHBOARDS)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from None


# --- parameters ---------------------------------------------------------------------------------


def _params(request: Request, allowed: Sequence[str]) -> dict[str, str]:
    """The query parameters, refusing unknown and repeated ones by name."""
    query = request.query_params
    unknown = sorted(set(query.keys()) - set(allowed))
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise _bad(f"unknown parameter {names} (this endpoint takes: {', '.join(allowed)})")
    repeated = [name for name in allowed if len(query.getlist(name)) > 1]
    if repeated:
        raise _bad(f"parameter '{repeated[0]}' is given more than once")
    return {name: query[name] for name in allowed if name in query}


def _fiscal_year(params: Mapping[str, str]) -> FiscalYear:
    text = params.get("fy", "").strip()
    if not text:
        raise _bad("parameter 'fy' is required, e.g. fy=FY27")
    try:
        return parse_fiscal_year(text, get_settings().fy_start_month)
    except ValueError as exc:
        raise _bad(f"fy: {exc}") from None


def _as_of(params: Mapping[str, str]) -> date:
    text = params.get("as_of", "").strip()
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(f"as_of: '{text}' is not a date (expected YYYY-MM-DD, e.g. 2026-09-30)") from None


def _level(params: Mapping[str, str]) -> Level:
    text = params.get("level", "tower").strip().lower()
    if text not in LEVEL_NAMES:
        raise _bad(f"level: '{params.get('level')}' is not a level (expected one of: {', '.join(LEVEL_NAMES)})")
    return LEVEL_NAMES[text]


def _period(params: Mapping[str, str], fy: FiscalYear) -> Period:
    try:
        return parse_period(params.get("period", "fy"), fy)
    except ValueError as exc:
        raise _bad(f"period: {exc}") from None


# --- endpoints ----------------------------------------------------------------------------------

SUMMARY_PARAMS = ("fy", *FILTER_DIMENSIONS, "as_of")
VARIANCE_PARAMS = ("fy", "level", "period", "as_of")


@dataclass(frozen=True)
class SummaryQuery:
    fy: FiscalYear
    filters: Filters
    as_of: date


@dataclass(frozen=True)
class VarianceQuery:
    fy: FiscalYear
    level: Level
    period: Period
    as_of: date


def _summary_query(params: Mapping[str, str]) -> SummaryQuery:
    return SummaryQuery(_fiscal_year(params), Filters.from_params(params), _as_of(params))


def _variance_query(params: Mapping[str, str]) -> VarianceQuery:
    fy = _fiscal_year(params)
    return VarianceQuery(fy, _level(params), _period(params, fy), _as_of(params))


def summary_payload(principal: Principal, query: SummaryQuery) -> dict[str, Any]:
    """The dashboard's figures for one FY and filter, as the dashboard page computes them."""
    from opex_app.services import dashboard

    result = dashboard.dashboard(principal, fy=query.fy, filters=query.filters, as_of=query.as_of)
    return dashboard.to_json(result)


def variance_payload(principal: Principal, query: VarianceQuery) -> dict[str, Any]:
    """The variance report of one level, as the page and the export show it: member rows, then the total row.

    Read through `services.dashboard.variance`, the variance page's own cached use case."""
    from opex_app.services import dashboard

    result = dashboard.variance(principal, fy=query.fy, levels=[query.level], period=query.period, as_of=query.as_of)
    rows = result.reports[query.level].iter_rows(named=True)
    return {
        "fy": query.fy.name,
        "as_of": query.as_of.isoformat(),
        "version": result.version,
        "currency": get_settings().base_currency,
        "level": query.level,
        "period": query.period.label(query.fy),
        "columns": list(VARIANCE_COLUMNS),
        "rows": [{name: jsonable(value) for name, value in row.items()} for row in rows],
    }


async def _serve(
    request: Request,
    allowed: Sequence[str],
    parse: Callable[[Mapping[str, str]], Any],
    compute: Callable[[Principal, Any], dict[str, Any]],
) -> Response:
    """Authenticate, check the permission, read the parameters, compute in a thread: the one request path."""
    try:
        principal = await _authorised(request)
        query = parse(_params(request, allowed))
        payload = await asyncio.to_thread(compute, principal, query)
    except ApiError as exc:
        return exc.response()
    except PermissionDenied as exc:  # the service's own check
        return ApiError(403, "forbidden", str(exc)).response()
    except NotFound as exc:
        return ApiError(404, "not_found", str(exc)).response()
    except ServiceError as exc:
        return _bad(str(exc)).response()
    return JSONResponse(payload, headers=NO_STORE)


async def summary(request: Request) -> Response:
    return await _serve(request, SUMMARY_PARAMS, _summary_query, summary_payload)


async def variance(request: Request) -> Response:
    return await _serve(request, VARIANCE_PARAMS, _variance_query, variance_payload)


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_spec(), headers=NO_STORE)


ROUTES = [
    Route("/summary", summary, methods=["GET"]),
    Route("/variance", variance, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]


# --- OpenAPI description ------------------------------------------------------------------------

API_DESCRIPTION = (
    "Read-only figures of OPEX Manager for Power BI, Excel Power Query and scripts: the dashboard summary and the "
    "variance report, the same figures the pages show. Authenticate with a personal API token from your profile "
    "page. Amounts are in base currency, as exact decimal strings. Unknown or repeated parameters are refused (400)."
)
_MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "base-currency amount, exact decimal"}
_PERCENT = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$", "description": "null when the budget is 0"}


def _query_param(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _parameters(names: Sequence[str]) -> list[dict[str, Any]]:
    """The OpenAPI parameters of an endpoint, in the order the endpoint declares it takes them."""
    described = {
        "fy": _query_param("fy", "fiscal year, e.g. FY27 (Apr 2026 - Mar 2027 with an April start)", required=True),
        "as_of": _query_param("as_of", "the date the figures stand at (default today)", format="date"),
        "level": _query_param("level", "rows: one per member of this level", enum=list(LEVEL_NAMES), default="tower"),
        "period": _query_param("period", "fy, ytd, q1..q4 or a month of the FY such as Apr-26", default="fy"),
        **{name: _query_param(name, f"{FILTER_LABELS[name]} name, exactly as stored") for name in FILTER_DIMENSIONS},
    }
    return [described[name] for name in names]


def _errors() -> dict[str, Any]:
    def ref(description: str) -> dict[str, Any]:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        return {"description": description, "content": content}

    return {
        "400": ref("a parameter is unknown, repeated or malformed; the message names it"),
        "401": ref("no token, or an unknown or revoked one"),
        "403": ref("the token's user may not view dashboards"),
        "404": ref("the fiscal year does not exist"),
    }


def _operation(summary: str, description: str, params: list[dict[str, Any]], schema: str) -> dict[str, Any]:
    ok = {"description": "the figures", "content": {"application/json": {"schema": {"$ref": schema}}}}
    return {
        "get": {
            "summary": summary,
            "description": description,
            "security": [{"bearerToken": []}],
            "parameters": params,
            "responses": {"200": ok, **_errors()},
        }
    }


def _variance_row_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "row": {"type": "string", "enum": ["member", "subtotal", "total"]},
        "group": {"type": ["string", "null"]},
        "member": {"type": ["string", "null"], "description": "the member's name (a UID at line level)"},
    }
    for column in REPORT_COLUMNS:
        properties.setdefault(column, _PERCENT if column == "variance_pct" else _MONEY)
    properties |= {
        "flagged": {"type": "boolean", "description": "|variance| over both thresholds (member rows only)"},
        "comment": {"type": ["string", "null"], "description": "the analyst's variance comment"},
        "comment_by": {"type": ["string", "null"], "description": "who wrote the comment"},
        "comment_at": {"type": ["string", "null"], "format": "date-time", "description": "when (UTC)"},
    }
    return {"type": "object", "required": list(VARIANCE_COLUMNS), "properties": properties}


_HEAD = ["fy", "as_of", "version", "currency"]  # what every figures answer starts with


def _head_properties() -> dict[str, Any]:
    return {
        "fy": {"type": "string", "example": "FY27"},
        "as_of": {"type": "string", "format": "date"},
        "version": {"type": "integer", "description": "the data version the figures were read at"},
        "currency": {"type": "string", "example": "INR"},
    }


def _table(description: str) -> dict[str, Any]:
    row = {"type": "object", "additionalProperties": {"type": ["string", "integer", "null"]}}
    return {"type": "array", "description": f"{description}; money as exact decimal strings", "items": row}


def _schemas() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        },
        "Summary": {
            "type": "object",
            "description": "the dashboard's figures for one fiscal year, filter and as-of date",
            "required": [*_HEAD, "as_of_month", "filters", "kpis", "by_tower", "by_month", "top_vendors", "heatmap"],
            "properties": {
                **_head_properties(),
                "as_of_month": {"type": "integer", "description": "fiscal month of as_of: 0 before the FY, 13 after"},
                "filters": {"type": "object", "additionalProperties": {"type": "string"}},
                "kpis": {
                    "type": "object",
                    "description": "budget, committed, actual, available, utilisation %, outturn and its variance",
                    "additionalProperties": {"type": ["string", "null"]},
                },
                "by_tower": _table("budget, committed and actual per tower"),
                "by_month": _table("cumulative budget, actual and committed per fiscal month"),
                "top_vendors": _table("the ten vendors with the largest actual"),
                "heatmap": _table("utilisation per tower and fiscal month"),
            },
        },
        "VarianceRow": _variance_row_schema(),
        "VarianceReport": {
            "type": "object",
            "required": [*_HEAD, "level", "period", "columns", "rows"],
            "properties": {
                **_head_properties(),
                "level": {"type": "string", "enum": sorted(set(LEVEL_NAMES.values()))},
                "period": {"type": "string", "example": "Q1 FY27"},
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"$ref": "#/components/schemas/VarianceRow"}},
            },
        },
    }


def openapi_spec() -> dict[str, Any]:
    """OpenAPI 3.1 description of the read API, built from the same constants the routes check."""
    summary_op = _operation(
        "Dashboard summary",
        "Budget, committed, actual, available, utilisation and forecast outturn, in base currency.",
        _parameters(SUMMARY_PARAMS),
        "#/components/schemas/Summary",
    )
    variance_op = _operation(
        "Variance report",
        "One row per member of the level, then a total row; outturn columns cover the whole FY.",
        _parameters(VARIANCE_PARAMS),
        "#/components/schemas/VarianceReport",
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "OPEX Manager read API", "version": "1", "description": API_DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": {f"{PREFIX}/summary": summary_op, f"{PREFIX}/variance": variance_op},
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a personal API token from the profile page",
                }
            },
            "schemas": _schemas(),
        },
    }
