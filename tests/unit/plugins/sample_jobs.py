"""SageMaker responses for the plugin's tests: a tuning job with three trials, a training job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ARN = "arn:aws:sagemaker:us-east-1:123456789012:"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def trial(name: str, value: float | None, minutes: int, status: str = "Completed", **hps: str) -> dict:
    summary = {
        "TrainingJobName": name,
        "TrainingJobStatus": status,
        "TunedHyperParameters": {"_tuning_objective_metric": "validation:rmse", **hps},
        "TrainingStartTime": T0,
        "TrainingEndTime": T0 + timedelta(minutes=minutes),
        "CreationTime": T0,
    }
    if value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "MetricName": "validation:rmse",
            "Value": value,
        }
    return summary


def trials() -> list[dict]:
    return [
        trial("tune-001", 0.5, 3, eta="0.1", max_depth="3"),
        trial("tune-002", 0.25, 5, eta="0.3", max_depth="<script>alert(1)</script>"),
        trial("tune-003", None, 1, status="Failed", eta="0.9", max_depth="9"),
    ]


def tuning_description(status: str = "Completed", objective_type: str = "Minimize") -> dict:
    return {
        "HyperParameterTuningJobName": "tune",
        "HyperParameterTuningJobArn": ARN + "hyper-parameter-tuning-job/tune",
        "HyperParameterTuningJobStatus": status,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": objective_type, "MetricName": "validation:rmse"},
        },
        "TrainingJobDefinition": {
            "Environment": {"SECRET_TOKEN": "do-not-show-me"},
            "RoleArn": "arn:aws:iam::123456789012:role/secret-role",
        },
        "TrainingJobStatusCounters": {"Completed": 2, "NonRetryableError": 1, "InProgress": 0},
        "ObjectiveStatusCounters": {"Succeeded": 2, "Failed": 1, "Pending": 0},
        "BestTrainingJob": trial("tune-002", 0.25, 5),
    }


def training_description(status: str = "Completed") -> dict:
    return {
        "TrainingJobName": "train-final",
        "TrainingJobArn": ARN + "training-job/train-final",
        "TrainingJobStatus": status,
        "SecondaryStatus": "Completed" if status == "Completed" else "Training",
        "TrainingStartTime": T0,
        "TrainingEndTime": T0 + timedelta(seconds=95),
        "BillableTimeInSeconds": 95,
        "FinalMetricDataList": [{"MetricName": "validation:rmse", "Value": 0.25, "Timestamp": T0}],
        "HyperParameters": {"eta": "0.3"},
        "Environment": {"SECRET_TOKEN": "do-not-show-me"},
        "RoleArn": "arn:aws:iam::123456789012:role/secret-role",
    }


class FakeHook:
    """SageMakerHook's three reads, counting calls; tuning job ``tune``, training job ``train-final``."""

    def __init__(self, tuning_status: str = "Completed", log: list[str] | None = None) -> None:
        self.tuning_status = tuning_status
        self.log = log if log is not None else [f"line {n}" for n in range(100)] + ["<b>done</b>"]
        self.calls: list[str] = []

    def describe(self, kind, name):
        self.calls.append(f"describe {kind.name} {name}")
        return tuning_description(self.tuning_status) if kind.name == "tuning" else training_description()

    def list_trials(self, name):
        self.calls.append(f"list_trials {name}")
        return trials()

    def training_log_tail(self, name, lines):
        self.calls.append(f"training_log_tail {name}")
        return self.log[-lines:]
