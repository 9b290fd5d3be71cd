"""analytics: data version (bumped and NOTIFYed by every write), variance comments, settings, API tokens

- `data_version` holds one row. A statement-level trigger on every table a figure reads bumps it in the
  writing transaction and NOTIFYs the new version on channel `opex_data_version` (delivered at commit).
  Readers that read the version in the same snapshot as the figures can key caches on it: a figure
  cached under version v was computed from data that includes every write up to v. Writers serialise on
  that row for the rest of their transaction, which is what makes the version exact.
- `variance_comment`, `app_setting`, `api_token`; `app_user.number_format`.
- an index for the as-of reconstruction of budget lines from the audit trail (entity, entity_id, at).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# every table whose rows a figure, a report label or a variance comment reads
VERSIONED = [
    "budget_line",
    "purchase_order",
    "po_line",
    "actual",
    "fx_rate",
    "tower",
    "budget_head",
    "cost_centre",
    "vendor",
    "entity",
    "fiscal_year",
    "variance_comment",
    "app_setting",
]


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="ck_data_version_one_row"),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 1)")
    op.create_table(
        "variance_comment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fiscal_year_id", sa.Integer(), sa.ForeignKey("fiscal_year.id"), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("member", sa.String(255), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("fiscal_year_id", "level", "member", "period", name="uq_variance_comment_member"),
    )
    op.create_table(
        "app_setting",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "app_user", sa.Column("number_format", sa.String(10), nullable=False, server_default="indian")
    )
    op.create_index("ix_audit_event_entity_id_at", "audit_event", ["entity", "entity_id", "at"])
    op.execute(
        """
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE v bigint;
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now() WHERE id = 1 RETURNING version INTO v;
            PERFORM pg_notify('opex_data_version', v::text);
            RETURN NULL;
        END $$
        """
    )
    for table in VERSIONED:
        op.execute(
            f"CREATE TRIGGER trg_{table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )


def downgrade() -> None:
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_data_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
    op.drop_index("ix_audit_event_entity_id_at", table_name="audit_event")
    op.drop_column("app_user", "number_format")
    op.drop_table("api_token")
    op.drop_table("app_setting")
    op.drop_table("variance_comment")
    op.drop_table("data_version")
