#!/usr/bin/env bash
# Run pytest in the project environment. Exit status 5 ("no tests collected") is a failure
# here: a suite that silently collects nothing must not pass CI.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
