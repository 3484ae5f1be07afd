"""What the pipeline measures a new model by, and the rules its champion/challenger gate applies.

The final training job fits on train + validation and scores the untouched ``test`` split (see
``scripts/train.py``); those holdout metrics are the challenger's. :func:`report` renders them as
an evaluation report in SageMaker's model quality JSON layout (``binary_classification_metrics``),
which the registered version points at through ``ModelMetrics.ModelQuality.Statistics``.

Airflow-free and cheap to import.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["GATE_GUARDRAILS", "GATE_METRICS", "HOLDOUT_PREFIX", "holdout_metrics", "report", "report_uri"]

HOLDOUT_PREFIX = "test:"

#: Objectives: a new model must lower the holdout log loss (by any amount: "not worse" ties pass).
GATE_METRICS: dict[str, Any] = {"test:logloss": {"direction": "minimize", "min_improvement": 0.0}}
#: Guardrails: AUC and accuracy may not drop by more than this on the holdout.
GATE_GUARDRAILS: dict[str, Any] = {
    "test:auc": {"direction": "maximize", "max_regression": 0.005},
    "test:accuracy": {"direction": "maximize", "max_regression": 0.02},
}


def holdout_metrics(final_metrics: dict[str, float]) -> dict[str, float]:
    """The final job's metrics on the ``test`` split, ``{"test:auc": ...}``."""
    return {name: float(value) for name, value in final_metrics.items() if name.startswith(HOLDOUT_PREFIX)}


def report(training_job_name: str, metrics: dict[str, float]) -> dict[str, Any]:
    """An evaluation report in SageMaker's model quality layout, plus where it came from."""
    return {
        "binary_classification_metrics": {
            name.removeprefix(HOLDOUT_PREFIX): {"value": value, "standard_deviation": "NaN"}
            for name, value in sorted(metrics.items())
        },
        "source": {"training_job_name": training_job_name, "split": "test"},
    }


def report_uri(output_uri: str, training_job_name: str) -> str:
    return f"{output_uri.rstrip('/')}/evaluation/{training_job_name}/evaluation.json"


def report_bytes(training_job_name: str, metrics: dict[str, float]) -> bytes:
    return json.dumps(report(training_job_name, metrics), indent=2, sort_keys=True).encode()
