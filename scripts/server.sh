#!/usr/bin/env bash
# Start or stop the application server (gunicorn) and the background-job worker
# (Procrastinate) in the background; `command` prints the gunicorn command line (for a
# systemd unit, or to check it).
#
# Logs (docs/deployment.md), under $PLANNING_VAR_DIR/log (default var/log):
#   errors.log  every process's errors with tracebacks (Django's logging, rotated by size)
#   server.log  gunicorn's messages plus whatever the workers print to stdout/stderr
#   access.log  one line per request;  worker.log  the job worker's output
# A daemon's stderr goes nowhere, hence --capture-output. Logs over LOG_KEEP_BYTES are moved
# to <name>.1 when the server starts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VAR="${PLANNING_VAR_DIR:-var}"
[[ "$VAR" = /* ]] || VAR="$ROOT/$VAR"
PIDFILE="$VAR/run/gunicorn.pid"
LOG="$VAR/log/server.log"
ACCESS_LOG="$VAR/log/access.log"
WORKER_PIDFILE="$VAR/run/worker.pid"
WORKER_LOG="$VAR/log/worker.log"
LOG_KEEP_BYTES=$((10 * 1024 * 1024))
WORKER_RESTART_SECONDS="${PLANNING_WORKER_RESTART_SECONDS:-5}"
mkdir -p "$VAR/run" "$VAR/log"

# The gunicorn command line, in the array GUNICORN. Request lines up to gunicorn's maximum
# (8190 bytes, not its default 4094): OGC API CQL2 filters and WFS GET filters with a
# polygon travel in the query string.
gunicorn_command() {
  local host="$1" port="$2"
  GUNICORN=("$ROOT/.venv/bin/gunicorn" planning.wsgi:application --bind "$host:$port"
    --workers "${PLANNING_WORKERS:-3}" --threads 4 --timeout 120 --daemon --pid "$PIDFILE"
    --limit-request-line 8190
    --access-logfile "$ACCESS_LOG" --error-logfile "$LOG" --capture-output)
}

rotate_large_logs() {
  local file
  for file in "$LOG" "$ACCESS_LOG" "$WORKER_LOG"; do
    if [ -f "$file" ] && [ "$(stat -c %s "$file")" -gt "$LOG_KEEP_BYTES" ]; then
      mv -f "$file" "$file.1"
    fi
  done
}

is_running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
worker_running() { [ -f "$WORKER_PIDFILE" ] && kill -0 "$(cat "$WORKER_PIDFILE")" 2>/dev/null; }

# The worker runs import jobs and other background tasks. It exits when PostgreSQL goes
# away (restart, upgrade), so a small supervisor restarts it until `stop`: without one,
# jobs queued after the database came back would wait forever. The pid file holds the
# supervisor, leader of its own process group. A job still running when it is stopped gets
# PLANNING_WORKER_GRACE seconds, then the group is killed (the job's transaction rolls back
# and the job is marked failed at the next start).
supervise_worker() {
  local child="" status
  # On TERM the child (the worker, or the pause before its restart) ends first, so that a
  # stopped supervisor leaves nothing behind.
  trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; exit 0' TERM INT
  while true; do
    # setpriv: the worker gets TERM when the supervisor dies, even by SIGKILL (no trap
    # runs then), instead of running on unsupervised with nobody to stop it.
    setpriv --pdeathsig TERM .venv/bin/python manage.py procrastinate worker \
      --concurrency "${PLANNING_WORKER_CONCURRENCY:-1}" \
      --shutdown-graceful-timeout "${PLANNING_WORKER_GRACE:-30}" &
    child=$!
    status=0; wait "$child" || status=$?
    child=""
    echo "$(date -Is) job worker exited (status $status); restarting in ${WORKER_RESTART_SECONDS}s"
    sleep "$WORKER_RESTART_SECONDS" &
    child=$!
    wait "$child" || true
    child=""
  done
}

start_worker() {
  if worker_running; then
    echo "Worker already running (pid $(cat "$WORKER_PIDFILE"))."
    return
  fi
  cd "$ROOT"
  setsid nohup bash -c "$(declare -f supervise_worker); WORKER_RESTART_SECONDS=$WORKER_RESTART_SECONDS supervise_worker" \
    >>"$WORKER_LOG" 2>&1 </dev/null &
  echo $! >"$WORKER_PIDFILE"
  sleep 1
  worker_running || { echo "Worker did not start; see $WORKER_LOG" >&2; exit 1; }
}

stop_worker() {
  if worker_running; then
    local pid grace
    pid="$(cat "$WORKER_PIDFILE")"
    grace="${PLANNING_WORKER_GRACE:-30}"
    kill -TERM "$pid" 2>/dev/null || true  # it may have just exited
    for _ in $(seq 1 $(( (grace + 5) * 4 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true  # the supervisor's group: worker included
    echo "Worker stopped."
  fi
  rm -f "$WORKER_PIDFILE"
}

# The base URL the server writes into capabilities, OGC API links and e-mails: the
# operator's PLANNING_PUBLIC_URL, else the address it listens on (make run PORT=8123 must
# not advertise :8000). A server listening on every interface is reached locally here.
public_url() {
  local host="$1" port="$2"
  case "$host" in
    ""|0.0.0.0) host=127.0.0.1 ;;
    ::) host="[::1]" ;;
    *:*) host="[$host]" ;;
  esac
  echo "${PLANNING_PUBLIC_URL:-http://$host:$port}"
}

start() {
  local host="$1" port="$2"
  PLANNING_PUBLIC_URL="$(public_url "$host" "$port")"
  export PLANNING_PUBLIC_URL  # for gunicorn and the worker started below
  if is_running; then
    echo "Server already running (pid $(cat "$PIDFILE"))."
  else
    rotate_large_logs
    gunicorn_command "$host" "$port"
    (cd "$ROOT" && "${GUNICORN[@]}")
    for _ in $(seq 1 60); do
      curl -fsS -o /dev/null "http://$host:$port/map/" 2>/dev/null && break
      sleep 0.5
    done
    curl -fsS -o /dev/null "http://$host:$port/map/" || { echo "Server did not start; see $LOG" >&2; exit 1; }
  fi
  start_worker
  cat <<MSG

The planning data server is up: http://$host:$port/
  web map           http://$host:$port/map/
  WMS / WMTS        http://$host:$port/ows   (add it to QGIS as WMS or WMTS)
  XYZ tiles         http://$host:$port/tiles/plans/{z}/{x}/{y}.png
  REST API          http://$host:$port/api/   (OpenAPI: /api/schema/, docs: /api/docs/)
  job worker        pid $(cat "$WORKER_PIDFILE"), log $WORKER_LOG
  errors            $VAR/log/errors.log (tracebacks), $LOG (server output)
  admin             http://$host:$port/admin/
Demo accounts (first start only; on a shared server delete them in the admin):
  planner / planner-demo, reviewer / reviewer-demo, approver / approver-demo, admin / admin-demo
Stop everything with: make stop
MSG
}

stop() {
  stop_worker
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
  worker-start) start_worker ;;
  worker-stop) stop_worker ;;
  command) gunicorn_command "${2:-127.0.0.1}" "${3:-8000}"; printf '%q ' "${GUNICORN[@]}"; echo ;;
  public-url) public_url "${2:-127.0.0.1}" "${3:-8000}" ;;
  *) echo "usage: $0 start HOST PORT | stop | command HOST PORT | public-url HOST PORT | worker-start | worker-stop" >&2; exit 2 ;;
esac
