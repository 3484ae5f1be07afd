"""dags/retraining/model.py: the metric definitions, the objective and the search space as specs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from retraining import model

from airflow_sm_provider.specs import (
    AlgorithmSpecification,
    Channel,
    OutputDataConfig,
    ResourceConfig,
    ResourceLimits,
    TrainingJobDefinition,
    TuningJobSpec,
)

TRAIN_PY = Path(__file__).resolve().parents[3] / "dags" / "retraining" / "scripts" / "train.py"


def train_script_arguments() -> dict[str, object]:
    """``train.py``'s hyperparameters and their defaults, read from its own argument parser."""
    spec = importlib.util.spec_from_file_location("train_script_under_test", TRAIN_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module.build_parser().parse_args([]))


def test_metric_definitions_are_valid_sagemaker_regexes() -> None:
    names = [d.name for d in model.METRIC_DEFINITIONS]
    assert len(names) == len(set(names)) <= 40
    for definition in model.METRIC_DEFINITIONS:
        assert re.compile(definition.regex).groups == 1
        assert len(definition.regex) <= 500 and 1 <= len(definition.name) <= 255
    assert model.OBJECTIVE.metric_name in names
    assert model.OBJECTIVE.to_request() == {"Type": "Minimize", "MetricName": "validation:logloss"}


def test_a_job_defines_only_the_metrics_of_its_channels() -> None:
    final_run = model.metric_definitions("train", "test")
    assert [d.name for d in final_run] == [
        f"{channel}:{metric}" for channel in ("train", "test") for metric in ("logloss", "accuracy", "auc")
    ]
    assert model.metric_definitions() == []
    every = {d.name for d in model.metric_definitions("validation", "test", "train")}
    assert every == {d.name for d in model.METRIC_DEFINITIONS}


@pytest.mark.parametrize("value", ["0.123456", "1.000000", "12", "1.5e-07", "3E+02"])
def test_metric_regex_reads_the_numbers_train_py_can_print(value: str) -> None:
    regex = next(d.regex for d in model.METRIC_DEFINITIONS if d.name == "validation:logloss")
    assert re.findall(regex, f"[stage 1/2] validation-logloss={value} validation-accuracy=0.5") == [value]


def test_every_searched_hyperparameter_is_an_argument_of_train_py() -> None:
    searched = [r.name for r in model.RANGES]
    assert len(searched) == len(set(searched))
    assert set(searched) <= set(train_script_arguments())


def test_the_entry_point_is_the_script_beside_the_package() -> None:
    assert (TRAIN_PY.parent / model.ENTRY_POINT).is_file()


def test_search_space_renders_as_before_the_move_to_specs() -> None:
    """The ranges the pipeline searched when they were written as a request dict."""
    request = TuningJobSpec(
        resource_limits=ResourceLimits(max_parallel_training_jobs=1),
        ranges=model.RANGES,
        training=TrainingJobDefinition(
            role_arn="r",
            algorithm=AlgorithmSpecification(training_image="i"),
            output=OutputDataConfig(s3_output_path="s3://b/o/"),
            resources=ResourceConfig(instance_type="ml.m5.large"),
        ),
    ).to_request()
    assert request["HyperParameterTuningJobConfig"]["ParameterRanges"] == {
        "IntegerParameterRanges": [
            {"Name": "n_estimators", "MinValue": "20", "MaxValue": "200", "ScalingType": "Auto"},
            {"Name": "max_depth", "MinValue": "2", "MaxValue": "5", "ScalingType": "Auto"},
            {"Name": "min_samples_leaf", "MinValue": "1", "MaxValue": "20", "ScalingType": "Auto"},
        ],
        "ContinuousParameterRanges": [
            {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Logarithmic"},
            {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1.0", "ScalingType": "Linear"},
        ],
    }


def test_a_tuning_request_built_from_the_definitions_passes_botocore_validation() -> None:
    spec = TuningJobSpec(
        name="retraining",
        objective=model.OBJECTIVE,
        ranges=model.RANGES,
        resource_limits=ResourceLimits(max_number_of_training_jobs=6, max_parallel_training_jobs=2),
        early_stopping="Auto",
        training=TrainingJobDefinition(
            role_arn="arn:aws:iam::000000000000:role/SageMakerRole",
            algorithm=AlgorithmSpecification(
                training_image="sklearn:latest", metric_definitions=model.METRIC_DEFINITIONS
            ),
            static_hyperparameters={
                "sagemaker_program": model.ENTRY_POINT,
                "sagemaker_submit_directory": "s3://b/code/sourcedir.tar.gz",
            },
            channels=[
                Channel(name="train", s3_uri="s3://b/data/train/", content_type="text/csv"),
                Channel(name="validation", s3_uri="s3://b/data/validation/", content_type="text/csv"),
            ],
            output=OutputDataConfig(s3_output_path="s3://b/output/"),
            resources=ResourceConfig(instance_type="ml.m5.large", volume_size_in_gb=5),
        ),
    )
    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateHyperParameterTuningJob")
        .input_shape
    )
    report = ParamValidator().validate(spec.to_request(), shape)
    assert not report.has_errors(), report.generate_report()
