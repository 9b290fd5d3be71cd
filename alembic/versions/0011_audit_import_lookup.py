"""audit: a GIN index (jsonb_path_ops) on the import events' changes

services/audit.import_that_created asks "which import created the line with this UID"; before this index it
read every import event's `changes` and looked inside each. The lookup is now a containment test
(`changes @> {"created_uids": [["UID"]]}`) that this partial GIN index answers; it is partial on
`action = 'import'` because only import events list created UIDs and they are few beside the updates.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_import_changes",
        "audit_event",
        ["changes"],
        postgresql_using="gin",
        postgresql_ops={"changes": "jsonb_path_ops"},
        postgresql_where=sa.text("action = 'import'"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_import_changes", table_name="audit_event")
