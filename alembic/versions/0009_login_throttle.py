"""login throttle: the address of each login attempt, and indexes for the throttle and the pruning

- `login_attempt.ip`: the client address (Reflex's router, behind a proxy the forwarded one). The throttle
  counts recent failures per address, per (account, address) and per account (services/login_throttle.py).
- `ix_login_attempt_ip_at` serves the per-address count; `ix_login_attempt_at` the pruning of old rows.

Numbered 0009 so that it does not clash with a 0008 written beside it: when that lands first, point
`down_revision` at it.

Revision ID: 0009
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("login_attempt", sa.Column("ip", sa.String(length=64), nullable=False, server_default=""))
    op.create_index("ix_login_attempt_ip_at", "login_attempt", ["ip", "at"])
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_at", table_name="login_attempt")
    op.drop_index("ix_login_attempt_ip_at", table_name="login_attempt")
    op.drop_column("login_attempt", "ip")
