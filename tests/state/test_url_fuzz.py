"""Property tests of the pages whose view lives in the URL: whatever the address says (random names and values,
unicode, huge or negative numbers, SQL), the page's on_load runs to the end, shows a safe view (a known sort,
a page within the pages there are) and every value reaches PostgreSQL as a bound parameter, never as SQL text.

Each example is a real on_load against the run's database with FY36 data, as an admin (who may read every
page). Example counts are modest: this runs on two shared cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from opex_app.auth.permissions import RoleName
from tests.state.principals import act_as, fresh_state, principal, run_handler
from tests.state.security_seed import Seeded, changed_tables, database_fingerprint, seed_fy36

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "",
    " ",
    "-1",
    "0",
    "1e9",
    "99999999999999999999999",
    "9" * 5000,
    "²",
    "١٢",
    "NaN",
    "FY36",
    "fy 36",
    "FY-36",
    "uid",
    "-total",
    "total",
    "m13",
    "'; DROP TABLE budget_line; --",
    "x' OR '1'='1",
    "%",
    "_",
    "\\",
    "\x00",
    "2035-02-30",
    "31/09/2035",
    "9999-12-31",
    "0001-01-01",
]
KEYS = [
    "fy",
    "tower",
    "budget_head",
    "cost_centre",
    "vendor",
    "entity",
    "search",
    "sort",
    "desc",
    "page",
    "page_size",
    "status",
    "text",
    "level",
    "period",
    "as_of",
    "actor",
    "entity",
    "ref",
    "action",
    "date_from",
    "date_to",
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)
queries = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), values, max_size=8)
# the marker rides in every value, so that a value pasted into SQL text is seen (it must be a parameter)
MARKER = "qz7marker"


@pytest.fixture(scope="module")
def seeded(database_url: str) -> Seeded:
    return seed_fy36()


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL text of every statement the block sends (parameters not included)."""
    from opex_app.db import get_engine

    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _load(cls: type, params: dict[str, str]) -> tuple[Any, list[str]]:
    marked = {key: f"{value}{MARKER}" if key not in {"page", "desc"} else value for key, value in params.items()}
    state = fresh_state(cls, urlencode(marked))
    with sql_statements() as statements:
        sent = run_handler(cls.event_handlers["load"].fn, state)
    assert all(MARKER not in sql for sql in statements), "a URL value was pasted into SQL text"
    assert not any("permission-denied" in str(item) for item in sent)
    return state, statements


def _page_is_sane(state: Any) -> None:
    assert 1 <= state.page_number <= max(1, state.page_count)


@pytest.fixture()
def as_admin(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    act_as(monkeypatch, principal(RoleName.ADMIN))
    return seeded


@EXAMPLES
@given(params=queries)
def test_budget_grid_url(as_admin: Seeded, params: dict[str, str]) -> None:
    from opex_app.services.budget_lines import SORT_KEYS
    from opex_app.state.budget_grid import BudgetGridState

    state, statements = _load(BudgetGridState, params)
    assert state.sort_key in SORT_KEYS
    assert isinstance(state.descending, bool)
    _page_is_sane(state)
    assert len(state.rows) <= 50
    assert statements  # it did query


@EXAMPLES
@given(params=queries)
def test_budget_grid_url_with_this_fy(as_admin: Seeded, params: dict[str, str]) -> None:
    """The same, on an FY that has a line, so sorting and paging really run (no marker in fy)."""
    from opex_app.services.budget_lines import SORT_KEYS
    from opex_app.state.budget_grid import BudgetGridState

    state = fresh_state(BudgetGridState, urlencode({**params, "fy": as_admin.fy_name}))
    with sql_statements() as statements:
        run_handler(BudgetGridState.event_handlers["load"].fn, state)
    assert state.fy == as_admin.fy_name and state.sort_key in SORT_KEYS
    _page_is_sane(state)
    marker_free = {v for v in params.values() if len(v) >= 6 and v.isalnum()}
    assert not any(v in sql for v in marker_free for sql in statements)


@EXAMPLES
@given(params=queries)
def test_po_list_url(as_admin: Seeded, params: dict[str, str]) -> None:
    from opex_app.services.purchase_orders import SORT_KEYS
    from opex_app.state.pos import PoListState

    state, _ = _load(PoListState, params)
    assert state.sort.lstrip("-") in SORT_KEYS
    _page_is_sane(state)


@EXAMPLES
@given(params=queries)
def test_audit_log_url(as_admin: Seeded, params: dict[str, str]) -> None:
    from opex_app.state.audit import AuditState

    state, _ = _load(AuditState, params)
    _page_is_sane(state)
    assert all(len(getattr(state, name)) <= 100 for name in ("actor", "entity", "ref", "action"))


@EXAMPLES
@given(params=queries)
def test_variance_url(as_admin: Seeded, params: dict[str, str]) -> None:
    from opex_app.state.variance import LEVEL_LABELS, VarianceState

    state, _ = _load(VarianceState, params)
    assert state.level in LEVEL_LABELS
    _page_is_sane(state)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=queries)
def test_dashboard_url(as_admin: Seeded, params: dict[str, str]) -> None:
    from opex_app.state.dashboard import DashboardState

    state, _ = _load(DashboardState, params)
    assert state.fy == "" or state.fy in state.fy_names or state.notices


@EXAMPLES
@given(page=values)
def test_page_only_lists(as_admin: Seeded, page: str) -> None:
    """The unlinked-invoices queue and the import history read only `page` from the URL."""
    from opex_app.state.actuals import UnlinkedActualsState
    from opex_app.state.import_history import ImportHistoryState

    for cls in (UnlinkedActualsState, ImportHistoryState):
        state, _ = _load(cls, {"page": page})
        _page_is_sane(state)


def test_the_fuzzed_loads_wrote_nothing(as_admin: Seeded) -> None:
    """Reading a page is a read: a load with a hostile address changes no table."""
    from opex_app.state.budget_grid import BudgetGridState

    before = database_fingerprint()
    _load(BudgetGridState, {"sort": "uid; DELETE FROM budget_line", "fy": as_admin.fy_name, "page": "-3"})
    assert changed_tables(before, database_fingerprint()) == []


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(st.text(max_size=20), st.one_of(st.text(max_size=300), st.integers())))
def test_clean_params_are_short_plain_text(params: dict[str, Any]) -> None:
    from opex_app.domain.url_params import MAX_VALUE_LENGTH, query_params

    for key, value in query_params(params).items():
        for text in (key, value):
            assert len(text) <= MAX_VALUE_LENGTH and not any(ord(c) < 32 or ord(c) == 127 for c in text)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(values, st.integers()))
def test_page_numbers_are_small_whole_numbers(value: Any) -> None:
    from opex_app.domain.url_params import MAX_PAGE, page_number

    number = page_number(value)
    assert 1 <= number <= MAX_PAGE
    if str(value).isascii() and str(value).isdigit() and len(str(value)) <= 9 and int(value) > 0:
        assert number == int(value)


DETAIL_PAGES = ["/budgets/{}", "/pos/{}", "/pos/{}/edit", "/actuals/{}"]
segments = st.one_of(
    st.sampled_from(["0", "-1", "²", "١٢", "2147483648", "99999999999", "9" * 5000, "1e3", " 1", "%00", ".."]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=12),
)


@EXAMPLES
@given(segment=segments)
def test_detail_addresses(as_admin: Seeded, segment: str) -> None:
    """/budgets/<id>, /pos/<id>, /pos/<id>/edit, /actuals/<id> with anything for the id: the page loads and
    says it found nothing (never an id past PostgreSQL's integer, never a digit that is not ASCII)."""
    from opex_app.state.actual_detail import ActualDetailState
    from opex_app.state.budget_line import BudgetLineState
    from opex_app.state.po_detail import PoDetailState
    from opex_app.state.po_form import PoFormState

    for cls, pattern in zip(
        (BudgetLineState, PoDetailState, PoFormState, ActualDetailState), DETAIL_PAGES, strict=True
    ):
        state = fresh_state(cls, route=pattern.format(segment))
        sent = run_handler(cls.event_handlers["load"].fn, state)
        assert not any("permission-denied" in str(item) for item in sent)
