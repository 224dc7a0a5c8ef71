#!/usr/bin/env bash
# Start or stop the application server (gunicorn) in the background.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PIDFILE="$ROOT/var/run/gunicorn.pid"
LOG="$ROOT/var/log/server.log"
mkdir -p "$ROOT/var/run" "$ROOT/var/log"

is_running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  local host="$1" port="$2"
  if is_running; then
    echo "Server already running (pid $(cat "$PIDFILE"))."
  else
    (cd "$ROOT" && .venv/bin/gunicorn planning.wsgi:application --bind "$host:$port" \
      --workers "${PLANNING_WORKERS:-3}" --threads 4 --timeout 120 --daemon \
      --pid "$PIDFILE" --access-logfile "$ROOT/var/log/access.log" --error-logfile "$LOG")
    for _ in $(seq 1 60); do
      curl -fsS -o /dev/null "http://$host:$port/map/" 2>/dev/null && break
      sleep 0.5
    done
    curl -fsS -o /dev/null "http://$host:$port/map/" || { echo "Server did not start; see $LOG" >&2; exit 1; }
  fi
  cat <<MSG

The planning data server is up: http://$host:$port/
  web map           http://$host:$port/map/
  WMS / WMTS        http://$host:$port/ows   (add it to QGIS as WMS or WMTS)
  XYZ tiles         http://$host:$port/tiles/plans/{z}/{x}/{y}.png
  REST API          http://$host:$port/api/   (OpenAPI: /api/schema/, docs: /api/docs/)
  admin             http://$host:$port/admin/
Demo accounts (user / password): planner / planner-demo, reviewer / reviewer-demo,
  approver / approver-demo, admin / admin-demo
Stop everything with: make stop
MSG
}

stop() {
  if is_running; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 40); do is_running || break; sleep 0.25; done
    echo "Server stopped."
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start "${2:-127.0.0.1}" "${3:-8000}" ;;
  stop) stop ;;
  *) echo "usage: $0 start HOST PORT | stop" >&2; exit 2 ;;
esac
