#!/bin/sh
# The release step of every deploy (Procfile `release`, docker/compose.yml `migrate`, the GitHub
# deploy job): run by the NEW image, while the previous release still serves traffic.
#
#   1. preflight            settings, check --deploy, database, Redis, static files, secrets
#   2. backup               whole database, to BACKUP_LOCATION (RELEASE_SKIP_BACKUP=1 skips it)
#   3. migrate              public schema, then bootstrap_tenancy (public tenant, template and
#                           spare schemas), then every tenant schema (template and spares included)
#   4. health               preflight --require-migrated: every schema migrated, services reachable
#
# Migrations are backwards-compatible across one release (expand/contract, see DEPLOYMENT.md), so
# when any step fails the previous image keeps working on the database as it is. Nothing is ever
# restored automatically: the id of the backup taken in step 2 is printed, and restoring it is a
# decision for a person (`manage.py restore <id>`).
set -eu

PYTHON="${PYTHON:-python}"
manage() { "$PYTHON" manage.py "$@"; }
step() { echo "==> release: $*"; }
fail() {
  echo "release FAILED at: $1" >&2
  if [ -n "${backup_id:-}" ]; then
    echo "A backup taken before migrating is ${backup_id} (in ${BACKUP_LOCATION:-BACKUP_LOCATION})." >&2
    echo "Nothing was restored. The previous release keeps running; see DEPLOYMENT.md, Rollback." >&2
  fi
  exit 1
}

step "preflight"
manage preflight || fail "preflight"

if [ "${RELEASE_SKIP_BACKUP:-0}" = "1" ]; then
  step "backup skipped (RELEASE_SKIP_BACKUP=1)"
else
  step "backup"
  output="$(manage backup --trigger release --prune)" || fail "backup"
  echo "$output"
  backup_id="$(printf '%s\n' "$output" | tail -n 1)"
fi

step "migrate (shared)"
manage migrate_schemas --shared --noinput || fail "migrate_schemas --shared"
step "bootstrap tenancy"
manage bootstrap_tenancy || fail "bootstrap_tenancy"
step "migrate (tenants)"
manage migrate_schemas --tenant --noinput || fail "migrate_schemas --tenant"

step "health"
manage preflight --require-migrated || fail "health check (preflight --require-migrated)"
echo "==> release: done${backup_id:+ (pre-release backup ${backup_id})}"
