"""activity log: `activity_event`, one row per login, failed login, logout, export and download

The login throttle's `login_attempt` rows are pruned after a few windows (services/login_throttle.prune), so
the history a reviewer reads (/admin/activity) has its own table, never pruned and append-only: a trigger
refuses UPDATE, DELETE and TRUNCATE for every role, as on `audit_event`. Indexed on `at` (the page lists the
newest first and filters on dates) and on (kind, at) and (user_id, at) for its two other filters.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION activity_event_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'activity_event is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER activity_event_no_update_delete
    BEFORE UPDATE OR DELETE ON activity_event
    FOR EACH ROW EXECUTE FUNCTION activity_event_is_append_only();
CREATE TRIGGER activity_event_no_truncate
    BEFORE TRUNCATE ON activity_event
    FOR EACH STATEMENT EXECUTE FUNCTION activity_event_is_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "activity_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False, server_default=""),
    )
    op.create_index("ix_activity_event_at", "activity_event", ["at"])
    op.create_index("ix_activity_event_kind_at", "activity_event", ["kind", "at"])
    op.create_index("ix_activity_event_user_at", "activity_event", ["user_id", "at"])
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS activity_event_no_truncate ON activity_event")
    op.execute("DROP TRIGGER IF EXISTS activity_event_no_update_delete ON activity_event")
    op.execute("DROP FUNCTION IF EXISTS activity_event_is_append_only()")
    op.drop_table("activity_event")
