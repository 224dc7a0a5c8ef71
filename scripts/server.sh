#!/usr/bin/env bash
# Start or stop the application server (gunicorn) and the background-job worker
# (Procrastinate) in the background. `start` on a running server reloads gunicorn and
# restarts the worker, so that both run the code as it is now (`git pull && make run`).
# `command` prints the gunicorn command line (daemonising: docs/deployment.md gives the
# systemd units).
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
LAUNCH_FILE="$VAR/run/gunicorn.launch"
WORKER_CODE_FILE="$VAR/run/worker.code"
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

# The address a local client reaches the server at: one listening on every interface is
# reached on the loopback, an IPv6 address is bracketed.
local_address() {
  case "$1" in
    ""|0.0.0.0) echo 127.0.0.1 ;;
    ::) echo "[::1]" ;;
    *:*) echo "[$1]" ;;
    *) echo "$1" ;;
  esac
}

# The base URL the server writes into capabilities, OGC API links and e-mails: the
# operator's PLANNING_PUBLIC_URL, else the address it listens on (make run PORT=8123 must
# not advertise :8000).
public_url() {
  echo "${PLANNING_PUBLIC_URL:-http://$(local_address "$1"):$2}"
}

# The Host header of the readiness check. Django answers 400 (and logs it) to a host
# outside PLANNING_ALLOWED_HOSTS, so 127.0.0.1 fails in production: send PLANNING_PUBLIC_URL's
# host when allowed, else the first allowed host (a pattern's own domain). The hosts are
# parsed by planning/config.py, as the server does.
allowed_host() {
  (cd "$ROOT" && .venv/bin/python - <<'PY'
import os
from urllib.parse import urlsplit

from django.http.request import split_domain_port, validate_host

from planning import config

allowed = config._allowed_hosts()
public = urlsplit(os.environ.get("PLANNING_PUBLIC_URL", "")).netloc.rpartition("@")[2]
candidates = [public] + [{"*": "localhost"}.get(h, h.lstrip(".")) for h in allowed]
print(next((c for c in candidates if c and validate_host(split_domain_port(c)[0], allowed)), ""))
PY
  )
}

# Whether the server answers the map page. The page itself, not the HTTPS redirect: a
# request through the proxy would say it came over HTTPS (trusted with PLANNING_BEHIND_PROXY).
answers() {
  curl -fsS -o /dev/null -H "Host: $READY_HOST" -H "X-Forwarded-Proto: https" \
    "http://$(local_address "$1"):$2/map/" 2>/dev/null
}

# Waits up to 30 s for the server to answer; false if it does not, or once gunicorn, seen
# running, exits (a worker failed to boot: gunicorn halts and removes its pid file).
wait_until_ready() {
  local host="$1" port="$2" seen=""
  for _ in $(seq 1 60); do
    answers "$host" "$port" && return 0
    if is_running; then seen=1; elif [ -n "$seen" ]; then return 1; fi
    sleep 0.5
  done
  answers "$host" "$port"
}

# What gunicorn was started with: its command line and the settings in the environment.
# A reload (HUP) keeps both, so when either changed only a restart applies them. A hash,
# kept private: the environment holds the secret key and the database password.
launch_fingerprint() {
  { printf '%q ' "${GUNICORN[@]}"; echo; env | grep -E '^(PLANNING_|DATABASE_URL=)' | sort || true; } |
    sha256sum | cut -d' ' -f1
}

# The code a worker runs: the commit and the uncommitted changes (empty outside a git
# checkout, where the worker is always restarted), with the launch fingerprint.
code_fingerprint() {
  local commit
  commit="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null)" || return 0
  { echo "$commit"; git -C "$ROOT" diff HEAD 2>/dev/null; launch_fingerprint; } |
    sha256sum | cut -d' ' -f1
}

# A worker already on the current code and settings keeps running (and its job with it):
# `make run` twice must not cut an import short. Otherwise it is restarted.
refresh_worker() {
  local code
  code="$(code_fingerprint)"
  if [ -n "$code" ] && worker_running && [ "$code" = "$(cat "$WORKER_CODE_FILE" 2>/dev/null)" ]; then
    echo "Worker already running the current code."
    return 0
  fi
  stop_worker  # a running job gets PLANNING_WORKER_GRACE seconds to finish
  start_worker
  (umask 077 && echo "$code" >"$WORKER_CODE_FILE")
}

# Stops what runs, rather than leaving a half-started server (or a worker on the old code
# after a failed upgrade) for the operator to find.
fail() {
  echo "$1; see $LOG and $VAR/log/errors.log" >&2
  stop
  exit 1
}

start_server() {
  local host="$1" port="$2"
  rotate_large_logs
  (umask 077 && launch_fingerprint >"$LAUNCH_FILE")
  (cd "$ROOT" && "${GUNICORN[@]}")
  wait_until_ready "$host" "$port" || fail "Server did not start"
}

# A graceful reload: gunicorn (its app not preloaded) starts new workers, which import the
# code as it is now, and lets the old ones finish their requests (up to its graceful
# timeout, 30 s). Waits until the old workers are gone, so that "up" means the new code.
reload_server() {
  local host="$1" port="$2" master old
  master="$(cat "$PIDFILE")"
  old="$(pgrep -P "$master" || true)"
  kill -HUP "$master"
  for _ in $(seq 1 140); do
    # shellcheck disable=SC2086 # a list of pids
    any_alive $old || break
    sleep 0.25
  done
  wait_until_ready "$host" "$port" || fail "Server did not come back after the reload"
  echo "Server reloaded: its workers run the current code."
}

any_alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

stop_server() {
  if is_running; then
    kill "$(cat "$PIDFILE")"
    # gunicorn lets running requests finish, up to its graceful timeout (30 s).
    for _ in $(seq 1 140); do is_running || break; sleep 0.25; done
    echo "Server stopped."
  fi
  rm -f "$PIDFILE" "$LAUNCH_FILE"
}

# `make run`, also on a running server (`git pull && make run`): the code just migrated must
# be the code that runs, so a running gunicorn is reloaded (restarted when its command line
# or settings changed) and the worker restarted.
start() {
  local host="$1" port="$2"
  PLANNING_PUBLIC_URL="$(public_url "$host" "$port")"
  export PLANNING_PUBLIC_URL  # for gunicorn and the worker started below
  READY_HOST="$(allowed_host)" || READY_HOST=""  # a settings error: gunicorn will say it
  READY_HOST="${READY_HOST:-$(local_address "$host"):$port}"
  gunicorn_command "$host" "$port"
  if ! is_running; then
    start_server "$host" "$port"
  elif [ "$(launch_fingerprint)" = "$(cat "$LAUNCH_FILE" 2>/dev/null)" ]; then
    reload_server "$host" "$port"
  else
    echo "Server running with another command line or settings: restarting it."
    stop_server
    start_server "$host" "$port"
  fi
  refresh_worker
  cat <<MSG

The planning data server is up: http://$host:$port/
  web map           http://$host:$port/map/
  WMS / WMTS        http://$host:$port/ows   (add it to QGIS as WMS or WMTS)
  XYZ tiles         http://$host:$port/tiles/plans/{z}/{x}/{y}.png
  REST API          http://$host:$port/api/   (OpenAPI: /api/schema/, docs: /api/docs/)
  job worker        pid $(cat "$WORKER_PIDFILE"), log $WORKER_LOG
  errors            $VAR/log/errors.log (tracebacks), $LOG (server output)
  admin             http://$host:$port/admin/
Demo accounts (first start only; on a shared server deactivate them in the admin):
  planner / planner-demo, reviewer / reviewer-demo, approver / approver-demo, admin / admin-demo
Stop everything with: make stop
MSG
}

stop() {
  stop_worker
  stop_server
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
