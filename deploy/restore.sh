#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into an EMPTY database, in one transaction.
#
#   deploy/restore.sh DUMP_FILE [TARGET_URL]
#
# Target: TARGET_URL, else DATABASE_URL, else libpq's PG* variables. Create the database first
# (createdb -O opex opex); stop the app (or point it elsewhere) while restoring. The target must hold no
# tables yet: this refuses to restore over data. Objects end up owned by the user restoring (--no-owner),
# so connect as the app's own role. Afterwards no migration is needed: the dump carries alembic_version.
# Exit 0 only when every object and row was restored; on any error nothing is left behind.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: restore.sh DUMP_FILE [TARGET_URL]" >&2
  exit 2
fi
dump="$1"
target="${2:-${DATABASE_URL:-}}"
if [[ ! -r "$dump" ]]; then
  echo "restore: cannot read $dump" >&2
  exit 2
fi
pg_restore --list "$dump" >/dev/null  # refuse a truncated or foreign file before touching the target

# Always an explicit --dbname: without one pg_restore prints SQL instead of restoring.
if [[ -n "$target" ]]; then
  conn=(--dbname "$(sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#' <<<"$target")")
else
  conn=(--dbname "${PGDATABASE:?restore: give TARGET_URL, or set DATABASE_URL or PGDATABASE}")
fi

tables="$(psql --no-password -X -At "${conn[@]}" -c \
  "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%'")"
if [[ "$tables" != "0" ]]; then
  echo "restore: the target database already has $tables tables; restore into a new, empty database" >&2
  exit 1
fi

started=$SECONDS
pg_restore --no-password --exit-on-error --single-transaction --no-owner --no-privileges \
  "${conn[@]}" "$dump"
echo "restore: restored $dump in $((SECONDS - started)) s" >&2
