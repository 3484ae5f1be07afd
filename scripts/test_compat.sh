#!/usr/bin/env bash
# make test-compat: the unit tests and one dag.test() tune -> train on every supported Airflow minor.
#
# Each minor gets a fresh venv under .compat/<minor>, built by uv from the index uv.lock was
# resolved from, the way a user gets there:
# 1. Airflow: the newest release of the minor, with its dependencies as of one day after that
#    release was uploaded (--exclude-newer), standing in for Airflow's constraints file. Airflow
#    pins its dependencies only there, and later releases of them break older minors (3.0.6 with
#    today's fastapi, cadwyn and pydantic answers 422 to every task start; 3.2.2 with svcs 26, or
#    with cadwyn 9, fails every task start).
# 2. This project (editable, with every extra) and the dev group from pyproject.toml, on
#    top, without --upgrade: uv upgrades only what they require, as pip does for a user adding us
#    to an existing Airflow. The dev group comes from pyproject's specifiers, not the lock's pins:
#    those were resolved for the newest Airflow and would drag the older minors' stack along.
# What step 1 installed is kept in .compat/<minor>/airflow.txt, the final set in resolved.txt.
#
#   COMPAT_MINORS="3.0 3.2" make test-compat    run only some minors
#   COMPAT_AIRFLOW_3_0=3.0.0 make test-compat   an exact release instead of the minor's newest
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

UV=.tools/bin/uv
PYTHON=${PYTHON:-python3}
export UV_PYTHON_DOWNLOADS=never
read -r -a MINORS <<<"${COMPAT_MINORS:-3.0 3.1 3.2 3.3}"
# The one dag.test() tune -> train (deferrable, so the trigger runs too) on the local backend.
DAG_TEST="tests/integration/test_dag_tune_then_train.py::test_tuned_hyperparameters_reach_the_downstream_training_job[deferred]"
INDEX=$(grep -m1 -o 'registry = "[^"]*"' uv.lock | cut -d'"' -f2)
EXTRAS=$("$PYTHON" -c 'import tomllib; print(",".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]))')

if [ ! -x "$UV" ]; then
  echo "uv not found at $UV: run make setup first" >&2
  exit 1
fi

# release_of <minor> [<version>]: "<version> <cutoff>" for the newest final apache-airflow-core
# release of the minor (or that exact version), the cutoff being one day after its upload, read
# from the index's JSON API (PEP 691 and 700).
release_of() {
  "$PYTHON" - "$INDEX" "$@" <<'PY'
import datetime, json, re, sys, urllib.request

index, minor = sys.argv[1], sys.argv[2]
wanted = sys.argv[3] if len(sys.argv) > 3 else None
request = urllib.request.Request(
    index.rstrip("/") + "/apache-airflow-core/",
    headers={"Accept": "application/vnd.pypi.simple.v1+json"},
)
with urllib.request.urlopen(request, timeout=60) as response:
    files = json.load(response)["files"]
pattern = re.compile(rf"apache_airflow_core-({re.escape(minor)}\.\d+)-py3-none-any\.whl")
releases = {}
for entry in files:
    match = pattern.fullmatch(entry["filename"])
    if match and not entry.get("yanked") and entry.get("upload-time"):
        releases[match.group(1)] = entry["upload-time"]
version = wanted or max(releases, key=lambda v: tuple(map(int, v.split("."))), default=None)
if version not in releases:
    sys.exit(f"no apache-airflow-core {wanted or minor + '.*'} wheel with an upload time on {index}")
uploaded = datetime.datetime.fromisoformat(releases[version].replace("Z", "+00:00"))
cutoff = uploaded + datetime.timedelta(days=1)
print(version, cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
}

version_of() {  # version_of <resolved.txt> <distribution>
  sed -n "s/^$2==//p" "$1"
}

run_minor() {
  local minor=$1 env=.compat/$1
  local pin_var="COMPAT_AIRFLOW_${minor//./_}" release version cutoff
  release=$(release_of "$minor" ${!pin_var:+"${!pin_var}"}) || return 1
  read -r version cutoff <<<"$release"
  echo "== Airflow $minor: building $env (apache-airflow==$version, its dependencies as of $cutoff)"
  rm -rf "$env"
  "$UV" venv --quiet --python "$PYTHON" "$env" || return 1
  "$UV" pip install --quiet --python "$env/bin/python" --default-index "$INDEX" \
    --exclude-newer "$cutoff" "apache-airflow==$version" || return 1
  "$UV" pip freeze --quiet --python "$env/bin/python" >"$env/airflow.txt" || return 1
  # Editable, so the tests import this checkout and the provider entry point is registered; every
  # extra, as make setup installs them.
  "$UV" pip install --quiet --python "$env/bin/python" --default-index "$INDEX" \
    "apache-airflow==$version" --editable ".[$EXTRAS]" --group dev || return 1
  "$UV" pip freeze --quiet --python "$env/bin/python" >"$env/resolved.txt" || return 1
  echo "== Airflow $minor: upgraded for this project: $(awk -F'==' \
    'NR == FNR { was[$1] = $2; next } ($1 in was) && was[$1] != $2 { printf "%s %s->%s  ", $1, was[$1], $2 }' \
    "$env/airflow.txt" "$env/resolved.txt")"
  echo "== Airflow $minor: apache-airflow $(version_of "$env/resolved.txt" apache-airflow)," \
    "apache-airflow-providers-amazon $(version_of "$env/resolved.txt" apache-airflow-providers-amazon)"
  # Two workers, as in make test: the minors run one after another and each uses both cores.
  "$env/bin/python" -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" tests/unit "$DAG_TEST"
  local status=$?
  if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests" >&2
    return 1
  fi
  return "$status"
}

summary=()
failed=0
total_start=$SECONDS
for minor in "${MINORS[@]}"; do
  start=$SECONDS
  if run_minor "$minor"; then result=passed; else result=FAILED; failed=1; fi
  resolved=.compat/$minor/resolved.txt
  versions="airflow $(version_of "$resolved" apache-airflow 2>/dev/null), amazon $(version_of "$resolved" apache-airflow-providers-amazon 2>/dev/null)"
  summary+=("Airflow $minor: $result in $((SECONDS - start))s ($versions)")
done

echo
echo "== test-compat summary ($((SECONDS - total_start))s in all)"
printf '%s\n' "${summary[@]}"
exit "$failed"
