"""SageMaker's built-in XGBoost algorithm on the local backend: a job on the XGBoost image with no
sagemaker_program trains with the xgboost library as the container does, and tunes on its
built-in metrics without MetricDefinitions."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest
from botocore.exceptions import ClientError
from sm_tuning_helpers import ROLE, wait_tuning

xgboost = pytest.importorskip("xgboost", reason="the local-xgboost extra is not installed")

pytestmark = pytest.mark.integration

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def _rows(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    features = rng.random((count, 3))
    label = (features[:, 0] + features[:, 1] > 1).astype(float)
    return np.column_stack([label, features])


@pytest.fixture
def csv_data(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for channel, seed in (("train", 1), ("validation", 2)):
        directory = tmp_path / "csv" / channel
        directory.mkdir(parents=True)
        np.savetxt(directory / "part-0.csv", _rows(300, seed)[:150], delimiter=",", fmt="%.6f")
        np.savetxt(directory / "part-1.csv", _rows(300, seed)[150:], delimiter=",", fmt="%.6f")
        out[channel] = directory
    return out


def _channel(name: str, directory: Path, content_type: str | None) -> dict:
    channel = {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{directory}"}},
    }
    if content_type:
        channel["ContentType"] = content_type
    return channel


def _job(
    name: str, data: dict[str, Path], tmp_path: Path, content_type: str | None = "text/csv", **hps
) -> dict:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "HyperParameters": {
            "num_round": "20",
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "max_depth": "3",
            **hps,
        },
        "InputDataConfig": [_channel(c, d, content_type) for c, d in data.items()],
        "OutputDataConfig": {"S3OutputPath": f"file://{tmp_path / 'output'}"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def test_a_csv_job_on_the_xgboost_image_trains_and_reports_its_builtin_metrics(
    sm_client, wait_for_status, csv_data, tmp_path
):
    sm_client.create_training_job(**_job("xgb-csv", csv_data, tmp_path))

    job = wait_for_status("xgb-csv", timeout=120)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert final["validation:auc"] > 0.9 and final["train:auc"] >= final["validation:auc"] - 0.1
    names = {d["Name"] for d in job["AlgorithmSpecification"]["MetricDefinitions"]}
    assert {"validation:auc", "train:rmse", "validation:logloss"} <= names
    with tarfile.open(tmp_path / "output" / "xgb-csv" / "output" / "model.tar.gz") as tar:
        assert tar.getnames() == ["xgboost-model"]
        tar.extract("xgboost-model", tmp_path / "model")
    booster = xgboost.Booster()
    booster.load_model(bytearray((tmp_path / "model" / "xgboost-model").read_bytes()))
    assert booster.num_boosted_rounds() == 20


def test_libsvm_is_the_default_content_type(sm_client, wait_for_status, tmp_path):
    data = {}
    for channel, seed in (("train", 3), ("validation", 4)):
        directory = tmp_path / "svm" / channel
        directory.mkdir(parents=True)
        lines = [
            f"{int(r[0])} " + " ".join(f"{i}:{v:.5f}" for i, v in enumerate(r[1:])) for r in _rows(200, seed)
        ]
        (directory / "data.libsvm").write_text("\n".join(lines) + "\n")
        data[channel] = directory
    sm_client.create_training_job(**_job("xgb-svm", data, tmp_path, content_type=None))

    job = wait_for_status("xgb-svm", timeout=120)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert {m["MetricName"] for m in job["FinalMetricDataList"]} >= {"train:auc", "validation:auc"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"num_round": None}, "Missing required hyperparameter: num_round"),
        ({"learning_speed": "3"}, "learning_speed unexpected"),
        ({"content_type": None}, "is not libsvm"),  # CSV read as the default libsvm, as the container does
    ],
)
def test_the_container_s_client_errors_fail_the_job(
    sm_client, wait_for_status, csv_data, tmp_path, change, reason
):
    content_type = change.pop("content_type", "text/csv")
    request = _job("xgb-bad", csv_data, tmp_path, content_type=content_type)
    for key, value in change.items():
        request["HyperParameters"].pop(key, None) if value is None else request["HyperParameters"].update(
            {key: value}
        )
    sm_client.create_training_job(**request)

    job = wait_for_status("xgb-bad", timeout=120)

    assert job["TrainingJobStatus"] == "Failed"
    assert "ClientError" in job["FailureReason"] and reason in job["FailureReason"]


def test_a_tuning_job_on_a_builtin_metric_needs_no_metric_definitions(sm_client, csv_data, tmp_path):
    definition = _job("unused", csv_data, tmp_path)
    request = {
        "HyperParameterTuningJobName": "xgb-tune",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
                ],
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "5"}],
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": definition["AlgorithmSpecification"],
            "RoleArn": ROLE,
            "StaticHyperParameters": {"num_round": "10", "objective": "binary:logistic"},
            "InputDataConfig": definition["InputDataConfig"],
            "OutputDataConfig": definition["OutputDataConfig"],
            "ResourceConfig": definition["ResourceConfig"],
            "StoppingCondition": definition["StoppingCondition"],
        },
    }
    sm_client.create_hyper_parameter_tuning_job(**request)

    described = wait_tuning(sm_client, "xgb-tune", timeout=180)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    best = described["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "validation:auc"
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] > 0.9
    assert set(best["TunedHyperParameters"]) == {"eta", "max_depth"}


def test_several_instances_of_the_builtin_algorithm_are_refused_not_trained_apart(
    sm_client, csv_data, tmp_path
):
    request = _job("xgb-two", csv_data, tmp_path)
    request["ResourceConfig"]["InstanceCount"] = 2
    with pytest.raises(ClientError, match="distributed training across instances is not emulated"):
        sm_client.create_training_job(**request)
