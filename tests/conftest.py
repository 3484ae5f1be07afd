"""Test-wide settings: a private AIRFLOW_HOME, no examples, no network credentials.

Airflow reads its configuration on first import, so the environment is set here, before any
test module imports Airflow.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

_HOME = Path(os.environ.get("SM_TEST_AIRFLOW_HOME") or tempfile.mkdtemp(prefix="sm-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# Each process its own metadata DB, in its own home: an xdist worker inherits the controller's
# environment, and two workers' dag.test() runs (or `airflow db migrate`) must not share a file.
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME / 'airflow.db'}"
# DAGs: the repository's dags/ is the default "dags-folder" bundle; tests/integration/dags holds
# DAGs that exist only for tests. dag.test() looks a DAG up in the configured bundles.
_REPO = Path(__file__).resolve().parent.parent
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_REPO / "dags")
os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps(
    [
        {
            "name": "dags-folder",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {},
        },
        {
            "name": "test-dags",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(_REPO / "tests" / "integration" / "dags")},
        },
    ]
)
# Nothing in the tests may reach AWS: fake credentials, and a region so clients can be built.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
