"""master administration: merged masters point at their survivor; fiscal years can be deactivated

- `<master>.merged_into_id`: set on a duplicate merged into another master of its kind. Imports resolve
  names through it (services/masters.name_index), so a workbook that still spells the duplicate's name
  lands on the survivor instead of re-populating the deactivated duplicate. Masters are never deleted
  (migration 0002), so the duplicate row, its name and its audit trail stay.
- `fiscal_year.is_active`: an inactive FY is left out of the FY pickers; its data stays readable.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MASTERS = ["tower", "budget_head", "cost_centre", "vendor", "entity"]


def upgrade() -> None:
    for table in MASTERS:
        # no foreign key: only the merge writes it, from two locked rows, and masters are never deleted
        op.add_column(table, sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.add_column("fiscal_year", sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("fiscal_year", "is_active")
    for table in MASTERS:
        op.drop_column(table, "merged_into_id")
