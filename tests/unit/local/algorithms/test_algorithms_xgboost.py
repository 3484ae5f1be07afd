"""What the local backend knows of SageMaker's built-in XGBoost: images, metrics, hyperparameters."""

from __future__ import annotations

import re

import pytest

from airflow_sm_provider.local.algorithms import XGBOOST, BuiltinAlgorithm, builtin_for, xgboost_spec


@pytest.mark.parametrize(
    "image",
    [
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.5-1",
        "451049120500.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1",
        "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1",
    ],
)
def test_sagemaker_xgboost_images_of_any_region_are_recognised(image):
    assert builtin_for({"AlgorithmSpecification": {"TrainingImage": image}, "HyperParameters": {}}) is XGBOOST


def test_a_sagemaker_program_makes_the_image_a_framework_image():
    request = {
        "AlgorithmSpecification": {"TrainingImage": xgboost_spec.image_uri("us-east-1")},
        "HyperParameters": {"sagemaker_program": "train.py"},
    }
    assert builtin_for(request) is None
    assert builtin_for({"AlgorithmSpecification": {"TrainingImage": "local/sklearn:1"}}) is None


def test_image_uri_of_a_region():
    assert xgboost_spec.image_uri("eu-west-1", "1.7-1") == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    )


@pytest.mark.parametrize("separator", ["\t", "#011"])
def test_metric_regexes_read_the_evaluation_line_as_printed_and_as_cloudwatch_shows_it(separator):
    line = separator.join(
        ["[7]", "train-auc:0.95", "train-logloss:0.2", "validation-auc:0.91", "validation-mlogloss:1e-3"]
    )
    values = {}
    for name, regex in XGBOOST.metrics:
        match = re.search(regex, line)
        if match:
            values[name] = float(match.group(1))
    assert values == {
        "train:auc": 0.95,
        "train:logloss": 0.2,
        "validation:auc": 0.91,
        "validation:mlogloss": 0.001,
    }


def test_directions_and_definition_count():
    assert XGBOOST.directions["validation:auc"] == "Maximize"
    assert XGBOOST.directions["train:rmse"] == "Minimize"
    assert len(XGBOOST.metric_definitions()) <= 40  # SageMaker's limit on MetricDefinitions


def test_a_missing_package_is_named_with_the_extra_that_installs_it():
    absent = BuiltinAlgorithm("xgboost", "m", ("no_such_package_here", "local-xgboost"), (), {})
    assert "airflow-sm-provider[local-xgboost]" in (absent.missing() or "")


def test_hyperparameters_as_the_container_reads_them():
    train = pytest.importorskip("airflow_sm_provider.local.algorithms.xgboost_train")
    params, rounds, early, weights = train.parameters(
        {"num_round": "50", "eta": "0.1", "max_depth": "4", "eval_metric": "auc,logloss",
         "_tuning_objective_metric": "validation:rmse", "early_stopping_rounds": "5", "csv_weights": "1"}
    )  # fmt: skip
    assert (rounds, early, weights) == (50, 5, True)
    assert params == {"eta": 0.1, "max_depth": 4, "eval_metric": ["auc", "logloss", "rmse"]}
    with pytest.raises(train.ClientError, match="num_round"):
        train.parameters({"eta": "0.1"})
    with pytest.raises(train.ClientError, match="unexpected"):
        train.parameters({"num_round": "1", "learning_speed": "2"})
