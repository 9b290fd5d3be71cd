"""actual: set-based reference checks instead of row-level foreign keys (as migration 0002 did for budget_line)

An import of 100,000 invoices spent about half its database time in row-level foreign-key triggers (seven per
row). The same guarantees, one pass per statement:
- inserting or updating actuals checks every reference of the whole statement with anti-joins;
- deleting purchase orders, PO lines or budget lines that actuals still refer to is refused, per statement
  (fiscal years, masters, currencies and import batches are never deleted: migration 0002 and the audit trail).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCES = [  # (column, table, key, constraint name)
    ("fiscal_year_id", "fiscal_year", "id", "actual_fiscal_year_id_fkey"),
    ("budget_line_id", "budget_line", "id", "actual_budget_line_id_fkey"),
    ("purchase_order_id", "purchase_order", "id", "actual_purchase_order_id_fkey"),
    ("po_line_id", "po_line", "id", "fk_actual_po_line"),
    ("vendor_id", "vendor", "id", "actual_vendor_id_fkey"),
    ("currency_code", "currency", "code", "actual_currency_code_fkey"),
    ("import_batch_id", "import_batch", "id", "actual_import_batch_id_fkey"),
]
REFERRED = [("purchase_order", "purchase_order_id"), ("po_line", "po_line_id"), ("budget_line", "budget_line_id")]


def _insert_check() -> str:
    checks = "\n        OR ".join(
        f"EXISTS (SELECT 1 FROM changed c WHERE c.{column} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM public.{table} r WHERE r.{key} = c.{column}))"
        for column, table, key, _ in REFERENCES
    )
    return f"""
CREATE OR REPLACE FUNCTION actual_references_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {checks}
    THEN
        RAISE EXCEPTION 'actual refers to a fiscal year, budget line, PO, PO line, vendor, currency or import batch '
                        'that does not exist' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


def _delete_check(table: str, column: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {table}_not_referred_by_actuals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone g JOIN public.actual a ON a.{column} = g.id) THEN
        RAISE EXCEPTION '{table} rows that invoices (actuals) refer to cannot be deleted'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


def upgrade() -> None:
    for _, _, _, name in REFERENCES:
        op.drop_constraint(name, "actual", type_="foreignkey")
    op.execute(_insert_check())
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER actual_references_{event.lower()} AFTER {event} ON public.actual "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION actual_references_exist()"
        )
    for table, column in REFERRED:
        op.execute(_delete_check(table, column))
        op.execute(
            f"CREATE TRIGGER {table}_not_referred_by_actuals AFTER DELETE ON public.{table} "
            f"REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION {table}_not_referred_by_actuals()"
        )


def downgrade() -> None:
    for table, _ in REFERRED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_not_referred_by_actuals ON public.{table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_not_referred_by_actuals()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS actual_references_{event} ON public.actual")
    op.execute("DROP FUNCTION IF EXISTS actual_references_exist()")
    for column, table, key, name in REFERENCES:
        op.create_foreign_key(name, "actual", table, [column], [key])
