from __future__ import annotations

import inspect

import attrs
import pytest

from airflow_sm_provider import specs

EXPECTED_ALL = {
    "AlgorithmSpecification",
    "CategoricalRange",
    "Channel",
    "CheckpointConfig",
    "CompletionCriteria",
    "CompressionType",
    "ContinuousRange",
    "EarlyStopping",
    "HyperbandStrategyConfig",
    "InputMode",
    "IntegerRange",
    "MetricDefinition",
    "Objective",
    "ObjectiveType",
    "OutputDataConfig",
    "ParameterRange",
    "ResourceConfig",
    "ResourceLimits",
    "S3DataDistribution",
    "S3DataType",
    "ScalingType",
    "Spec",
    "StoppingCondition",
    "Strategy",
    "TrainingJobDefinition",
    "TrainingJobSpec",
    "TrainingSettings",
    "TuningJobSpec",
    "VpcConfig",
    "WarmStart",
    "WarmStartType",
    "render_request",
}

SPEC_CLASSES = [
    value
    for name in specs.__all__
    if inspect.isclass(value := getattr(specs, name))
    and issubclass(value, specs.Spec)
    and value is not specs.Spec
]


@pytest.mark.parametrize("cls", SPEC_CLASSES, ids=lambda cls: cls.__name__)
def test_no_spec_has_a_resolve_attribute(cls):
    # Airflow's templater calls .resolve(context) on any object that has one.
    assert not hasattr(cls, "resolve")
    assert "resolve" not in attrs.fields_dict(cls)


@pytest.mark.parametrize("cls", SPEC_CLASSES, ids=lambda cls: cls.__name__)
def test_template_fields_name_real_fields(cls):
    assert isinstance(cls.template_fields, tuple)
    field_names = set(attrs.fields_dict(cls))
    assert set(cls.template_fields) <= field_names
    assert "template_fields" not in field_names


@pytest.mark.parametrize("cls", SPEC_CLASSES, ids=lambda cls: cls.__name__)
def test_specs_take_keyword_arguments_only(cls):
    params = inspect.signature(cls).parameters.values()
    assert all(param.kind is inspect.Parameter.KEYWORD_ONLY for param in params)


def test_enums_are_strings_equal_to_the_api_values():
    assert specs.InputMode.FAST_FILE == "FastFile"
    assert specs.ScalingType.REVERSE_LOGARITHMIC == "ReverseLogarithmic"
    assert specs.Strategy.HYPERBAND == "Hyperband"
    assert specs.EarlyStopping.OFF == "Off"
    assert isinstance(specs.ObjectiveType.MAXIMIZE, str)


def test_render_request_deep_copies_a_dict():
    config = {"TrainingJobName": "j", "HyperParameters": {"a": "1"}}
    rendered = specs.render_request(config)
    assert rendered == config
    rendered["HyperParameters"]["a"] = "2"
    assert config["HyperParameters"]["a"] == "1"


def test_render_request_calls_to_request_on_a_spec():
    objective = specs.Objective(metric_name="loss")
    assert specs.render_request(objective) == {"Type": "Minimize", "MetricName": "loss"}


@pytest.mark.parametrize("config", [None, "CreateTrainingJob", ["a"], 3])
def test_render_request_refuses_anything_else(config):
    with pytest.raises(TypeError, match="config must be a request dict or a spec"):
        specs.render_request(config)
