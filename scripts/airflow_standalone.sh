#!/usr/bin/env bash
# `make airflow`: a local Airflow 3 (api-server, scheduler, dag-processor, triggerer) with this
# provider, the embedded local SageMaker backend and an `aws_default` connection pointing at it.
# Everything binds 127.0.0.1; Ctrl-C stops every process this script started.
#
# Each component runs on its own rather than under `airflow standalone`, so this script knows
# every process group it owns, can stop them in order, and can tell which one died.
#
# Settings (environment; the defaults suit `make airflow`):
#   SM_AIRFLOW_DIR        state root (default: <repo>/.airflow)
#   SM_AIRFLOW_PORT       API server / UI port (default 8080)
#   SM_BACKEND_PORT       local SageMaker backend port (default 0: a free one)
#   SM_AIRFLOW_PASSWORD   password of the `admin` user; without it one is generated once and
#                         kept in $SM_AIRFLOW_DIR/simple_auth_manager_passwords.json
#   SM_AIRFLOW_ALL_ADMINS set to 1 to skip the login (everyone who reaches the port is admin)
#   AIRFLOW_VAR_SM_RETRAINING_*  override a DAG Variable (the environment wins over the DB)
set -euo pipefail
# Job control gives every background component its own process group, so a stop reaches the
# workers and subprocesses each component forks, and the terminal's Ctrl-C reaches only us.
set -m

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV_BIN="$ROOT/.venv/bin"
PY="$VENV_BIN/python"
STATE="${SM_AIRFLOW_DIR:-$ROOT/.airflow}"
PORT="${SM_AIRFLOW_PORT:-8080}"
BACKEND_PORT="${SM_BACKEND_PORT:-0}"
LOGS="$STATE/logs"
DATA="$STATE/data"
PASSWORDS="$STATE/simple_auth_manager_passwords.json"
START_TIMEOUT="${SM_AIRFLOW_START_TIMEOUT:-240}"

mkdir -p "$STATE/home" "$STATE/sm-home" "$LOGS" "$DATA"
export PATH="$VENV_BIN:$PATH"

declare -a NAMES=() PIDS=()

say() { printf '[airflow-local] %s\n' "$*"; }

# shellcheck disable=SC2317  # reached through the traps below
stop_all() {
  trap - INT TERM EXIT
  local i pid deadline
  [ "${#PIDS[@]}" -eq 0 ] && return 0
  say "stopping ${NAMES[*]}"
  # Newest first: the API server and triggerer go before the scheduler, the backend (which
  # stops its running training jobs) last.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM -- "-${PIDS[$i]}" 2>/dev/null || true
  done
  deadline=$((SECONDS + 30))
  for pid in "${PIDS[@]}"; do
    # bash reaps its children as they exit, so a group is gone once all its members are.
    while kill -0 -- "-$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  say "stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

start() {  # start NAME COMMAND...: run in the background, output to $LOGS/NAME.log
  local name="$1"
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  NAMES+=("$name")
  PIDS+=("$!")
}

fail() {
  say "$1; last lines of $LOGS/$2.log:" >&2
  tail -n 30 "$LOGS/$2.log" >&2 || true
  exit 1
}

# --- the local SageMaker backend -----------------------------------------------------------
start sm-backend "$PY" -m airflow_sm_provider.local serve --host 127.0.0.1 --port "$BACKEND_PORT" \
  --home "$STATE/sm-home" --log-level WARNING
ENDPOINT=""
deadline=$((SECONDS + 60))
while [ -z "$ENDPOINT" ]; do
  ENDPOINT="$(head -n 1 "$LOGS/sm-backend.log" 2>/dev/null | grep -o '^http://[^[:space:]]*' || true)"
  kill -0 "${PIDS[0]}" 2>/dev/null || fail "the local SageMaker backend exited" sm-backend
  [ "$SECONDS" -lt "$deadline" ] || fail "the local SageMaker backend did not print its URL" sm-backend
  [ -n "$ENDPOINT" ] || sleep 0.2
done
say "local SageMaker backend: $ENDPOINT (state in $STATE/sm-home)"

# --- Airflow configuration -----------------------------------------------------------------
export AIRFLOW_HOME="$STATE/home"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__API__WORKERS=1
export AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES=1
# A pipeline scheduled @weekly would start a run for the last week as soon as it is unpaused;
# locally you trigger runs yourself. Export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=True to keep
# the schedule.
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="${AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE:-False}"
export AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
# The provider's UI plugin (the SageMaker view on task instance pages) is listed in its provider
# info, which Airflow reads for plugins only with lazy provider discovery off; an installed
# `airflow.plugins` entry point for it is read either way (and then the switch would register it
# twice, which Airflow reports as a plugin import error).
if ! "$PY" -c 'import sys
from importlib.metadata import entry_points
sys.exit(not any(e.value.startswith("airflow_sm_provider.") for e in entry_points(group="airflow.plugins")))'; then
  export AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS=False
fi
# The backend answers only requests signed with its key (generated into its home on first start):
# its 'connection' command prints aws_default for it. The secret stays out of the terminal.
AIRFLOW_CONN_AWS_DEFAULT="$("$PY" -m airflow_sm_provider.local connection --home "$STATE/sm-home" \
  --port "${ENDPOINT##*:}")" || fail "could not read the local backend's connection" sm-backend
export AIRFLOW_CONN_AWS_DEFAULT

if [ "${SM_AIRFLOW_ALL_ADMINS:-0}" = 1 ]; then
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
  LOGIN="no login: everyone who reaches 127.0.0.1:$PORT is admin (SM_AIRFLOW_ALL_ADMINS=1)"
else
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=False
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$PASSWORDS"
  # Written by us, not by Airflow, so the password is never printed to the terminal or a log.
  (umask 077 && "$PY" - "$PASSWORDS" <<'EOF'
import json, os, secrets, sys

path = sys.argv[1]
chosen = os.environ.get("SM_AIRFLOW_PASSWORD")
try:
    with open(path) as stream:
        current = json.load(stream)
except (OSError, ValueError):
    current = {}
if chosen or not current.get("admin"):
    current["admin"] = chosen or secrets.token_urlsafe(12)
    with open(path, "w") as stream:
        json.dump(current, stream)
EOF
  )
  unset SM_AIRFLOW_PASSWORD  # the components read the file; keep it out of their environment
  LOGIN="user admin; password in $PASSWORDS"
fi

say "migrating the metadata DB in $AIRFLOW_HOME"
airflow db migrate >"$LOGS/db-migrate.log" 2>&1 || fail "airflow db migrate failed" db-migrate

# --- the Airflow components ------------------------------------------------------------------
start dag-processor airflow dag-processor
start scheduler airflow scheduler --skip-serve-logs
start triggerer airflow triggerer --skip-serve-logs
start api-server airflow api-server --host 127.0.0.1 --port "$PORT"

say "waiting for Airflow to report healthy on http://127.0.0.1:$PORT (up to ${START_TIMEOUT}s)"
deadline=$((SECONDS + START_TIMEOUT))
until "$PY" - "http://127.0.0.1:$PORT/api/v2/monitor/health" <<'EOF'
import json, sys, urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        health = json.load(response)
except (OSError, ValueError):
    sys.exit(1)
parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
sys.exit(0 if all((health.get(part) or {}).get("status") == "healthy" for part in parts) else 1)
EOF
do
  for i in "${!PIDS[@]}"; do
    kill -0 "${PIDS[$i]}" 2>/dev/null || fail "${NAMES[$i]} exited during start-up" "${NAMES[$i]}"
  done
  [ "$SECONDS" -lt "$deadline" ] || fail "Airflow did not become healthy in ${START_TIMEOUT}s" api-server
  sleep 1
done

# The DAG's Variables, seeded on every start through the REST API (no extra Airflow process to
# import), so they follow this checkout; they show under Admin > Variables, and an exported
# AIRFLOW_VAR_* still wins over them.
"$PY" - "http://127.0.0.1:$PORT" "$PASSWORDS" "$DATA" "$ROOT/dags" >"$LOGS/variables.log" 2>&1 <<'EOF' ||
import json, pathlib, sys, time, urllib.error, urllib.request

base, passwords, data = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
sys.path.insert(0, sys.argv[4])
from retraining.config import name  # the Variables' one list (dags/retraining/config.py)


def call(method, path, body, token=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    # On SQLite a write can fail with "database is locked" (a 500) while another component
    # holds the lock: try again for a while.
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500 or time.monotonic() > deadline:
                raise
            print(f"{method} {path}: {error.code}, retrying", flush=True)
            time.sleep(1)


# In all-admins mode there is no password file and /auth/token ignores the credentials.
password = json.loads(passwords.read_text())["admin"] if passwords.exists() else ""
token = call("POST", "/auth/token", {"username": "admin", "password": password})["access_token"]
variables = {name(f"{part}_uri"): (data / part).as_uri() for part in ("data", "code", "output")}
variables[name("max_trials")] = "6"
entities = [{"key": key, "value": value} for key, value in variables.items()]
result = call("PATCH", "/api/v2/variables",
              {"actions": [{"action": "create", "entities": entities, "action_on_existence": "overwrite"}]}, token)
print(json.dumps(result))
sys.exit(1 if result.get("create", {}).get("errors") else 0)
EOF
  fail "seeding the Variables failed" variables

cat <<EOF

  Airflow UI:   http://127.0.0.1:$PORT/dags/sagemaker_retraining
  Login:        $LOGIN
  Approval:     trigger with {"approval": "person"} to approve or reject the new model version
                yourself (Browse > Required Actions, or the ask_a_person task's tab)
  SageMaker:    $ENDPOINT (aws_default points here)
  Logs:         $LOGS/<component>.log, task logs under $AIRFLOW_HOME/logs
  Press Ctrl-C to stop everything.

EOF

# Block until a component dies (or a signal runs the trap).
set +e
wait -n "${PIDS[@]}"
status=$?
set -e
for i in "${!PIDS[@]}"; do
  kill -0 "${PIDS[$i]}" 2>/dev/null || fail "${NAMES[$i]} exited (status $status)" "${NAMES[$i]}"
done
exit 1
