"""The training job kind: its row, progress line and XCom result."""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.jobs.kind import Description, JobKind, Outcome


def strip_internal(hyperparameters: dict[str, str] | None) -> dict[str, str]:
    """Drop keys SageMaker adds for its own use (``_tuning_objective_metric``)."""
    return {k: v for k, v in (hyperparameters or {}).items() if not k.startswith("_")}


def training_progress(description: Description) -> str:
    status = description.get("TrainingJobStatus", "?")
    secondary = description.get("SecondaryStatus")
    return f"{status} / {secondary}" if secondary else status


def training_result(description: Description, best_description: Description | None = None) -> dict[str, Any]:
    """The training ``return_value`` XCom of DESIGN.md, JSON-native only."""
    return {
        "training_job_name": description["TrainingJobName"],
        "training_job_arn": description["TrainingJobArn"],
        "status": description["TrainingJobStatus"],
        "secondary_status": description.get("SecondaryStatus"),
        "model_artifacts": (description.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
        "final_metrics": {
            item["MetricName"]: item["Value"] for item in description.get("FinalMetricDataList") or []
        },
        "hyperparameters": strip_internal(description.get("HyperParameters")),
        "billable_seconds": description.get("BillableTimeInSeconds"),
    }


def training_reporter(hook: Any, job_name: str, log: Any, since_ms: int | None, after_trigger: bool) -> Any:
    """The training script's output, from ``since_ms`` (``None``: from the start)."""
    from airflow_sm_provider.logtail import LogCursor
    from airflow_sm_provider.reporting import TrainingOutput

    return TrainingOutput(hook, LogCursor(job_name, after_ms=since_ms or 0), log)


TRAINING = JobKind(
    name="training",
    label="training job",
    name_key="TrainingJobName",
    arn_key="TrainingJobArn",
    status_key="TrainingJobStatus",
    status_enum="TrainingJobStatus",
    max_name_length=63,
    create_operation="CreateTrainingJob",
    describe_operation="DescribeTrainingJob",
    stop_operation="StopTrainingJob",
    list_operation="ListTrainingJobs",
    list_key="TrainingJobSummaries",
    statuses={
        "InProgress": Outcome.RUNNING,
        "Stopping": Outcome.RUNNING,
        "Completed": Outcome.SUCCEEDED,
        "Failed": Outcome.FAILED,
        "Stopped": Outcome.FAILED,
        "Deleting": Outcome.FAILED,
    },
    trigger="airflow_sm_provider.triggers.sagemaker.SageMakerTrainingTrigger",
    amazon_xcom_key="Training",
    local_console_path="training-jobs",
    has_log_streams=True,
    console_fragment="jobs",
    # A completed training job's summary is its verdict; its result is re-described on resume.
    summary_settles_success=True,
    progress=training_progress,
    result=training_result,
    reporter=training_reporter,
)
