"""The knobs of a tuning job: objective, budget, strategy settings, completion, warm start."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec, compact
from airflow_sm_provider.specs.enums import ObjectiveType, WarmStartType


@attrs.define(kw_only=True, repr=False)
class Objective(Spec):
    """The metric a tuning job optimises.

    :param metric_name: One of the algorithm's metric definitions, e.g. ``validation:rmse``.
    :param type: Minimize or Maximize.
    """

    metric_name: str
    type: ObjectiveType | str = ObjectiveType.MINIMIZE

    template_fields: ClassVar[tuple[str, ...]] = ("metric_name",)

    def to_request(self) -> dict[str, Any]:
        return compact(Type=self.type, MetricName=self.metric_name)


@attrs.define(kw_only=True, repr=False)
class ResourceLimits(Spec):
    """The budget of a tuning job.

    :param max_parallel_training_jobs: Training jobs running at once.
    :param max_number_of_training_jobs: Training jobs in total (leave out for a Grid search:
        SageMaker counts the combinations).
    :param max_runtime_in_seconds: Wall-clock limit of the whole tuning job.
    """

    max_parallel_training_jobs: int | str
    max_number_of_training_jobs: int | str | None = None
    max_runtime_in_seconds: int | str | None = None

    template_fields: ClassVar[tuple[str, ...]] = (
        "max_parallel_training_jobs",
        "max_number_of_training_jobs",
        "max_runtime_in_seconds",
    )

    def to_request(self) -> dict[str, Any]:
        return compact(
            MaxNumberOfTrainingJobs=self.max_number_of_training_jobs,
            MaxParallelTrainingJobs=self.max_parallel_training_jobs,
            MaxRuntimeInSeconds=self.max_runtime_in_seconds,
        )


@attrs.define(kw_only=True, repr=False)
class HyperbandStrategyConfig(Spec):
    """Resource bounds of the Hyperband strategy (in the unit the training code reports, e.g. epochs).

    :param min_resource: Smallest amount a training job gets before it may be stopped.
    :param max_resource: Largest amount a training job may use.
    """

    min_resource: int | None = None
    max_resource: int | None = None

    def to_request(self) -> dict[str, Any]:
        return compact(MinResource=self.min_resource, MaxResource=self.max_resource)


@attrs.define(kw_only=True, repr=False)
class CompletionCriteria(Spec):
    """When a tuning job may stop before its budget is spent.

    :param target_objective_metric_value: Stop once the objective reaches this value.
    :param max_number_of_training_jobs_not_improving: Stop after this many jobs without improvement (>= 3).
    :param complete_on_convergence: Let SageMaker stop when it detects convergence.
    """

    target_objective_metric_value: float | None = None
    max_number_of_training_jobs_not_improving: int | None = None
    complete_on_convergence: bool | None = None

    def to_request(self) -> dict[str, Any]:
        request: dict[str, Any] = compact(TargetObjectiveMetricValue=self.target_objective_metric_value)
        if self.max_number_of_training_jobs_not_improving is not None:
            request["BestObjectiveNotImproving"] = {
                "MaxNumberOfTrainingJobsNotImproving": self.max_number_of_training_jobs_not_improving
            }
        if self.complete_on_convergence is not None:
            request["ConvergenceDetected"] = {
                "CompleteOnConvergence": "Enabled" if self.complete_on_convergence else "Disabled"
            }
        return request


@attrs.define(kw_only=True, repr=False)
class WarmStart(Spec):
    """Start a tuning job from what earlier tuning jobs learnt.

    :param parent_tuning_job_names: Up to five earlier tuning jobs.
    :param type: IdenticalDataAndAlgorithm or TransferLearning.
    """

    parent_tuning_job_names: list[str]
    type: WarmStartType | str = WarmStartType.IDENTICAL_DATA_AND_ALGORITHM

    template_fields: ClassVar[tuple[str, ...]] = ("parent_tuning_job_names",)

    def to_request(self) -> dict[str, Any]:
        return compact(
            ParentHyperParameterTuningJobs=[
                {"HyperParameterTuningJobName": name} for name in self.parent_tuning_job_names
            ],
            WarmStartType=self.type,
        )
