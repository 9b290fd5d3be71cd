"""figures: covering indexes on actual for the figures model's two reads of it

The figures model reads every actual of the lines in scope twice: by budget line (actual per line and
fiscal month) and by PO line (what is invoiced against each PO line, with the invoice currency). Both now
read index-only: the single-column indexes on budget_line_id and po_line_id become covering indexes carrying
what those reads need (the invoice date for the as-of cut-off). They replace the old ones, so an import of
actuals maintains as many indexes as before. Measured by tests/benchmarks/bench_dashboard.py.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_actual_line_month",
        "actual",
        ["budget_line_id", "fiscal_month"],
        postgresql_include=["amount_base", "invoice_date"],
    )
    op.drop_index("ix_actual_budget_line_id", table_name="actual")
    op.create_index(
        "ix_actual_po_line", "actual", ["po_line_id"], postgresql_include=["currency_code", "amount", "amount_base", "invoice_date"]
    )
    op.drop_index("ix_actual_po_line_id", table_name="actual")


def downgrade() -> None:
    op.create_index("ix_actual_po_line_id", "actual", ["po_line_id"])
    op.drop_index("ix_actual_po_line", table_name="actual")
    op.create_index("ix_actual_budget_line_id", "actual", ["budget_line_id"])
    op.drop_index("ix_actual_line_month", table_name="actual")
