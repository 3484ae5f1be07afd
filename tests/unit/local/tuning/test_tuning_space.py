"""Search spaces: ranges and scaling types as optuna distributions, values as SageMaker strings."""

from __future__ import annotations

import statistics

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.tuning.space import DEFINITION_KEY, parse_space, suggest


def one(ranges: dict) -> list:
    return list(parse_space([{}], [ranges]).definitions[0].params)


def continuous(scaling: str, low: str = "0.001", high: str = "0.9") -> dict:
    return {
        "ContinuousParameterRanges": [
            {"Name": "p", "MinValue": low, "MaxValue": high, "ScalingType": scaling}
        ]
    }


@pytest.mark.parametrize("scaling", ["Auto", "Linear"])
def test_auto_and_linear_are_uniform(scaling):
    (param,) = one(continuous(scaling))
    assert param.distribution == FloatDistribution(0.001, 0.9)


def test_logarithmic_is_log_uniform():
    (param,) = one(continuous("Logarithmic"))
    assert param.distribution == FloatDistribution(0.001, 0.9, log=True)


def test_integer_logarithmic():
    (param,) = one(
        {
            "IntegerParameterRanges": [
                {"Name": "n", "MinValue": "1", "MaxValue": "1024", "ScalingType": "Logarithmic"}
            ]
        }
    )
    assert param.distribution == IntDistribution(1, 1024, log=True)
    assert param.to_hp(37) == "37"


def test_reverse_logarithmic_samples_one_minus_x_on_a_log_scale():
    (param,) = one(continuous("ReverseLogarithmic", "0.5", "0.999"))
    assert param.reverse
    assert param.distribution.low == pytest.approx(0.001) and param.distribution.high == pytest.approx(0.5)
    assert param.distribution.log
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = []
    for _ in range(400):
        trial = study.ask()
        values.append(
            float(
                param.to_hp(
                    trial.suggest_float("p", param.distribution.low, param.distribution.high, log=True)
                )
            )
        )
    assert all(0.5 <= v <= 0.999 for v in values)
    # Values crowd towards 1: the median is far above the linear midpoint 0.7495.
    assert statistics.median(values) > 0.95


def test_values_render_as_sagemaker_strings_and_read_back():
    space = parse_space(
        [{}],
        [
            {
                "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "9"}],
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "0.5", "MaxValue": "0.99", "ScalingType": "ReverseLogarithmic"}
                ],
                "CategoricalParameterRanges": [{"Name": "opt", "Values": ["adam", "sgd"]}],
            }
        ],
    ).definitions[0]
    internal = {"n": 4, "lr": 0.25, "opt": "sgd"}
    tuned = space.tuned_hyperparameters(internal)
    assert tuned == {"n": "4", "lr": "0.75", "opt": "sgd"}
    encoded = space.encode(tuned)
    assert encoded == {"n": 4, "lr": pytest.approx(0.25), "opt": "sgd"}
    assert space.encode({"n": "40", "lr": "0.75", "opt": "sgd"}) is None  # outside the range
    assert space.encode({"n": "4"}) is None  # not the same parameters


def test_categorical_distribution():
    (param,) = one({"CategoricalParameterRanges": [{"Name": "opt", "Values": ["a", "b"]}]})
    assert param.distribution == CategoricalDistribution(["a", "b"])
    assert param.grid_values() == ["a", "b"]


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (continuous("Linear", "2", "1"), "must not exceed"),
        (continuous("Logarithmic", "0", "1"), "MinValue > 0"),
        (continuous("ReverseLogarithmic", "0.5", "1"), "0 <= MinValue < MaxValue < 1"),
        (
            {
                "IntegerParameterRanges": [
                    {"Name": "n", "MinValue": "1", "MaxValue": "5", "ScalingType": "ReverseLogarithmic"}
                ]
            },
            "continuous ranges only",
        ),
        ({"IntegerParameterRanges": [{"Name": "n", "MinValue": "1.5", "MaxValue": "5"}]}, "integers"),
        (continuous("Linear", "a", "1"), "must be numbers"),
        ({"CategoricalParameterRanges": [{"Name": "c", "Values": ["a", "a"]}]}, "distinct"),
        (
            {
                "IntegerParameterRanges": [{"Name": "p", "MinValue": "1", "MaxValue": "5"}],
                **continuous("Linear"),
            },
            "more than one range",
        ),
    ],
)
def test_invalid_ranges_are_rejected(ranges, message):
    with pytest.raises(ValidationError, match=message):
        one(ranges)


def test_grid_rejects_continuous_ranges():
    space = parse_space([{}], [continuous("Linear")])
    with pytest.raises(ValidationError, match="continuous"):
        space.grid()


def test_grid_size_is_the_product_of_range_sizes():
    space = parse_space(
        [{}],
        [
            {
                "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "4"}],
                "CategoricalParameterRanges": [{"Name": "c", "Values": ["a", "b", "c"]}],
            }
        ],
    )
    assert space.grid_size() == 12


def test_several_definitions_form_a_conditional_space():
    ranges = {"IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "4"}]}
    space = parse_space([{"DefinitionName": "a"}, {"DefinitionName": "b"}], [ranges, ranges])
    assert space.multi
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    chosen = set()
    for _ in range(20):
        params = suggest(study.ask(), space)
        name = params[DEFINITION_KEY]
        chosen.add(name)
        assert set(params) == {DEFINITION_KEY, f"{name}:n"}
        assert space.definitions[space.definition_of(params)].name == name
    assert chosen == {"a", "b"}
