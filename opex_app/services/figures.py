"""The figures model: budget, committed, actual and available per budget line and fiscal month.

Every page, export and API reads these figures from here and nowhere else (a figure computed twice will
disagree one day). The rules live in one SQL text (`_CTES`), parameterised by the base currency, which
stays a bound parameter (so the model is a query function, not a view); the month grain and the total
grain differ only in the last step, and every total is the sum of its months by construction.

Rules (GLOSSARY, issue 7):

- budget: the twelve monthly amounts as entered, in the line's currency (a line without one is in the base
  currency). budget_base = each month × the line's budget rate, rounded to the cent per month (the line
  total is the sum of the rounded months). The budget rate is `fx_rate_on(currency, first day of the
  line's FY, base)`; a line whose currency has none gets NULL budget_base (and available) and is flagged
  `budget_rate_missing`: never 1.0, never silently zero.
- committed (base): for each PO line of an approved PO (draft, submitted, rejected, closed and cancelled
  POs commit nothing, so closing a PO releases what is left), open = max(0, allocated − invoiced), taken
  over the PO line's whole life in the PO's currency. Invoiced sums the actuals linked to the PO line
  (`actual.po_line_id`): their amounts when in the PO's currency, plus the sum of the others' base amounts
  ÷ the PO's rate (one division per PO line, so a sum kept per PO line gives exactly the same).
  open is converted at the PO's rate (`purchase_order.fx_rate`, 1 for the base currency, else the rate on
  the PO date) and rounded to the cent. An invoice above its PO line leaves nothing open (and counts in
  full as actual). A PO line in a foreign currency without any rate commits NULL and is flagged
  `po_rate_missing`.
- committed by month: spread equally over the PO line's service months (service_start..service_end, either
  alone meaning that one month) as fiscal months of the line's FY: each month gets open ÷ n truncated to
  the cent, the last month the rest, so the months add up to open exactly. Without service months it falls
  in the PO date's month. Months outside the FY are clamped to its first or last month (a line's
  commitment is never lost because a service period runs past its FY); no date at all falls in month 1.
- actual (base): the base amounts of the actuals booked to the line (`actual.budget_line_id`), by their
  fiscal month.
- available = budget_base − committed − actual.

As of a date D (`as_of`; None, the default, is no cut-off: the figures as they stand now), the figures are
as they stood at the end of D. Timestamps compare in UTC calendar days (D ends at midnight UTC); dates
(invoice date, PO date) compare as they are.

- actuals with an invoice date after D are left out: from actual, and from the invoiced amount that
  reduces their PO line's open amount (on D the PO was still open for them).
- a PO commits as of D when it was approved by then and not yet closed or cancelled by then: status
  approved, closed or cancelled; approved on or before D (`approved_at`, which closing keeps; a PO imported
  as approved has none: it counts from when it was recorded, `created_at`; a cancelled PO without one was
  cancelled before any approval and never committed); its PO date, when set, on or before D; and, when
  closed or cancelled, ended after D (`closed_at`, set by closing; cancelling sets none, but stamps
  `updated_at` and a cancelled PO is not edited again, so that is when it was cancelled; without either,
  as a PO imported closed, when it was recorded). Its lines and amounts are as they are now: the workflow
  does not change an approved PO's lines.
- budget lines created after D are left out; each of a line's twelve month amounts is as it stood on D:
  the `before` of the earliest audited update of that month after D (audit_event entity 'budget_line',
  action 'update', changes {field: [before, after]}, as the line editor and the budget import record them),
  else the amount now. The line's currency, budget rate and dimensions are as they are now.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.analytics.filters import Filters
from opex_app.domain.analytics.schema import FIGURES_SCHEMA, MONEY
from opex_app.models import PoStatus
from opex_app.models._types import ZERO
from opex_app.services.copying import copy_out
from opex_app.settings import get_settings

_CENT = Decimal("0.01")
MONTHS = range(1, 13)


def _months(day: str) -> str:
    """SQL: a month number of `day` (consecutive calendar months differ by 1)."""
    return f"(date_part('year', {day})::int * 12 + date_part('month', {day})::int)"


def _month_index(day: str) -> str:
    """SQL: fiscal month (1..12) of `day` in the FY `fy`, clamped into the FY; NULL for a NULL day."""
    return f"LEAST(12, GREATEST(1, {_months(day)} - {_months('fy.start_date')} + 1))"


_MONTH_COLUMNS = [f"m{m:02d}" for m in MONTHS]

# the dimensions the overview may group by: budget_line column -> master table
DIMENSIONS: dict[str, str] = {
    "tower": "tower",
    "budget_head": "budget_head",
    "cost_centre": "cost_centre",
    "vendor": "vendor",
    "entity": "entity",
}

# As of a date (bound as :as_of, NULL for no cut-off). Timestamps compare in UTC calendar days: "on or before
# D" is "before midnight UTC that starts D + 1" (a range on the column, so the audit index serves it).
_AS_OF = "CAST(:as_of AS date)"
_CUTOFF = f"(({_AS_OF} + 1)::timestamp AT TIME ZONE 'UTC')"
_INVOICED_BY_THEN = f"({_AS_OF} IS NULL OR a.invoice_date <= {_AS_OF})"
# A PO commits when approved; as of D, when it was approved by then and not yet closed or cancelled by then.
_PO_COMMITS = f"""(CASE WHEN {_AS_OF} IS NULL THEN p.status = :approved
    ELSE p.status IN (:approved, :closed, :cancelled)
         AND COALESCE(p.approved_at, CASE WHEN p.status <> :cancelled THEN p.created_at END) < {_CUTOFF}
         AND (p.po_date IS NULL OR p.po_date <= {_AS_OF})
         AND (p.status = :approved OR COALESCE(p.closed_at, p.updated_at, p.created_at) >= {_CUTOFF}) END)"""


def _month_then(column: str) -> str:
    """SQL: a month's amount as it stood at the cut-off: the `before` of its first change after it (else NULL)."""
    return (
        f"((array_agg(e.changes->'{column}'->>0 ORDER BY e.at, e.id) FILTER (WHERE e.changes ? '{column}'))[1])"
        f"::numeric AS {column}"
    )


# The rules, once. `budget_rate`: the rate of each (FY, currency) of the lines in scope, looked up once each.
# `budget_then` (only as of a date): each in-scope line's month amounts that changed after it, as they were.
# `line`: the lines in scope (created by the as-of date) with their currency, budget rate and month amounts.
# `po_scope`: the PO lines of committing POs allocating to lines in scope, with the PO's rate and the first and
# last fiscal month they fall in. `po_open`: what each of those is still open for, in base currency.
# Each part restricts to the scope on budget_line itself ({scope} is a condition on alias `bl`), not through
# `line`, so the planner sees real row counts: index lookups for a page of lines, hash joins for a whole FY.
def _ctes(invoices: str) -> str:
    """The rules' CTEs, reading what is invoiced against the PO lines in scope from `invoices` (`_INVOICES`)."""
    return f"""
WITH budget_rate AS MATERIALIZED (
    SELECT k.fiscal_year_id, k.currency, fx_rate_on(k.currency, fy.start_date, :base) AS rate
    FROM (SELECT DISTINCT bl.fiscal_year_id, COALESCE(bl.currency_code, :base) AS currency
          FROM budget_line bl WHERE {{scope}}) k
    JOIN fiscal_year fy ON fy.id = k.fiscal_year_id
),
budget_then AS (
    SELECT e.entity_id,
           {", ".join(_month_then(m) for m in _MONTH_COLUMNS)}
    FROM audit_event e JOIN budget_line bl ON e.entity_id = bl.id::text
    WHERE {_AS_OF} IS NOT NULL AND e.entity = 'budget_line' AND e.action = 'update' AND e.at >= {_CUTOFF}
      AND {{scope}}
    GROUP BY e.entity_id
),
line AS NOT MATERIALIZED (
    SELECT bl.id, bl.uid, bl.fiscal_year_id, br.currency, br.rate AS budget_rate,
           {", ".join(f"COALESCE(bt.{m}, bl.{m}) AS {m}" for m in _MONTH_COLUMNS)},
           {", ".join(f"bl.{d}_id" for d in DIMENSIONS)}
    FROM budget_line bl
    JOIN budget_rate br ON br.fiscal_year_id = bl.fiscal_year_id AND br.currency = COALESCE(bl.currency_code, :base)
    LEFT JOIN budget_then bt ON bt.entity_id = bl.id::text
    WHERE {{scope}} AND ({_AS_OF} IS NULL OR bl.created_at < {_CUTOFF})
),
po_scope AS (
    SELECT pl.id, bl.id AS line_id, pl.amount, p.currency_code, r.rate,
           COALESCE({_month_index("LEAST(s.first_day, s.last_day)")}, 1) AS first_month,
           COALESCE({_month_index("GREATEST(s.first_day, s.last_day)")}, 1) AS last_month
    FROM budget_line bl
    JOIN fiscal_year fy ON fy.id = bl.fiscal_year_id
    JOIN po_line pl ON pl.budget_line_id = bl.id
    JOIN purchase_order p ON p.id = pl.purchase_order_id AND {_PO_COMMITS}
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.currency_code = :base THEN 1::numeric
                    ELSE COALESCE(p.fx_rate, fx_rate_on(p.currency_code, p.po_date, :base)) END AS rate
    ) r
    CROSS JOIN LATERAL (
        SELECT COALESCE(pl.service_start, pl.service_end, p.po_date) AS first_day,
               COALESCE(pl.service_end, pl.service_start, p.po_date) AS last_day
    ) s
    WHERE {{scope}}
),
po_open AS (
    SELECT ps.line_id, ps.id AS po_line_id, ps.first_month, ps.last_month,
           ROUND(GREATEST(ps.amount - COALESCE(inv.invoiced, 0), 0) * ps.rate, 2) AS open_base
    FROM po_scope ps
    LEFT JOIN (
        SELECT v.id, COALESCE(SUM(v.same), 0) + COALESCE(SUM(v.other) / v.rate, 0) AS invoiced
        FROM ({invoices}) v GROUP BY v.id, v.rate
    ) inv ON inv.id = ps.id
),
line_actual AS (
    SELECT a.budget_line_id AS line_id, a.fiscal_month, a.amount_base
    FROM actual a JOIN budget_line bl ON bl.id = a.budget_line_id
    WHERE {{scope}} AND {_INVOICED_BY_THEN}
)
"""


# What is invoiced against the PO lines in scope by the cut-off: the PO line (`id`) and its rate, and the amount
# of each actual in the PO's currency (`same`) or else its base amount (`other`, converted once per PO line).
_SAME, _OTHER = "CASE WHEN {0}.currency_code = ps.currency_code", "CASE WHEN {0}.currency_code <> ps.currency_code"
_INVOICES = f"""SELECT ps.id, ps.rate, {_SAME.format("a")} THEN a.amount END AS same,
       {_OTHER.format("a")} THEN a.amount_base END AS other
    FROM po_scope ps JOIN actual a ON a.po_line_id = ps.id AND {_INVOICED_BY_THEN}"""
_CTES = _ctes(_INVOICES)

# the twelve budget months of a line as rows (fiscal month, amount as entered)
_UNPIVOT = "(VALUES " + ", ".join(f"({m}, line.m{m:02d})" for m in MONTHS) + ") AS g(m, budget)"

# committed spread over fiscal months, per line and month (the rule of the module docstring)
_COMMITTED_BY_MONTH = """,
committed AS (
    SELECT o.line_id, g.m AS fiscal_month,
           SUM(CASE WHEN g.m = o.last_month
                    THEN o.open_base - TRUNC(o.open_base / (o.last_month - o.first_month + 1), 2)
                                       * (o.last_month - o.first_month)
                    ELSE TRUNC(o.open_base / (o.last_month - o.first_month + 1), 2) END) AS committed
    FROM po_open o CROSS JOIN LATERAL generate_series(o.first_month, o.last_month) AS g(m)
    GROUP BY 1, 2
)"""

_MONTHS_SQL = (
    _CTES
    + _COMMITTED_BY_MONTH
    + f""",
actual_month AS (
    SELECT line_id, fiscal_month, SUM(amount_base) AS actual FROM line_actual GROUP BY 1, 2
)
SELECT line.id AS line_id, g.m AS fiscal_month, g.budget,
       ROUND(g.budget * line.budget_rate, 2) AS budget_base,
       COALESCE(c.committed, 0) AS committed, COALESCE(a.actual, 0) AS actual
FROM line CROSS JOIN LATERAL {_UNPIVOT}
LEFT JOIN committed c ON c.line_id = line.id AND c.fiscal_month = g.m
LEFT JOIN actual_month a ON a.line_id = line.id AND a.fiscal_month = g.m
ORDER BY line.id, g.m
"""
)

_TOTALS_SELECT = f"""
SELECT line.id AS line_id, line.currency, line.budget_rate, {", ".join(f"line.{d}_id" for d in DIMENSIONS)},
       {" + ".join(f"line.{m}" for m in _MONTH_COLUMNS)} AS budget,
       {" + ".join(f"ROUND(line.{m} * line.budget_rate, 2)" for m in _MONTH_COLUMNS)} AS budget_base,
       COALESCE(c.committed, 0) AS committed, COALESCE(c.po_rate_missing, false) AS po_rate_missing,
       COALESCE(a.actual, 0) AS actual
FROM line
LEFT JOIN (
    SELECT line_id, SUM(open_base) AS committed, bool_or(open_base IS NULL) AS po_rate_missing
    FROM po_open GROUP BY line_id
) c ON c.line_id = line.id
LEFT JOIN (SELECT line_id, SUM(amount_base) AS actual FROM line_actual GROUP BY 1) a ON a.line_id = line.id
"""

_BY_IDS = "bl.id = ANY(CAST(:line_ids AS integer[]))"
_BY_FY = "bl.fiscal_year_id = :fiscal_year_id"


@dataclass(frozen=True)
class MonthFigures:
    """One fiscal month of one line. budget is as entered (line currency); the rest in base currency."""

    fiscal_month: int
    budget: Decimal
    budget_base: Decimal | None  # None: the line's currency has no budget rate
    committed: Decimal
    actual: Decimal
    available: Decimal | None  # budget_base - committed - actual


@dataclass(frozen=True)
class LineTotals:
    """A line's FY totals in base currency (the sums of its MonthFigures)."""

    budget_base: Decimal | None  # None when budget_rate_missing
    committed: Decimal
    actual: Decimal
    available: Decimal | None  # budget_base - committed - actual; None when budget_rate_missing
    budget_rate_missing: bool
    budget: Decimal = ZERO  # as entered, in `currency`
    currency: str = ""  # the line's currency (the base currency when the line names none)
    budget_rate: Decimal | None = None  # base units per unit of `currency` on the first day of the FY
    po_rate_missing: bool = False  # an approved foreign-currency PO line without any rate (commits nothing)


@dataclass(frozen=True)
class GroupFigures:
    """Totals of the lines of one FY sharing a dimension value (e.g. one tower), in base currency."""

    name: str
    lines: int
    budget_base: Decimal  # of the lines that have a budget rate
    committed: Decimal
    actual: Decimal
    available: Decimal  # budget_base - committed - actual
    lines_without_budget_rate: int  # their budget is left out of budget_base (and available)


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(_CENT)


def _money_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(_CENT)


def _params(as_of: date | None, **extra: Any) -> dict[str, Any]:
    return {
        "base": get_settings().base_currency,
        "approved": PoStatus.APPROVED.value,
        "closed": PoStatus.CLOSED.value,
        "cancelled": PoStatus.CANCELLED.value,
        "as_of": as_of,
        **extra,
    }


def _available(budget_base: Decimal | None, committed: Decimal, actual: Decimal) -> Decimal | None:
    return None if budget_base is None else budget_base - committed - actual


def _ids(line_ids: Collection[int]) -> list[int]:
    return sorted({int(i) for i in line_ids})


def month_figures(
    session: Session, *, line_ids: Collection[int], as_of: date | None = None
) -> dict[int, list[MonthFigures]]:
    """The twelve MonthFigures of each line (as of `as_of` when given; no permission check: for services)."""
    ids = _ids(line_ids)
    out: dict[int, list[MonthFigures]] = {}
    if not ids:
        return out
    rows = session.execute(text(_MONTHS_SQL.format(scope=_BY_IDS)), _params(as_of, line_ids=ids))
    for r in rows:
        budget_base, committed, actual = _money_or_none(r.budget_base), _money(r.committed), _money(r.actual)
        out.setdefault(r.line_id, []).append(
            MonthFigures(
                fiscal_month=r.fiscal_month,
                budget=_money(r.budget),
                budget_base=budget_base,
                committed=committed,
                actual=actual,
                available=_available(budget_base, committed, actual),
            )
        )
    return out


def line_month_figures(
    session: Session, principal: Principal, *, line_ids: Collection[int], as_of: date | None = None
) -> dict[int, list[MonthFigures]]:
    """The twelve MonthFigures (fiscal months 1..12, zeros where nothing) of each line asked for that exists
    (that existed at `as_of`, when given)."""
    require(principal, Permission.VIEW_DASHBOARDS)
    return month_figures(session, line_ids=line_ids, as_of=as_of)


def _totals(row: Any) -> LineTotals:
    budget_base, committed, actual = _money_or_none(row.budget_base), _money(row.committed), _money(row.actual)
    return LineTotals(
        budget_base=budget_base,
        committed=committed,
        actual=actual,
        available=_available(budget_base, committed, actual),
        budget_rate_missing=row.budget_rate is None,
        budget=_money(row.budget),
        currency=row.currency,
        budget_rate=None if row.budget_rate is None else Decimal(row.budget_rate),
        po_rate_missing=bool(row.po_rate_missing),
    )


def line_totals(session: Session, *, line_ids: Collection[int], as_of: date | None = None) -> dict[int, LineTotals]:
    """The FY totals of each line asked for that exists (as of `as_of` when given).

    No permission check: other services call it inside their own checked use case (e.g. the PO approval
    warning: budget, committed, actual of the lines a PO allocates to).
    """
    ids = _ids(line_ids)
    if not ids:
        return {}
    rows = session.execute(text((_CTES + _TOTALS_SELECT).format(scope=_BY_IDS)), _params(as_of, line_ids=ids))
    return {r.line_id: _totals(r) for r in rows}


def figures_by(session: Session, principal: Principal, *, fiscal_year_id: int, by: str = "tower") -> list[GroupFigures]:
    """Totals of one FY's lines grouped by a dimension (a key of DIMENSIONS), largest budget first."""
    require(principal, Permission.VIEW_DASHBOARDS)
    if by not in DIMENSIONS:
        raise ValueError(f"cannot group figures by '{by}' (expected one of: {', '.join(DIMENSIONS)})")
    label = f"(no {by.replace('_', ' ')})"
    sql = (
        _CTES.format(scope=_BY_FY)
        + f""", totals AS ({_TOTALS_SELECT})
        SELECT COALESCE(d.name, :no_name) AS name, COUNT(*) AS lines,
               COALESCE(SUM(t.budget_base), 0) AS budget_base, SUM(t.committed) AS committed,
               SUM(t.actual) AS actual, COUNT(*) FILTER (WHERE t.budget_rate IS NULL) AS lines_without_budget_rate
        FROM totals t
        LEFT JOIN {DIMENSIONS[by]} d ON d.id = t.{by}_id
        GROUP BY 1 ORDER BY budget_base DESC, name
        """
    )
    rows = session.execute(text(sql), _params(None, fiscal_year_id=fiscal_year_id, no_name=label))
    out = []
    for r in rows:
        budget_base, committed, actual = _money(r.budget_base), _money(r.committed), _money(r.actual)
        out.append(
            GroupFigures(
                name=r.name,
                lines=int(r.lines),
                budget_base=budget_base,
                committed=committed,
                actual=actual,
                available=budget_base - committed - actual,
                lines_without_budget_rate=int(r.lines_without_budget_rate),
            )
        )
    return out


def _fy_scope(session: Session, fiscal_year_id: int, filters: Filters | None) -> tuple[str, dict[str, Any]]:
    """The scope condition on `bl` for one FY's lines matching `filters` (master names, bound parameters).

    The names are looked up first, so the condition is on the line's own columns: the planner then filters
    lines as it scans them (a sub-select in the condition had it join every line of the FY, then filter).
    """
    conditions, params = [_BY_FY], dict[str, Any](fiscal_year_id=fiscal_year_id)
    for name, value in (filters.as_params() if filters else {}).items():
        ids = session.execute(text(f"SELECT id FROM {DIMENSIONS[name]} WHERE name = :name"), {"name": value})
        conditions.append(f"bl.{name}_id = ANY(CAST(:f_{name} AS integer[]))")
        params[f"f_{name}"] = list(ids.scalars())
    return " AND ".join(conditions), params


# the month figures of one FY's lines, with the labels reports group by (analytics' FIGURES_SCHEMA shape)
_FY_MONTHS_WITH_LABELS = f"""
SELECT m.line_id AS budget_line_id, m.fiscal_month, CAST(m.budget_base AS numeric(18, 2)) AS budget_base,
       CAST(m.committed AS numeric(18, 2)) AS committed, CAST(m.actual AS numeric(18, 2)) AS actual, bl.uid,
       {", ".join(f"{d}.name AS {d}" for d in DIMENSIONS)}
FROM ({{months}}) m
JOIN budget_line bl ON bl.id = m.line_id
{" ".join(f"LEFT JOIN {DIMENSIONS[d]} {d} ON {d}.id = bl.{d}_id" for d in DIMENSIONS)}
ORDER BY m.line_id, m.fiscal_month
"""


def fiscal_year_month_rows(
    session: Session, *, fiscal_year_id: int, as_of: date | None = None, filters: Filters | None = None
) -> list[tuple[Any, ...]]:
    """Every line of one FY × fiscal months 1..12 in one query, set-based (no permission check: for services).

    Columns: budget_line_id, fiscal_month, budget_base (None without a budget rate), committed, actual, uid,
    tower, budget_head, cost_centre, vendor, entity (names, None when the line has none). The same rules as
    `month_figures`: it is the same SQL, scoped to the FY instead of a list of lines. Row by row through the
    driver: `fiscal_year_frame` reads the same figures much faster.
    """
    scope, params = _fy_scope(session, fiscal_year_id, filters)
    sql = _FY_MONTHS_WITH_LABELS.format(months=_MONTHS_SQL.format(scope=scope))
    rows = session.execute(text(sql), _params(as_of, **params))
    return [tuple(r) for r in rows]


def _budget_base(line: str, m: int) -> str:
    """SQL: month m's budget in base currency (a base-currency month is its own: no product, no rounding)."""
    return (
        f"CASE WHEN {line}.budget_rate = 1 THEN {line}.m{m:02d} ELSE ROUND({line}.m{m:02d} * {line}.budget_rate, 2) END"
    )


def _committed_share(m: int) -> str:
    """SQL: what PO line `o` (po_open, with its equal `share`) commits in month m, NULL outside its months."""
    return (
        f"CASE WHEN {m} BETWEEN o.first_month AND o.last_month THEN CASE WHEN {m} = o.last_month"
        " THEN o.open_base - s.share * (o.last_month - o.first_month) ELSE s.share END END"
    )


# One row per line: its labels and its twelve months of budget_base, committed and actual side by side (bMM,
# cMM, aMM; NULL where nothing). Twelve times fewer rows to form and ship than the month grain; Polars then
# turns each line into its twelve month rows. Cheaper forms of the same rules (measured by bench_dashboard):
# a budget month in the base currency is its own base amount (rate 1, already in cents: no product, no
# rounding); each PO line's open amount is spread straight into the twelve month columns (the rule of
# `_COMMITTED_BY_MONTH`: equal shares truncated to the cent over first..last month, the rest in the last),
# with no row per month to form, group and pivot again.
_LINE_MONTH_COLUMNS = f"""
SELECT line.id AS budget_line_id, line.uid, {", ".join(f"{d}.name AS {d}" for d in DIMENSIONS)},
       {", ".join(f"{_budget_base('line', m)} AS b{m:02d}" for m in MONTHS)},
       {", ".join(f"cm.c{m:02d}" for m in MONTHS)}, {", ".join(f"a.a{m:02d}" for m in MONTHS)}
FROM line
LEFT JOIN (
    SELECT o.line_id,
           {", ".join(f"SUM({_committed_share(m)}) AS c{m:02d}" for m in MONTHS)}
    FROM po_open o CROSS JOIN LATERAL (SELECT TRUNC(o.open_base / (o.last_month - o.first_month + 1), 2) AS share) s
    GROUP BY o.line_id
) cm ON cm.line_id = line.id
LEFT JOIN (
    SELECT line_id, {", ".join(f"SUM(amount_base) FILTER (WHERE fiscal_month = {m}) AS a{m:02d}" for m in MONTHS)}
    FROM line_actual GROUP BY line_id
) a ON a.line_id = line.id
{" ".join(f"LEFT JOIN {DIMENSIONS[d]} {d} ON {d}.id = line.{d}_id" for d in DIMENSIONS)}
"""
_LABELS = ("budget_line_id", "uid", *DIMENSIONS)
_WIDE_SCHEMA: dict[str, pl.DataType] = {
    **{name: FIGURES_SCHEMA[name] for name in _LABELS},
    **{f"{kind}{m:02d}": MONEY for kind in "bca" for m in MONTHS},
}


def fiscal_year_frame(
    session: Session, *, fiscal_year_id: int, as_of: date | None = None, filters: Filters | None = None
) -> pl.DataFrame:
    """Every line of one FY (matching `filters`) × fiscal months 1..12 as a FIGURES_SCHEMA frame, as of `as_of`.

    The same rules and figures as `fiscal_year_month_rows` (the same CTEs), read fast: one row per line
    through COPY as CSV straight into Polars (Decimal(18,2) parsed from text, never floats), then unpivoted.
    JIT is switched off for the transaction: compiling this wide query costs PostgreSQL seconds and saves
    nothing on it. No permission check: for services.
    """
    scope, params = _fy_scope(session, fiscal_year_id, filters)
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    query = text(_CTES.format(scope=scope) + _LINE_MONTH_COLUMNS)
    compiled = query.bindparams(**_params(as_of, **params)).compile(dialect=session.connection().dialect)
    wide = copy_out(session, str(compiled), _WIDE_SCHEMA, compiled.params)
    return _line_months(wide.sort("budget_line_id"))


def _line_months(wide: pl.DataFrame) -> pl.DataFrame:
    """Each line's row as its twelve month rows, in line then month order (FIGURES_SCHEMA).

    Row r of the result is month r % 12 + 1 of line r // 12: the labels are gathered, and each figure's
    twelve month columns are stacked (month-major, cheap) and gathered into that order. (A list column
    exploded does the same but builds 1.2 M small lists: several times slower.)
    """
    r = pl.int_range(0, wide.height * 12, dtype=pl.Int64)
    line, month = r // 12, r % 12
    stacked = pl.DataFrame(
        {
            name: pl.concat([wide.get_column(f"{kind}{m:02d}") for m in MONTHS])
            for kind, name in (("b", "budget_base"), ("c", "committed"), ("a", "actual"))
        }
    )
    money = stacked.select(pl.all().gather(month * wide.height + line))
    labels = wide.select(pl.col(*_LABELS).gather(line), (month + 1).alias("fiscal_month"))
    return (
        pl.concat([labels, money], how="horizontal")
        .with_columns(pl.col("committed", "actual").fill_null(ZERO).cast(MONEY))
        .select(FIGURES_SCHEMA.names())
    )
