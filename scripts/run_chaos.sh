#!/usr/bin/env bash
# `make test-chaos`: the fault-injection suite (tests/chaos, marker `chaos`), which `make test`
# leaves out. It prints one table of counts per scenario (faults injected, task failures, jobs
# created, jobs lost, jobs stopped, orphan processes, secrets found in logs, attacks accepted)
# and its wall time; the tests assert that the ones that must be zero are. The table is also
# kept in artifacts/chaos/counts.txt. The two-triggerer case needs Debian's postgresql package
# (`make test-chaos` installs it when missing) and skips without it.
set -uo pipefail
cd "$(dirname "$0")/.."
report="$(mktemp -d -t sm-chaos-XXXXXX)"
trap 'rm -rf "$report"' EXIT
export SM_CHAOS_REPORT_DIR="$report"
started=$SECONDS
.venv/bin/python -m pytest -q -p no:cacheprovider -m chaos -n "${PYTEST_WORKERS:-2}" tests/chaos "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no chaos tests" >&2
  status=1
fi
mkdir -p artifacts/chaos
.venv/bin/python -c 'import sys; from pathlib import Path; from tests.chaos.conftest import table; print(table(Path(sys.argv[1])))' "$report" \
  | tee artifacts/chaos/counts.txt
echo "chaos suite wall time: $((SECONDS - started)) s (exit $status)" | tee -a artifacts/chaos/counts.txt
exit "$status"
