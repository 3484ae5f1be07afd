"""Strategy selection: each strategy's optuna sampler and pruner, and SageMaker's strategy rules."""

from __future__ import annotations

import optuna
import pytest

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.tuning import strategies
from airflow_sm_provider.local.tuning.space import parse_space

INTEGER = {"IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "3"}]}
CONTINUOUS = {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1"}]}


def space(ranges=INTEGER):
    return parse_space([{}], [ranges])


@pytest.mark.parametrize(
    ("strategy", "sampler"),
    [
        ("Bayesian", optuna.samplers.TPESampler),
        ("Random", optuna.samplers.RandomSampler),
        ("Grid", optuna.samplers.GridSampler),
        ("Hyperband", optuna.samplers.TPESampler),
    ],
)
def test_each_strategy_gets_its_optuna_sampler(strategy, sampler):
    assert isinstance(strategies.make_sampler(strategy, space(), 7, 20), sampler)


def test_bayesian_is_model_based_after_a_few_random_trials():
    sampler = strategies.make_sampler("Bayesian", space(), 0, 20)
    assert sampler._n_startup_trials == strategies.startup_trials(20) == 5
    assert strategies.startup_trials(4) == 2 and strategies.startup_trials(500) == 10


@pytest.mark.parametrize("strategy", ["Bayesian", "Random", "Grid"])
def test_seeded_samplers_make_the_same_choices(strategy):
    def choices():
        study = optuna.create_study(sampler=strategies.make_sampler(strategy, space(), 42, 20))
        picked = []
        for _ in range(3):
            trial = study.ask()
            picked.append(trial.suggest_int("n", 1, 3))
            study.tell(trial, float(picked[-1]))
        return picked

    assert choices() == choices()


def test_grid_sampler_under_ask_and_tell_covers_the_grid_without_raising():
    study = optuna.create_study(sampler=strategies.make_sampler("Grid", space(), 0, 3))
    seen = []
    for _ in range(3):
        trial = study.ask()
        seen.append(trial.suggest_int("n", 1, 3))
        study.tell(trial, 1.0)
    assert sorted(seen) == [1, 2, 3]


def test_pruner_follows_strategy_and_early_stopping():
    hyperband = {"Strategy": "Hyperband", "StrategyConfig": {"HyperbandStrategyConfig": {"MaxResource": 9}}}
    assert isinstance(strategies.make_pruner(hyperband, [{}]), optuna.pruners.HyperbandPruner)
    auto = {"Strategy": "Bayesian", "TrainingJobEarlyStoppingType": "Auto"}
    assert isinstance(strategies.make_pruner(auto, [{}]), optuna.pruners.MedianPruner)
    assert isinstance(strategies.make_pruner({"Strategy": "Random"}, [{}]), optuna.pruners.NopPruner)


def test_hyperband_infers_max_resource_from_static_epochs():
    config = {"Strategy": "Hyperband"}
    assert strategies.hyperband_resources(config, [{"num_epochs": "27"}]) == (1, 27)
    with pytest.raises(ValidationError, match="MaxResource"):
        strategies.hyperband_resources(config, [{"other": "1"}])


@pytest.mark.parametrize(
    ("config", "ranges", "message"),
    [
        (
            {
                "Strategy": "Hyperband",
                "TrainingJobEarlyStoppingType": "Auto",
                "StrategyConfig": {"HyperbandStrategyConfig": {"MaxResource": 3}},
            },
            INTEGER,
            "must be Off",
        ),
        (
            {
                "Strategy": "Hyperband",
                "StrategyConfig": {"HyperbandStrategyConfig": {"MinResource": 5, "MaxResource": 3}},
            },
            INTEGER,
            "MinResource",
        ),
        (
            {"Strategy": "Random", "StrategyConfig": {"HyperbandStrategyConfig": {"MaxResource": 3}}},
            INTEGER,
            "only valid with the Hyperband",
        ),
        ({"Strategy": "Grid"}, CONTINUOUS, "continuous"),
    ],
)
def test_strategy_rules(config, ranges, message):
    with pytest.raises(ValidationError, match=message):
        strategies.validate_strategy(config, space(ranges), [{}])
