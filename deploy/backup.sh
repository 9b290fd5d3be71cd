#!/usr/bin/env bash
# Dump the OPEX Manager database (pg_dump custom format) into a folder, and delete dumps older than N days.
#
#   deploy/backup.sh [BACKUP_DIR]
#
# Connection: DATABASE_URL (postgresql://, postgres:// or the app's postgresql+psycopg:// form) or, when it
# is unset, libpq's PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Use the primary
# directly, never PgBouncer in transaction mode. pg_dump must be at least the server's major version.
# Settings: BACKUP_DIR or OPEX_BACKUP_DIR (default /var/backups/opex), OPEX_BACKUP_KEEP_DAYS (default 30),
# OPEX_BACKUP_PREFIX (default opex).
# The dump is written under a temporary name and renamed only once pg_dump succeeded and pg_restore can
# read its table of contents, so a file named <prefix>-<UTC time>.dump is always a complete dump. Old
# dumps are pruned only after a new one succeeded. Prints the dump's path on stdout; exit 0 only on success.
set -euo pipefail

dir="${1:-${OPEX_BACKUP_DIR:-/var/backups/opex}}"
keep_days="${OPEX_BACKUP_KEEP_DAYS:-30}"
prefix="${OPEX_BACKUP_PREFIX:-opex}"

if ! [[ "$keep_days" =~ ^[1-9][0-9]*$ ]]; then
  echo "backup: OPEX_BACKUP_KEEP_DAYS must be a whole number of days >= 1, not '$keep_days'" >&2
  exit 2
fi

conn=()
if [[ -n "${DATABASE_URL:-}" ]]; then
  # libpq does not know SQLAlchemy's driver suffix
  conn=(--dbname "$(sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#' <<<"$DATABASE_URL")")
fi

mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$dir/$prefix-$stamp.dump"
partial="$final.partial"
trap 'rm -f "$partial"' EXIT

started=$SECONDS
pg_dump --format=custom --compress=6 --no-password "${conn[@]}" --file "$partial"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$final"
echo "backup: wrote $final ($(du -h "$final" | cut -f1), $((SECONDS - started)) s)" >&2

# Retention: whole dumps older than keep_days. Leftover .partial files of killed runs go too.
find "$dir" -maxdepth 1 -type f \( -name "$prefix-*.dump" -o -name "$prefix-*.dump.partial" \) \
  -mmin +$((keep_days * 1440)) -print0 |
  while IFS= read -r -d '' old; do
    rm -f -- "$old"
    echo "backup: removed $old (older than $keep_days days)" >&2
  done
echo "$final"
