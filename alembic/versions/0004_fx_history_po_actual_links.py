"""FX rates keep their history; POs and actuals get what approval, conversion and linking need

- fx_rate: a correction is a new row (the unique (currency, effective_from) goes); the rate in force on a day
  is the latest recorded row of the latest effective date on or before it: SQL function
  fx_rate_on(code, day, base) (1 for the base currency, NULL when there is none), the one lookup every
  figure uses.
- purchase_order: the rate used (at the PO date), the value in base currency, the rejection reason, the
  approver's comment, who changed it last, when it was closed.
- po_line: optional service months (first and last day of the service the allocation pays for).
- actual: the PO line it consumes, the references as typed (UID and PO number, kept while unlinked), the rate
  used, remarks, a version for optimistic locking; an invoice is identified by (vendor, invoice number).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATE = sa.Numeric(18, 6)


def upgrade() -> None:
    op.drop_constraint("uq_fx_rate_currency_from", "fx_rate", type_="unique")
    op.create_index("ix_fx_rate_lookup", "fx_rate", ["currency_code", "effective_from", "id"])
    op.execute(
        """
        CREATE FUNCTION fx_rate_on(code text, day date, base text) RETURNS numeric
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN code = base THEN 1::numeric ELSE (
                SELECT r.rate_to_base FROM fx_rate r
                WHERE r.currency_code = code AND r.effective_from <= day
                ORDER BY r.effective_from DESC, r.id DESC LIMIT 1
            ) END
        $$
        """
    )

    op.add_column("purchase_order", sa.Column("fx_rate", RATE, nullable=True))
    op.add_column(
        "purchase_order", sa.Column("total_amount_base", sa.Numeric(18, 2), server_default=sa.text("0"), nullable=False)
    )
    op.add_column("purchase_order", sa.Column("rejection_reason", sa.Text(), nullable=True))
    op.add_column("purchase_order", sa.Column("approval_comment", sa.Text(), nullable=True))
    op.add_column("purchase_order", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("purchase_order", sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))

    op.add_column("po_line", sa.Column("service_start", sa.Date(), nullable=True))
    op.add_column("po_line", sa.Column("service_end", sa.Date(), nullable=True))

    op.add_column("actual", sa.Column("po_line_id", sa.Integer(), nullable=True))
    op.create_foreign_key("fk_actual_po_line", "actual", "po_line", ["po_line_id"], ["id"])
    op.create_index("ix_actual_po_line_id", "actual", ["po_line_id"])
    op.add_column("actual", sa.Column("uid_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.add_column("actual", sa.Column("po_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.add_column("actual", sa.Column("fx_rate", RATE, nullable=True))
    op.add_column("actual", sa.Column("remarks", sa.Text(), nullable=True))
    op.add_column("actual", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.add_column("actual", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("actual", sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.create_index(
        "uq_actual_vendor_invoice",
        "actual",
        [sa.text("COALESCE(vendor_id, 0)"), "invoice_number"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_actual_vendor_invoice", table_name="actual")
    for column in ("updated_by", "updated_at", "version", "remarks", "fx_rate", "po_ref", "uid_ref"):
        op.drop_column("actual", column)
    op.drop_index("ix_actual_po_line_id", table_name="actual")
    op.drop_constraint("fk_actual_po_line", "actual", type_="foreignkey")
    op.drop_column("actual", "po_line_id")
    op.drop_column("po_line", "service_end")
    op.drop_column("po_line", "service_start")
    for column in ("updated_by", "closed_at", "approval_comment", "rejection_reason", "total_amount_base", "fx_rate"):
        op.drop_column("purchase_order", column)
    op.execute("DROP FUNCTION fx_rate_on(text, date, text)")
    op.drop_index("ix_fx_rate_lookup", table_name="fx_rate")
    op.create_unique_constraint("uq_fx_rate_currency_from", "fx_rate", ["currency_code", "effective_from"])
