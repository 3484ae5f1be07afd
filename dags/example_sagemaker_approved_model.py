"""Example: a downstream DAG scheduled on the approved-model asset of ``sagemaker_retraining``.

Every time the retraining pipeline approves a new model version, its ``announce`` task updates
the ``sagemaker_retraining_approved_model`` asset; this DAG then runs and reads the event's
extras: the model package ARN and version, its metrics, tuned hyperparameters and the jobs that
produced it. Deploying is left as a placeholder that logs what it would deploy, after checking
in the registry that the version is still Approved (someone may have rejected it since).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task
from retraining.assets import APPROVED_MODEL
from retraining.config import var


def approved_versions(events: Any) -> list[dict[str, Any]]:
    """The extras of the approved-model events that triggered this run (none for a manual run)."""
    if not events:
        return []
    try:  # Airflow's accessor is indexed by the asset itself
        matched = events[APPROVED_MODEL]
    except KeyError:
        return []
    return [dict(event.extra) for event in matched]


@task
def deploy_placeholder(aws_conn_id: str, **context: Any) -> list[dict[str, Any]]:
    """Log what would be deployed for each newly approved version, if it is still Approved."""
    import logging

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook
    from airflow_sm_provider.jobs import MODEL_PACKAGE

    log = logging.getLogger(__name__)
    versions = approved_versions(context.get("triggering_asset_events"))
    if not versions:
        log.info("No approved-model event triggered this run: nothing to deploy")
        return []
    hook = SageMakerHook(aws_conn_id=aws_conn_id)
    deployed = []
    for extra in versions:
        status = hook.describe(MODEL_PACKAGE, extra["model_package_arn"])["ModelApprovalStatus"]
        if status != "Approved":
            log.warning("Version %s is now %s: not deploying it", extra["model_package_arn"], status)
            continue
        log.info(
            "Would deploy model package %s (version %s of %s): image %s, artifacts %s, metrics %s, "
            "trained by %s with %s",
            extra["model_package_arn"],
            extra["model_package_version"],
            extra["model_package_group_name"],
            extra["image"],
            extra["model_data_url"],
            extra["metrics"],
            extra["training_job_name"],
            extra["tuned_hyperparameters"],
        )
        deployed.append(extra)
    return deployed


with DAG(
    dag_id="example_sagemaker_approved_model",
    schedule=[APPROVED_MODEL],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sagemaker", "example"],
    doc_md=__doc__,
) as dag:
    deploy_placeholder(var("aws_conn_id"))
