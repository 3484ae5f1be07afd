"""Make ``dags/`` importable as Airflow does for DAG files, so tests import ``retraining`` as they do."""

from __future__ import annotations

import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[3] / "dags"
if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))
