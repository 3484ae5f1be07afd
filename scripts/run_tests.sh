#!/usr/bin/env bash
# Run pytest in the project environment. Exit status 5 ("no tests collected") is a failure
# here: a suite that silently collects nothing must not pass CI.
set -uo pipefail
cd "$(dirname "$0")/.."
# Two workers: most tests wait on real processes (training jobs, Airflow components), so the
# suite's wall time halves on a 2-core machine. Each worker has its own AIRFLOW_HOME.
.venv/bin/python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
