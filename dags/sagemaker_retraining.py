"""Weekly retraining on SageMaker that a team can trust.

prepare -> tune -> train_final -> evaluate -> gate -> register -> approve -> announce -> report

- **evaluate**: the final model's holdout (``test`` split) metrics, written as an evaluation
  report; the final model's artifacts become an asset event (alias ``sagemaker_retraining_final_model``).
- **gate**: champion / challenger against the newest Approved version in the model registry;
  promote (register and approve) or keep the champion. The first model has no champion and passes.
- **approve**: by policy, by a person (human-in-the-loop, Airflow 3.1+), or in the registry
  itself, as the ``approval`` param says (see ``retraining/approval.py``).
- **announce**: an approved version updates the ``sagemaker_retraining_approved_model`` asset,
  whose extras carry the model package ARN, metrics, tuned hyperparameters and job names.
- **report**: what was produced, billable seconds per job and an estimated cost.

Runs unchanged on AWS and on the embedded local backend; only the ``aws`` connection and the
Airflow Variables below differ. Defaults are for the local backend (``make demo``).

Nothing here touches the network, the disk or the metadata DB at parse time: every value is
a template rendered when a task runs.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task
from retraining import approval, config, evaluation, model
from retraining.assets import APPROVED_MODEL, FINAL_MODEL, alias_extra
from retraining.config import var

from airflow_sm_provider.operators import (
    SageMakerModelGateOperator,
    SageMakerRegisterModelVersionOperator,
    SageMakerTrainingOperator,
    SageMakerTuningOperator,
    SageMakerUpdateModelApprovalOperator,
)
from airflow_sm_provider.sensors import SageMakerModelApprovalSensor
from airflow_sm_provider.specs import (
    AlgorithmSpecification,
    Channel,
    EarlyStopping,
    OutputDataConfig,
    ResourceConfig,
    ResourceLimits,
    StoppingCondition,
    Strategy,
    TrainingJobDefinition,
    TrainingJobSpec,
    TuningJobSpec,
)

PREPARED = "ti.xcom_pull(task_ids='prepare_data')"


def job_settings(**channels: str) -> dict[str, Any]:
    """What the tuning trials and the final run share, reading ``channels`` (name -> data split).

    A new set of specs on every call: Airflow renders specs in place, so no two tasks share one.
    """
    return {
        "role_arn": var("role_arn"),
        "algorithm": AlgorithmSpecification(
            training_image=var("image_uri"), metric_definitions=model.metric_definitions(*channels)
        ),
        "channels": [
            Channel(name=name, s3_uri=f"{{{{ {PREPARED}['channels']['{split}'] }}}}", content_type="text/csv")
            for name, split in channels.items()
        ],
        "output": OutputDataConfig(s3_output_path=var("output_uri")),
        "resources": ResourceConfig(instance_type=var("instance_type"), volume_size_in_gb=5),
        "stopping": StoppingCondition(max_runtime_in_seconds=900),
    }


SCRIPT_MODE = {
    "sagemaker_program": model.ENTRY_POINT,
    "sagemaker_submit_directory": f"{{{{ {PREPARED}['source'] }}}}",
    "random_state": 0,
}


@task
def prepare_data(data_uri: str, code_uri: str, aws_conn_id: str) -> dict[str, Any]:
    """Write the train / validation / test / full CSV channels and stage ``train.py``."""
    from retraining.data import prepare_inputs

    s3 = None
    if data_uri.startswith("s3://") or code_uri.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        s3 = S3Hook(aws_conn_id=aws_conn_id).get_conn()
    return prepare_inputs(data_uri, code_uri, s3_client=s3)


@task(outlets=[FINAL_MODEL], multiple_outputs=True)
def evaluate(
    final: dict[str, Any], tuning: dict[str, Any], output_uri: str, aws_conn_id: str, **context: Any
):
    """The final model's holdout metrics, as an evaluation report and a final-model asset event."""
    from airflow.sdk import Asset
    from retraining.data import write_object

    metrics = evaluation.holdout_metrics(final["final_metrics"])
    uri = evaluation.report_uri(output_uri, final["training_job_name"])
    s3 = None
    if uri.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        s3 = S3Hook(aws_conn_id=aws_conn_id).get_conn()
    write_object(uri, evaluation.report_bytes(final["training_job_name"], metrics), s3_client=s3)
    best = tuning["best_training_job"]
    context["outlet_events"][FINAL_MODEL].add(
        Asset(uri=final["model_artifacts"], name=f"sagemaker_model_{final['training_job_name']}"),
        extra=alias_extra(
            {
                "training_job_name": final["training_job_name"],
                "tuning_job_name": tuning["tuning_job_name"],
                "best_trial": best["name"],
                "metrics": metrics,
                "tuned_hyperparameters": best["tuned_hyperparameters"],
                "evaluation_report_uri": uri,
            }
        ),
    )
    return {"metrics": metrics, "report_uri": uri}


@task.branch
def choose_approval(params: dict[str, Any]) -> str:
    """The approval route the ``approval`` param asks for (a person needs Airflow 3.1+)."""
    return approval.route(params["approval"], HITL)


@task
def keep_champion(decision: dict[str, Any]) -> dict[str, Any]:
    """The gate kept the champion: nothing is registered or announced."""
    import logging

    logging.getLogger(__name__).info("Keeping the champion: %s", decision["reason"])
    return {"kept": decision["champion"], "reason": decision["reason"]}


@task(outlets=[APPROVED_MODEL], trigger_rule="none_failed_min_one_success")
def announce(aws_conn_id: str, **context: Any) -> dict[str, Any]:
    """Announce an approved version (an asset event); a rejected one is not announced (skipped)."""
    from airflow.providers.common.compat.sdk import AirflowSkipException

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook
    from airflow_sm_provider.jobs import MODEL_PACKAGE, package_result

    ti = context["ti"]
    registered = ti.xcom_pull(task_ids="register")
    version = package_result(
        SageMakerHook(aws_conn_id=aws_conn_id).describe(MODEL_PACKAGE, registered["model_package_arn"])
    )
    if version["approval_status"] != "Approved":
        raise AirflowSkipException(
            f"Version {version['model_package_version']} is {version['approval_status']}: "
            f"{version['approval_description']}; not announced"
        )
    tuning = ti.xcom_pull(task_ids="tune")
    extra = {
        **{
            k: version[k]
            for k in (
                "model_package_arn",
                "model_package_group_name",
                "model_package_version",
                "approval_status",
                "approval_description",
                "image",
                "model_data_url",
                "metrics",
            )
        },
        "training_job_name": registered["training_job_name"],
        "tuning_job_name": tuning["tuning_job_name"],
        "best_trial": tuning["best_training_job"]["name"],
        "tuned_hyperparameters": tuning["best_training_job"]["tuned_hyperparameters"],
    }
    context["outlet_events"][APPROVED_MODEL].extra = extra
    return extra


@task(trigger_rule="none_failed")
def report(aws_conn_id: str, price_table: str, **context: Any) -> dict[str, Any]:
    """Log and return what was produced, the gate's decision, and billable seconds with a cost ESTIMATE."""
    import logging

    from retraining import costs

    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    ti = context["ti"]
    tuning, final = ti.xcom_pull(task_ids="tune"), ti.xcom_pull(task_ids="train_final")
    decision, registered = ti.xcom_pull(task_ids="gate"), ti.xcom_pull(task_ids="register")
    announced = ti.xcom_pull(task_ids="announce")
    hook = SageMakerHook(aws_conn_id=aws_conn_id)
    trials = [
        hook.describe_training_job(t["TrainingJobName"]) for t in hook.list_trials(tuning["tuning_job_name"])
    ]
    prices, source = costs.price_table(price_table)
    estimate = costs.estimate(trials, hook.describe_training_job(final["training_job_name"]), prices)
    best = tuning["best_training_job"]
    summary = {
        "final_training_job": final["training_job_name"],
        "model_artifacts": final["model_artifacts"],
        "final_metrics": final["final_metrics"],
        "tuning_job": tuning["tuning_job_name"],
        "best_trial": best["name"],
        "best_objective": best["objective_metric"],
        "tuned_hyperparameters": best["tuned_hyperparameters"],
        "gate": {k: decision[k] for k in ("decision", "reason", "champion", "challenger", "table")},
        "model_package": registered,
        "announced": announced,
        "cost_estimate": estimate,
        "price_source": source,
    }
    log = logging.getLogger(__name__)
    log.info("Champion / challenger:\n%s", decision["table"])
    log.info("%s", costs.render(estimate, source))
    log.info(
        "Retraining finished: %s", {k: v for k, v in summary.items() if k not in ("gate", "cost_estimate")}
    )
    return summary


HITL = approval.hitl_available()
REGISTERED = "ti.xcom_pull(task_ids='register')"

with DAG(
    dag_id="sagemaker_retraining",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker", "retraining"],
    params={
        "approval": Param(
            approval.DEFAULT_MODE,
            enum=list(approval.APPROVAL_MODES),
            description="policy: the gate approves; person: a person in Airflow (3.1+, else as "
            "registry); registry: someone approves in the model registry",
        )
    },
    doc_md=f"{__doc__}\n{config.markdown_table()}\n",
) as dag:
    data = prepare_data(var("data_uri"), var("code_uri"), var("aws_conn_id"))

    tune = SageMakerTuningOperator(
        task_id="tune",
        config=TuningJobSpec(
            strategy=Strategy.BAYESIAN,
            objective=model.OBJECTIVE,
            ranges=model.RANGES,
            resource_limits=ResourceLimits(
                max_number_of_training_jobs=var("max_trials"), max_parallel_training_jobs=2
            ),
            early_stopping=EarlyStopping.AUTO,
            training=TrainingJobDefinition(
                static_hyperparameters=SCRIPT_MODE, **job_settings(train="train", validation="validation")
            ),
        ),
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    train_final = SageMakerTrainingOperator(
        task_id="train_final",
        # train on train + validation; the untouched test split measures the final model
        config=TrainingJobSpec(hyperparameters=SCRIPT_MODE, **job_settings(train="full", test="test")),
        hyperparameters=tune.output["tuned_hyperparameters"],
        aws_conn_id=var("aws_conn_id"),
        deferrable=True,
        check_interval=5,
    )

    evaluated = evaluate(train_final.output, tune.output, var("output_uri"), var("aws_conn_id"))

    gate = SageMakerModelGateOperator(
        task_id="gate",
        model_package_group_name=var("model_package_group"),
        challenger_metrics=evaluated["metrics"],
        metrics=evaluation.GATE_METRICS,
        guardrails=evaluation.GATE_GUARDRAILS,
        promote_task_ids="register",
        keep_task_ids="keep_champion",
        aws_conn_id=var("aws_conn_id"),
    )

    register = SageMakerRegisterModelVersionOperator(
        task_id="register",
        model_package_group_name=var("model_package_group"),
        group_description="Weekly retraining (airflow-sm-provider example pipeline)",
        training_job=train_final.output,
        image_uri=var("image_uri"),
        metrics=evaluated["metrics"],
        evaluation_report_uri=evaluated["report_uri"],
        tuning=tune.output,
        inference_instance_types=["ml.m5.large"],
        transform_instance_types=["ml.m5.large"],
        model_package_description="{{ dag.dag_id }} run {{ run_id }}",
        aws_conn_id=var("aws_conn_id"),
    )

    route = choose_approval()

    by_policy = SageMakerUpdateModelApprovalOperator(
        task_id=approval.POLICY_TASK,
        model_package_arn=f"{{{{ {REGISTERED}['model_package_arn'] }}}}",
        approval_status="Approved",
        approval_description="Approved by policy: {{ dag.dag_id }}.gate passed "
        "({{ ti.xcom_pull(task_ids='gate')['reason'] }}; run {{ run_id }})",
        aws_conn_id=var("aws_conn_id"),
    )

    in_registry = SageMakerModelApprovalSensor(
        task_id=approval.REGISTRY_TASK,
        model_package_arn=f"{{{{ {REGISTERED}['model_package_arn'] }}}}",
        mode="reschedule",
        poke_interval=60,
        timeout=7 * 24 * 3600,
        aws_conn_id=var("aws_conn_id"),
    )

    approvers: list[Any] = [by_policy, in_registry]
    routes: list[Any] = [by_policy, in_registry]
    if HITL:
        ask, record = approval.person_tasks(var("aws_conn_id"))
        routes.append(ask)
        approvers.append(record)

    announced = announce(var("aws_conn_id"))
    kept = keep_champion(gate.output)
    summary = report(var("aws_conn_id"), var("price_table"))

    data >> tune >> train_final >> evaluated >> gate >> [register, kept]
    register >> route >> routes
    approvers >> announced
    [announced, kept] >> summary
