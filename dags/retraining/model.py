"""What the DAGs know about ``scripts/train.py``: the metrics it prints, the objective, the search space.

``train.py`` prints ``[stage k/n] train-logloss=0.1 validation-logloss=0.2 ...`` once per
reported boosting stage; SageMaker keeps the last match of each regex as the final value.
``validation:*`` metrics appear in tuning trials, ``test:*`` in the final run, ``train:*`` in
both.

These specs are shared by every DAG that imports them, and Airflow renders specs in place: keep
templates out of this module (build templated specs in the DAG file).
"""

from __future__ import annotations

from airflow_sm_provider.specs import (
    ContinuousRange,
    IntegerRange,
    MetricDefinition,
    Objective,
    ObjectiveType,
    ParameterRange,
    ScalingType,
)

__all__ = ["ENTRY_POINT", "METRIC_DEFINITIONS", "OBJECTIVE", "RANGES", "metric_definitions"]

# The script SageMaker's script mode runs from the staged source archive.
ENTRY_POINT = "train.py"

_NUMBER = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"


def metric_definitions(*channels: str) -> list[MetricDefinition]:
    """What ``train.py`` prints for these input channels: ``<channel>:logloss``, ``:accuracy``, ``:auc``.

    Define only what a job reports (the training operator warns about a metric that never
    matched): tuning trials read ``train`` and ``validation``, a final run ``train`` and ``test``.
    """
    return [
        MetricDefinition(name=f"{channel}:{metric}", regex=f"{channel}-{metric}={_NUMBER}")
        for channel in channels
        for metric in ("logloss", "accuracy", "auc")
    ]


# Every metric train.py can print.
METRIC_DEFINITIONS: list[MetricDefinition] = metric_definitions("validation", "test", "train")

# Log loss rather than accuracy: on 114 validation rows accuracy moves in steps of ~0.9 % and
# ties a lot, which leaves a Bayesian search nothing to model.
OBJECTIVE = Objective(metric_name="validation:logloss", type=ObjectiveType.MINIMIZE)

# A search space that keeps one trial at a few seconds on 2 cores (the cost is mostly importing
# scikit-learn; 200 stages of depth 5 still fit in well under a second).
RANGES: list[ParameterRange] = [
    IntegerRange(name="n_estimators", min_value=20, max_value=200, scaling=ScalingType.AUTO),
    IntegerRange(name="max_depth", min_value=2, max_value=5, scaling=ScalingType.AUTO),
    IntegerRange(name="min_samples_leaf", min_value=1, max_value=20, scaling=ScalingType.AUTO),
    ContinuousRange(name="learning_rate", min_value=0.01, max_value=0.3, scaling=ScalingType.LOGARITHMIC),
    ContinuousRange(name="subsample", min_value=0.5, max_value=1.0, scaling=ScalingType.LINEAR),
]
