"""The 37 invalid configs of the reliability trial (findings/reliability.md, experiment 8).

Each is one change to a valid operator config (tests/unit/sample_requests.py), with the field
the refusal must name. The trial's scripts are not in the repository; the cases are rebuilt
from the finding's list: 25 that were refused before any API call, the config given as a
string, the 2 that reached the API "by design" (an InstanceType outside botocore's enum, here
one without the ``ml.`` prefix, and InstanceCount 0), and the 9 of finding 7 that reached it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.unit.sample_requests import training_config, tuning_config

CONFIG = "HyperParameterTuningJobConfig"
RANGES = f"{CONFIG}.ParameterRanges"
DEFINITION = "TrainingJobDefinition"


@dataclass(frozen=True)
class Case:
    """``kind`` is ``training`` or ``tuning``; ``field`` the path the refusal names.

    ``typed`` is False for the one case the operator refuses as a ``TypeError`` (from rendering
    the config) before validation sees it.
    """

    name: str
    kind: str
    build: Callable[[], Any]
    field: str
    typed: bool = True

    def __str__(self) -> str:
        return self.name


def training(change: Callable[[dict[str, Any]], Any]) -> Callable[[], Any]:
    def build() -> Any:
        config = training_config()
        return change(config) or config

    return build


def tuning(change: Callable[[dict[str, Any]], Any]) -> Callable[[], Any]:
    def build() -> Any:
        config = tuning_config()
        return change(config) or config

    return build


def set_path(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change setting ``value`` at a dotted ``path`` (list indexes as ``[0]``)."""

    def change(config: dict[str, Any]) -> None:
        target: Any = config
        *parents, last = path.replace("[", ".[").split(".")
        for part in parents:
            target = target[int(part[1:-1])] if part.startswith("[") else target.setdefault(part, {})
        target[last] = value

    return change


def delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        target: Any = config
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        del target[last]

    return change


def add_channel_named(name: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["InputDataConfig"].append({**config["InputDataConfig"][0], "ChannelName": name})

    return change


def tune_a_static_hyperparameter(config: dict[str, Any]) -> None:
    config[CONFIG]["ParameterRanges"]["IntegerParameterRanges"] = [
        {"Name": "epochs", "MinValue": "1", "MaxValue": "10"}
    ]


REFUSED_BEFORE = [
    Case("missing RoleArn", "training", training(delete("RoleArn")), "RoleArn"),
    Case("short RoleArn", "training", training(set_path("RoleArn", "MySageMakerRole")), "RoleArn"),
    Case(
        "non-integer VolumeSizeInGB",
        "training",
        training(set_path("ResourceConfig.VolumeSizeInGB", "ten")),
        "ResourceConfig.VolumeSizeInGB",
    ),
    Case(
        "MaxRuntimeInSeconds 0",
        "training",
        training(set_path("StoppingCondition.MaxRuntimeInSeconds", 0)),
        "StoppingCondition.MaxRuntimeInSeconds",
    ),
    Case(
        "MaxRuntimeInSeconds -5",
        "training",
        training(set_path("StoppingCondition.MaxRuntimeInSeconds", -5)),
        "StoppingCondition.MaxRuntimeInSeconds",
    ),
    Case(
        "hyperparameter too long",
        "training",
        training(set_path("HyperParameters.lr", "1" * 300)),
        "HyperParameters.lr",
    ),
    Case(
        "hyperparameter a list",
        "training",
        training(set_path("HyperParameters.lr", [0.1, 0.2])),
        "HyperParameters.lr",
    ),
    Case(
        "101 hyperparameters",
        "training",
        training(set_path("HyperParameters", {f"h{i}": "1" for i in range(101)})),
        "HyperParameters",
    ),
    Case(
        "access key id in a hyperparameter",
        "training",
        training(set_path("HyperParameters.key", "AKIAIOSFODNN7EXAMPLE")),
        "HyperParameters.key",
    ),
    Case(
        "aws_secret_access_key hyperparameter",
        "training",
        training(set_path("HyperParameters.aws_secret_access_key", "abc")),
        "HyperParameters.aws_secret_access_key",
    ),
    Case(
        "Environment value too long",
        "training",
        training(set_path("Environment", {"MODE": "x" * 513})),
        "Environment.MODE",
    ),
    Case(
        "Environment value an int", "training", training(set_path("Environment", {"N": 3})), "Environment.N"
    ),
    Case(
        "101 Environment entries",
        "training",
        training(set_path("Environment", {f"K{i}": "v" for i in range(101)})),
        "Environment",
    ),
    Case("job name with _", "training", training(set_path("TrainingJobName", "my_job")), "TrainingJobName"),
    Case(
        "job name with a leading hyphen",
        "training",
        training(set_path("TrainingJobName", "-job")),
        "TrainingJobName",
    ),
    Case("unknown key", "training", training(set_path("HyperParamters", {})), "HyperParamters"),
    Case(
        "TrainingInputMode not in the enum",
        "training",
        training(set_path("AlgorithmSpecification.TrainingInputMode", "file")),
        "AlgorithmSpecification.TrainingInputMode",
    ),
    Case(
        "MaxParallel > MaxNumber",
        "tuning",
        tuning(set_path(f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs", 5)),
        f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs",
    ),
    Case(
        "Strategy not in the enum",
        "tuning",
        tuning(set_path(f"{CONFIG}.Strategy", "Genetic")),
        f"{CONFIG}.Strategy",
    ),
    Case(
        "Min > Max",
        "tuning",
        tuning(set_path(f"{RANGES}.ContinuousParameterRanges[0].MinValue", "0.9")),
        f"{RANGES}.ContinuousParameterRanges[0].MinValue",
    ),
    Case(
        "Logarithmic with 0",
        "tuning",
        tuning(set_path(f"{RANGES}.ContinuousParameterRanges[0].MinValue", "0")),
        f"{RANGES}.ContinuousParameterRanges[0].MinValue",
    ),
    Case(
        "Grid with a continuous range",
        "tuning",
        tuning(set_path(f"{CONFIG}.Strategy", "Grid")),
        f"{RANGES}.ContinuousParameterRanges",
    ),
    Case(
        "tuning name of 33 characters",
        "tuning",
        tuning(set_path("HyperParameterTuningJobName", "t" * 33)),
        "HyperParameterTuningJobName",
    ),
    Case(
        "non-numeric range value",
        "tuning",
        tuning(set_path(f"{RANGES}.ContinuousParameterRanges[0].MaxValue", "half")),
        f"{RANGES}.ContinuousParameterRanges[0].MaxValue",
    ),
    Case(
        "objective metric not in MetricDefinitions",
        "tuning",
        tuning(set_path(f"{CONFIG}.HyperParameterTuningJobObjective.MetricName", "val:loss")),
        f"{CONFIG}.HyperParameterTuningJobObjective.MetricName",
    ),
]

OTHER_OUTCOMES = [
    Case("config given as a string", "training", lambda: "CreateTrainingJob", "config", typed=False),
    Case(
        "InstanceType not in the enum",
        "training",
        training(set_path("ResourceConfig.InstanceType", "m5.large")),
        "ResourceConfig.InstanceType",
    ),
    Case(
        "InstanceCount 0",
        "training",
        training(set_path("ResourceConfig.InstanceCount", 0)),
        "ResourceConfig.InstanceCount",
    ),
]

REACHED_THE_API = [
    Case(
        "Environment key with a space",
        "training",
        training(set_path("Environment", {"MY KEY": "1"})),
        "Environment.MY KEY",
    ),
    Case(
        "duplicate channel names",
        "training",
        training(add_channel_named("train")),
        "InputDataConfig[1].ChannelName",
    ),
    Case(
        "aws: tag key",
        "training",
        training(set_path("Tags", [{"Key": "aws:team", "Value": "ml"}])),
        "Tags[0].Key",
    ),
    Case(
        "MaxWaitTimeInSeconds without spot",
        "training",
        training(set_path("StoppingCondition.MaxWaitTimeInSeconds", 7200)),
        "StoppingCondition.MaxWaitTimeInSeconds",
    ),
    Case(
        "S3OutputPath a bare path",
        "training",
        training(set_path("OutputDataConfig.S3OutputPath", "/tmp/output")),
        "OutputDataConfig.S3OutputPath",
    ),
    Case(
        "S3OutputPath with another scheme",
        "training",
        training(set_path("OutputDataConfig.S3OutputPath", "ftp://bucket/output")),
        "OutputDataConfig.S3OutputPath",
    ),
    Case(
        "metric regex that does not compile",
        "training",
        training(set_path("AlgorithmSpecification.MetricDefinitions[0].Regex", "loss=([0-9.]+")),
        "AlgorithmSpecification.MetricDefinitions[0].Regex",
    ),
    Case(
        "tuning without an objective",
        "tuning",
        tuning(delete(f"{CONFIG}.HyperParameterTuningJobObjective")),
        f"{CONFIG}.HyperParameterTuningJobObjective",
    ),
    Case(
        "hyperparameter both static and tuned",
        "tuning",
        tuning(tune_a_static_hyperparameter),
        f"{DEFINITION}.StaticHyperParameters.epochs",
    ),
]

ALL_CASES = REFUSED_BEFORE + OTHER_OUTCOMES + REACHED_THE_API
