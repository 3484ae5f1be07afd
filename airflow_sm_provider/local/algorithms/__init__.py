"""SageMaker's built-in algorithms, run locally in place of their container images.

A training job whose ``TrainingImage`` is a built-in algorithm's image and that names no
``sagemaker_program`` runs the algorithm's local entry point instead of failing for want of a
script; with ``sagemaker_program`` the image is a framework image and script mode runs as usual.
Only XGBoost is emulated (:mod:`.xgboost_spec` for what the service knows about it, such as its
metrics; :mod:`.xgboost_train` the training entry point, which needs the optional ``xgboost``
package: ``pip install airflow-sm-provider[local-xgboost]``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from airflow_sm_provider.local.algorithms import xgboost_spec

__all__ = ["BuiltinAlgorithm", "builtin_for"]


@dataclass(frozen=True)
class BuiltinAlgorithm:
    """A built-in algorithm the local backend can run.

    :param name: e.g. ``xgboost``.
    :param module: the entry point, run as ``python -m module``.
    :param requirement: the importable package it needs, and the extra that installs it.
    :param metrics: its ``MetricDefinitions`` (name, regex) and ``directions`` (name -> Maximize
        or Minimize) for tuning objectives.
    """

    name: str
    module: str
    requirement: tuple[str, str]
    metrics: tuple[tuple[str, str], ...]
    directions: dict[str, str]

    def metric_definitions(self) -> list[dict[str, str]]:
        return [{"Name": name, "Regex": regex} for name, regex in self.metrics]

    def missing(self) -> str | None:
        """Why it cannot run here (its package is not installed), or None."""
        package, extra = self.requirement
        if importlib.util.find_spec(package) is None:
            return (
                f"the built-in {self.name} algorithm needs the '{package}' package: install "
                f"airflow-sm-provider[{extra}] where the local backend runs"
            )
        return None


XGBOOST = BuiltinAlgorithm(
    name="xgboost",
    module="airflow_sm_provider.local.algorithms.xgboost_train",
    requirement=("xgboost", "local-xgboost"),
    metrics=xgboost_spec.METRIC_DEFINITIONS,
    directions=xgboost_spec.DIRECTIONS,
)


def builtin_for(request: dict) -> BuiltinAlgorithm | None:
    """The built-in algorithm a training request (or definition) runs, or None for script mode."""
    spec = request.get("AlgorithmSpecification") or {}
    hyperparameters = request.get("HyperParameters") or request.get("StaticHyperParameters") or {}
    if "sagemaker_program" in hyperparameters:
        return None
    if xgboost_spec.is_image(spec.get("TrainingImage") or ""):
        return XGBOOST
    return None
