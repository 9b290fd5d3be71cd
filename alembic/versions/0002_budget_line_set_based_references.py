"""budget_line: set-based reference checks instead of row-level foreign keys

A 100,000-line import spent most of its database time in row-level foreign-key triggers (one
lookup per line and per reference: 8 per line) and in five secondary indexes. This migration:
- replaces budget_line's foreign keys by one statement-level trigger per INSERT/UPDATE that checks
  every reference of the whole statement with anti-joins (same guarantee, one pass per statement);
- forbids deleting fiscal years, masters and currencies (they are deactivated, never deleted), which is
  what the foreign keys protected from the other side;
- drops the per-master secondary indexes: pages filter within one FY, which the (fiscal_year_id, uid)
  unique index already narrows (measured in tests/benchmarks/bench_import.py).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCES = [  # (column, table, key)
    ("fiscal_year_id", "fiscal_year", "id"),
    ("tower_id", "tower", "id"),
    ("budget_head_id", "budget_head", "id"),
    ("cost_centre_id", "cost_centre", "id"),
    ("vendor_id", "vendor", "id"),
    ("entity_id", "entity", "id"),
    ("currency_code", "currency", "code"),
    ("import_batch_id", "import_batch", "id"),
]
SECONDARY_INDEXES = {
    "ix_budget_line_fy_tower": "tower_id",
    "ix_budget_line_fy_head": "budget_head_id",
    "ix_budget_line_fy_cc": "cost_centre_id",
    "ix_budget_line_fy_vendor": "vendor_id",
    "ix_budget_line_fy_parent": "parent_uid",
}
NEVER_DELETED = ["fiscal_year", "tower", "budget_head", "cost_centre", "vendor", "entity", "currency"]


def _check_function() -> str:
    checks = "\n        OR ".join(
        f"EXISTS (SELECT 1 FROM changed c WHERE c.{column} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM public.{table} r WHERE r.{key} = c.{column}))"
        for column, table, key in REFERENCES
    )
    return f"""
CREATE OR REPLACE FUNCTION budget_line_references_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {checks}
    THEN
        RAISE EXCEPTION 'budget_line refers to a fiscal year, master, currency or import batch that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


def upgrade() -> None:
    for column, table, _ in REFERENCES:
        op.drop_constraint(f"budget_line_{column}_fkey", "budget_line", type_="foreignkey")
    for name in SECONDARY_INDEXES:
        op.drop_index(name, table_name="budget_line")
    op.execute(_check_function())
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER budget_line_references_{event.lower()} AFTER {event} ON public.budget_line "
            f"REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION budget_line_references_exist()"
        )
    op.execute("""
CREATE OR REPLACE FUNCTION refuse_delete_of_reference_data() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted (deactivate them instead)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
""")
    for table in NEVER_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON public.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_delete_of_reference_data()"
        )


def downgrade() -> None:
    for table in NEVER_DELETED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_never_deleted ON public.{table}")
    op.execute("DROP FUNCTION IF EXISTS refuse_delete_of_reference_data()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS budget_line_references_{event} ON public.budget_line")
    op.execute("DROP FUNCTION IF EXISTS budget_line_references_exist()")
    for name, column in SECONDARY_INDEXES.items():
        op.create_index(name, "budget_line", ["fiscal_year_id", column])
    for column, table, key in REFERENCES:
        op.create_foreign_key(f"budget_line_{column}_fkey", "budget_line", table, [column], [key])
