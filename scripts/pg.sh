#!/usr/bin/env bash
# Project-local PostgreSQL/PostGIS cluster under var/pg.
#   scripts/pg.sh start   initialise (first time) and start the cluster, create the database
#   scripts/pg.sh stop    stop the cluster
#   scripts/pg.sh url     print the DATABASE_URL of the local cluster
# The cluster listens on a unix socket only (no TCP) on a non-default port, so it never
# collides with another PostgreSQL. PostgreSQL refuses to run as root: when invoked as
# root, the cluster is owned and run by the `postgres` system user.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${PLANNING_PG_PORT:-54329}"
DB_NAME="${PLANNING_DB_NAME:-planning}"
PG_BIN="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)"
[ -n "$PG_BIN" ] || { echo "ERROR: PostgreSQL 15 binaries not found (apt-get install postgresql-15)" >&2; exit 1; }

run_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The data directory lives in var/pg unless the postgres user cannot reach it (a clone
# under a private home directory); then it lives in /var/tmp and var/pg links to it.
prepare_dirs() {
  mkdir -p "$ROOT/var"
  if [ ! -e "$ROOT/var/pg" ]; then
    mkdir -p "$ROOT/var/pg"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$ROOT/var/pg"
      if ! runuser -u postgres -- test -w "$ROOT/var/pg"; then
        rmdir "$ROOT/var/pg"
        local alt; alt="/var/tmp/planning-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
        mkdir -p "$alt"; chown postgres:postgres "$alt"
        ln -s "$alt" "$ROOT/var/pg"
      fi
    fi
  fi
  PGDIR="$(readlink -f "$ROOT/var/pg")"
  DATA="$PGDIR/data"
  # Unix socket paths are limited to ~107 bytes; fall back to /tmp for deep checkouts.
  SOCK="$PGDIR/run"
  if [ ${#SOCK} -gt 80 ]; then SOCK="/tmp/planning-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"; fi
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$SOCK" "$PGDIR/log"; chown postgres:postgres "$SOCK" "$PGDIR/log"
  else
    mkdir -p "$SOCK" "$PGDIR/log"
  fi
  OWNER="$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un )"
}

database_url() { echo "postgres://$OWNER@/$DB_NAME?host=$SOCK&port=$PORT"; }

psql_local() { PGOPTIONS="--client-min-messages=warning" run_as_owner "$PG_BIN/psql" -h "$SOCK" -p "$PORT" -U "$OWNER" -v ON_ERROR_STOP=1 -qAt "$@"; }

start() {
  prepare_dirs
  if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "Initialising PostgreSQL cluster in $DATA"
    run_as_owner "$PG_BIN/initdb" -D "$DATA" -U "$OWNER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
max_connections = 200
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
fsync = ${PLANNING_PG_FSYNC:-on}
CONF
  fi
  if ! run_as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    run_as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$PGDIR/log/postgresql.log" -w -t 60 \
      -o "-p $PORT -k $SOCK" start >/dev/null
    echo "PostgreSQL started (socket $SOCK, port $PORT)"
  fi
  if [ -z "$(psql_local -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    psql_local -d postgres -c "CREATE DATABASE $DB_NAME"
  fi
  psql_local -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis" \
    -c "CREATE EXTENSION IF NOT EXISTS postgis_sfcgal"
  database_url > "$ROOT/var/database_url"
}

stop() {
  [ -e "$ROOT/var/pg" ] || exit 0
  prepare_dirs
  if [ -f "$DATA/PG_VERSION" ] && run_as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    run_as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    echo "PostgreSQL stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) prepare_dirs; database_url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
