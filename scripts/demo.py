"""``make demo``: run the ``sagemaker_retraining`` DAG twice, offline, on the embedded local backend.

Starts ``python -m airflow_sm_provider.local serve`` on a free port, points ``aws_default`` at it
with the connection ``python -m airflow_sm_provider.local connection`` prints (the backend's
generated key; every request is signed), and runs the DAG with ``dag.test()`` twice in a row
(deferrable tasks run their triggers inline, so the triggerer path is exercised). The first run
finds no champion in the model registry and its model is approved; the second run's gate
compares its model with that champion. After each run it prints the tuning leaderboard, the best
hyperparameters, the final metrics, the gate's champion/challenger table and decision, and the
cost estimate; at the end, the model registry (versions, statuses, metrics). Exit status 1 if any
task failed. State lives under ``.demo/``; each ``make demo`` starts a fresh registry group so
its first run has no champion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
DAGS = ROOT / "dags"


def start_backend(home: Path) -> tuple[subprocess.Popen[str], dict]:
    """The backend as its own process, and the ``aws`` connection its ``connection`` command prints."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_sm_provider.local",
            "serve",
            "--port",
            "0",
            "--home",
            str(home),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("http://"):
            return process, connection(home, port=line.strip().rsplit(":", 1)[1])
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit("the local SageMaker backend did not start")


def connection(home: Path, port: str) -> dict:
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow_sm_provider.local",
            "connection",
            "--home",
            str(home),
            "--port",
            port,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(printed.stdout)


def dags_on_path() -> None:
    """Import from dags/ as Airflow does for DAG files (the DAG, and its ``retraining`` package)."""
    if str(DAGS) not in sys.path:
        sys.path.insert(0, str(DAGS))


def configure(connection: dict) -> None:
    dags_on_path()
    from retraining.config import env_name

    os.environ.update(
        {
            "AIRFLOW_HOME": str(DEMO / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
            env_name("data_uri"): (DEMO / "data").as_uri(),
            env_name("code_uri"): (DEMO / "code").as_uri(),
            env_name("output_uri"): (DEMO / "output").as_uri(),
            env_name("max_trials"): os.environ.get("SM_DEMO_MAX_TRIALS", "6"),
        }
    )


def migrate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit("airflow db migrate failed")


def run_dag() -> object:
    dags_on_path()
    import importlib

    module = importlib.import_module("sagemaker_retraining")
    from airflow.sdk import DAG

    dag = next(obj for obj in vars(module).values() if isinstance(obj, DAG))
    return dag.test()


def xcom(run, task_id: str, key: str = "return_value"):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.execute(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
        ).scalar_one_or_none()
        return XComModel.deserialize_value(row) if row is not None else None


def task_states(run) -> dict[str, str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}


def leaderboard(connection: dict, tuning_job: str, objective: str) -> list[str]:
    summaries = []
    for page in (
        client(connection)
        .get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
        .paginate(HyperParameterTuningJobName=tuning_job)
    ):
        summaries.extend(page["TrainingJobSummaries"])
    summaries.sort(key=lambda s: s["TrainingJobName"])
    lines = [f"{'trial':<44} {'status':<10} {objective:>18}  hyperparameters"]
    for item in summaries:
        metric = item.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
        shown = "-" if metric is None else f"{metric:.5f}"
        params = ", ".join(
            f"{k}={_short(v)}" for k, v in sorted(item.get("TunedHyperParameters", {}).items())
        )
        lines.append(f"{item['TrainingJobName']:<44} {item['TrainingJobStatus']:<10} {shown:>18}  {params}")
    return lines


def _short(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return value if number.is_integer() else f"{number:.4g}"


def client(connection: dict):
    import boto3

    return boto3.client(
        "sagemaker",
        endpoint_url=connection["extra"]["endpoint_url"],
        region_name=connection["extra"]["region_name"],
        aws_access_key_id=connection["login"],
        aws_secret_access_key=connection["password"],
    )


def registry(connection: dict, group: str) -> list[str]:
    """The group's versions, oldest first: status, who or what decided, metrics."""
    sagemaker = client(connection)
    summaries = []
    for page in sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Ascending"
    ):
        summaries.extend(page["ModelPackageSummaryList"])
    lines = [f"Model registry, group {group}: {len(summaries)} version(s)"]
    for summary in summaries:
        described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        metadata = described.get("CustomerMetadataProperties", {})
        metrics = {k.removeprefix("metric:"): v for k, v in metadata.items() if k.startswith("metric:test:")}
        lines.append(
            f"  v{described['ModelPackageVersion']}  {described['ModelApprovalStatus']:<22} "
            f"{described['ModelPackageArn']}\n"
            f"      decided: {described.get('ApprovalDescription', '-')}\n"
            f"      holdout: {json.dumps(metrics, sort_keys=True)}\n"
            f"      trained by {metadata.get('training-job')} (tuning {metadata.get('tuning-job')}, "
            f"best trial {metadata.get('best-trial')})"
        )
    return lines


def show(run, aws_connection: dict, number: int, elapsed: float) -> bool:
    """Print one run's outcome; True if every task succeeded or was skipped by a branch."""
    states = task_states(run)
    print("\n" + "=" * 100)
    print(f"Run {number}: DAG run {run.run_id}: {run.state} in {elapsed:.0f}s; tasks: {states}")
    tuning = xcom(run, "tune")
    summary = xcom(run, "report")
    if tuning:
        best = tuning["best_training_job"]
        objective = best["objective_metric"]["name"] if best else "objective"
        print(f"\nTuning job {tuning['tuning_job_name']} leaderboard:")
        print("\n".join(leaderboard(aws_connection, tuning["tuning_job_name"], objective)))
    if summary:
        print(
            f"\nBest trial:            {summary['best_trial']} ({summary['best_objective']['name']} = "
            f"{summary['best_objective']['value']})"
        )
        print(f"Best hyperparameters:  {json.dumps(summary['tuned_hyperparameters'], sort_keys=True)}")
        print(f"Final training job:    {summary['final_training_job']}")
        print(f"Final metrics:         {json.dumps(summary['final_metrics'], sort_keys=True)}")
        print(f"Model artifacts:       {summary['model_artifacts']}")
        gate = summary["gate"]
        champion = gate["champion"]
        against = (
            f"champion v{champion['model_package_version']}" if champion else "no champion (first model)"
        )
        print(f"\nChampion / challenger gate (against {against}): {gate['decision'].upper()}")
        print(gate["table"])
        if summary["model_package"]:
            package = summary["model_package"]
            print(
                f"\nRegistered: version {package['model_package_version']} ({package['model_package_arn']})"
            )
        announced = summary["announced"]
        if announced:
            print(f"Announced:  {announced['approval_status']} - {announced['approval_description']}")
        else:
            print("Announced:  nothing (the champion was kept)")
        from retraining import costs

        print("\n" + costs.render(summary["cost_estimate"], summary["price_source"]))
    print("=" * 100)
    return run.state == "success" and all(state in ("success", "skipped") for state in states.values())


def main() -> int:
    DEMO.mkdir(exist_ok=True)
    backend, aws_connection = start_backend(DEMO / "sm-home")
    try:
        configure(aws_connection)
        # a group of its own per demo, so that the first run really has no champion
        group = f"sagemaker-retraining-demo-{int(time.time())}"
        from retraining.config import env_name

        os.environ[env_name("model_package_group")] = group
        migrate()
        ok = True
        for number in (1, 2):
            started = time.monotonic()
            run = run_dag()
            ok = show(run, aws_connection, number, time.monotonic() - started) and ok
        print("\n" + "\n".join(registry(aws_connection, group)))
        print("=" * 100)
        return 0 if ok else 1
    finally:
        backend.terminate()
        try:
            backend.wait(timeout=30)
        except subprocess.TimeoutExpired:
            backend.kill()


if __name__ == "__main__":
    sys.exit(main())
