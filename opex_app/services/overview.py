"""Budget vs committed vs actual vs available for one FY, by tower (the Overview page)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import PoStatus

_BY_TOWER = text(
    """
    WITH line AS (
        SELECT bl.id, bl.tower_id, bl.m01 + bl.m02 + bl.m03 + bl.m04 + bl.m05 + bl.m06
               + bl.m07 + bl.m08 + bl.m09 + bl.m10 + bl.m11 + bl.m12 AS budget
        FROM budget_line bl JOIN fiscal_year fy ON fy.id = bl.fiscal_year_id
        WHERE fy.end_year = :end_year
    ),
    po AS (
        SELECT pl.budget_line_id, pl.purchase_order_id, SUM(pl.amount_base) AS allocated
        FROM po_line pl JOIN purchase_order p ON p.id = pl.purchase_order_id
        WHERE p.status = :approved
        GROUP BY pl.budget_line_id, pl.purchase_order_id
    ),
    act AS (
        SELECT budget_line_id, purchase_order_id, SUM(amount_base) AS spent
        FROM actual WHERE budget_line_id IS NOT NULL
        GROUP BY budget_line_id, purchase_order_id
    ),
    committed AS (
        SELECT po.budget_line_id, SUM(GREATEST(po.allocated - COALESCE(act.spent, 0), 0)) AS committed
        FROM po LEFT JOIN act ON act.budget_line_id = po.budget_line_id
                             AND act.purchase_order_id = po.purchase_order_id
        GROUP BY po.budget_line_id
    ),
    actual AS (SELECT budget_line_id, SUM(spent) AS actual FROM act GROUP BY budget_line_id)
    SELECT COALESCE(t.name, '(no tower)') AS tower, COUNT(*) AS lines, SUM(line.budget) AS budget,
           COALESCE(SUM(c.committed), 0) AS committed, COALESCE(SUM(a.actual), 0) AS actual
    FROM line
    LEFT JOIN tower t ON t.id = line.tower_id
    LEFT JOIN committed c ON c.budget_line_id = line.id
    LEFT JOIN actual a ON a.budget_line_id = line.id
    GROUP BY 1 ORDER BY budget DESC
    """
)


@dataclass(frozen=True)
class TowerFigures:
    tower: str
    lines: int
    budget: Decimal
    committed: Decimal
    actual: Decimal

    @property
    def available(self) -> Decimal:
        return self.budget - self.committed - self.actual


def figures_by_tower(session: Session, principal: Principal, end_year: int) -> list[TowerFigures]:
    require(principal, Permission.VIEW_DASHBOARDS)
    rows = session.execute(_BY_TOWER, {"end_year": end_year, "approved": PoStatus.APPROVED.value}).all()
    return [TowerFigures(r.tower, int(r.lines), r.budget, r.committed, r.actual) for r in rows]
