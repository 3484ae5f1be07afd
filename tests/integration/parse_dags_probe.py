"""Run in a fresh process: parse dags/ as the dag-processor would, and report what parsing did.

Airflow itself is imported first (it reads its config); only then is an audit hook installed,
so everything recorded afterwards is caused by the DAG files: network connections, SQLite
connections (the metadata DB), subprocesses and files opened for writing or outside the
interpreter and the repository's code.
"""

import json
import os
import sys

import airflow  # noqa: F401  (config loaded before auditing starts)
from airflow.dag_processing.dagbag import BundleDagBag

DAGS = sys.argv[1]
REPO = os.path.dirname(os.path.abspath(DAGS))
ALLOWED_READ_ROOTS = (sys.prefix, sys.base_prefix, REPO)
events = []


def audit(event, args):
    if event in ("socket.connect", "sqlite3.connect", "subprocess.Popen", "os.system"):
        events.append(f"{event} {args[:2]!r}")
    elif event == "open":
        path, mode = args[0], args[1]
        if not isinstance(path, str):
            return
        writing = isinstance(mode, str) and any(c in mode for c in "wax+")
        if writing or not os.path.abspath(path).startswith(ALLOWED_READ_ROOTS):
            events.append(f"open {path} {mode}")


sys.addaudithook(audit)
# BundleDagBag puts the bundle on sys.path, as the dag-processor does
bag = BundleDagBag(dag_folder=DAGS, bundle_path=os.path.abspath(DAGS), bundle_name="dags-folder")
print(
    json.dumps(
        {
            "dags": sorted(bag.dags),
            "files": sorted(os.path.relpath(path, DAGS) for path in bag.file_last_changed),
            "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "warnings": {str(k): [str(w) for w in v] for k, v in bag.captured_warnings.items()},
            "events": events,
        }
    )
)
