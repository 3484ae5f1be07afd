"""SageMakerTrainingOperator: start (or reattach to) a training job and wait for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.jobs import TRAINING
from airflow_sm_provider.links.sagemaker import SageMakerTrainingJobLink, SageMakerTrainingLogsLink
from airflow_sm_provider.operators.base import SageMakerJobOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


def hyperparameters_from(value: Any) -> dict[str, Any]:
    """``hyperparameters`` as given, or the tuned ones when given a tuning task's whole ``return_value``.

    Airflow maps only over ``return_value``, so ``.expand(hyperparameters=tune.output)`` over a
    mapped tuning task hands each training task a tuning result rather than its
    ``tuned_hyperparameters`` key.
    """
    from airflow_sm_provider.jobs.tuning import is_tuning_result, tuned_hyperparameters_of

    if not is_tuning_result(value):
        return dict(value)
    tuned = tuned_hyperparameters_of(value)
    if tuned is None:
        raise ConfigValidationError(
            "hyperparameters",
            f"the tuning result of {value['tuning_job_name']} has no best training job to take "
            "tuned hyperparameters from",
        )
    return tuned


class SageMakerTrainingOperator(SageMakerJobOperator):
    """Run a SageMaker training job.

    Without ``TrainingJobName`` in ``config`` the job gets a deterministic name from the task
    instance, so a retry reattaches instead of starting a second job: an InProgress job is
    waited for, a Completed one returns its result, a Failed or Stopped one is followed by a
    fresh job with an attempt suffix.

    :param config: The CreateTrainingJob request (as boto3 takes it) or a
        :class:`~airflow_sm_provider.specs.TrainingJobSpec`. Templated; never modified.
    :param hyperparameters: Merged over ``config["HyperParameters"]``, values stringified.
        Templated, and may be an XComArg such as ``tune.output["tuned_hyperparameters"]``, or a
        tuning task's whole ``return_value`` (its best job's tuned hyperparameters are taken):
        ``.expand(hyperparameters=tune.output)`` feeds mapped training tasks from mapped tuning tasks.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    :param wait_for_completion: Wait for the job to finish (otherwise return once it started).
    :param check_interval: Seconds between status checks, in the worker or the triggerer.
    :param max_ingestion_time: Give up waiting after this many seconds (the job keeps running);
        ``None`` waits as long as the job runs.
    :param action_if_job_exists: When an explicit name belongs to a job this task instance did not
        start: ``"fail"`` (default), ``"timestamp"`` (append ``-<unix time>``) or ``"increment"``
        (append ``-N``, one more than the highest such suffix). A job this task instance started is
        always reattached to, whatever this says.
    :param xcom_format: ``"default"`` (the contract in the README) or ``"amazon"`` (the amazon
        provider's ``{"Training": <DescribeTrainingJob>}`` / ``{"Tuning": ...}``, datetimes as ISO
        8601 strings), for DAGs migrating from it. Side keys are pushed either way.
    :param stop_job_on_kill: Stop the job when the task is killed, and when it times out with no
        retry to come. On the worker always; while deferred, only on Airflow 3.3+ (the first with
        ``BaseTrigger.on_kill``): on 3.0-3.2 killing a deferred task leaves the job running (the
        task log says so when it defers), and a re-run reattaches to it.
    :param deferrable: Wait in the triggerer instead of holding a worker slot.
    :param fail_on_missing_metrics: Fail the task when a MetricDefinition never matched (by
        default each one is a WARNING naming it, its regex and the closest log line).
    :param print_log: Copy the training script's output from CloudWatch Logs into the task log
        while the job runs, on every wait path (default ``True``, as the amazon provider). A job
        reattached to by a retry shows its output from then on.
    :param check_if_job_exists: Accepted for compatibility; the job is always looked up.
    """

    kind = TRAINING
    template_fields = ("config", "hyperparameters", "aws_conn_id", "region_name")
    operator_extra_links = (SageMakerTrainingJobLink(), SageMakerTrainingLogsLink())

    def __init__(
        self,
        *,
        config: Any,
        hyperparameters: Any = None,
        check_if_job_exists: bool = True,
        fail_on_missing_metrics: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(config=config, **kwargs)
        self.hyperparameters = hyperparameters
        self.fail_on_missing_metrics = fail_on_missing_metrics
        # Accepted so DAGs written for the amazon provider's operator only change their import:
        # the job is always looked up (that is what lets a retry reattach).
        self.check_if_job_exists = check_if_job_exists

    def build_request(self, context: Context) -> dict[str, Any]:
        from airflow_sm_provider.specs import render_request
        from airflow_sm_provider.validation import normalize_training_request

        request = render_request(self.config)
        if self.hyperparameters:
            request["HyperParameters"] = {
                **(request.get("HyperParameters") or {}),
                **hyperparameters_from(self.hyperparameters),
            }
        return normalize_training_request(request)

    def after_success(self, description: dict[str, Any]) -> None:
        from airflow_sm_provider import metrics

        lines = None
        if metrics.unmatched_definitions(description):
            lines = self.hook.training_log_lines(description["TrainingJobName"], metrics.LOG_LINES_READ)
        metrics.check_reported(description, lines, self.log, fail=self.fail_on_missing_metrics)

    def validate_request(self, request: dict[str, Any], *, local_endpoint: bool) -> None:
        from airflow_sm_provider.validation import validate_training_request

        validate_training_request(request, local_endpoint=local_endpoint)
