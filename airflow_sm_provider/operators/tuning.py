"""SageMakerTuningOperator: start (or reattach to) a hyperparameter tuning job and wait for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.jobs import TUNING
from airflow_sm_provider.links.sagemaker import SageMakerTuningJobLink
from airflow_sm_provider.operators.base import SageMakerJobOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class SageMakerTuningOperator(SageMakerJobOperator):
    """Run a SageMaker hyperparameter tuning job and publish the best training job's result.

    XCom: ``return_value`` is the tuning summary of DESIGN.md (the best job, its objective,
    tuned hyperparameters and model artifacts, the trial counters); key
    ``tuned_hyperparameters`` holds the best job's tuned hyperparameters exactly as SageMaker
    reports them, key ``best_training_job_name`` its name. A job that completes without any
    successful training job fails the task.

    :param config: The CreateHyperParameterTuningJob request (as boto3 takes it) or a
        :class:`~airflow_sm_provider.specs.TuningJobSpec`. Templated; never modified.

    The other parameters are those of
    :class:`~airflow_sm_provider.operators.training.SageMakerTrainingOperator`.
    """

    kind = TUNING
    operator_extra_links = (SageMakerTuningJobLink(),)

    def build_request(self, context: Context) -> dict[str, Any]:
        from airflow_sm_provider.specs import render_request
        from airflow_sm_provider.validation import normalize_tuning_request

        return normalize_tuning_request(render_request(self.config))

    def validate_request(self, request: dict[str, Any], *, local_endpoint: bool) -> None:
        from airflow_sm_provider.validation import validate_tuning_request

        validate_tuning_request(request, local_endpoint=local_endpoint)
