"""Strategy selection: which optuna sampler and pruner a tuning job runs with.

==========  ============================================  ==========================================
Strategy    sampler                                       pruner
==========  ============================================  ==========================================
Bayesian    ``TPESampler`` (multivariate, constant liar)  MedianPruner if early stopping is Auto
Random      ``RandomSampler``                             MedianPruner if early stopping is Auto
Grid        ``GridSampler`` (integer/categorical only)    MedianPruner if early stopping is Auto
Hyperband   ``TPESampler`` (BOHB-style)                   ``HyperbandPruner`` on intermediate values
==========  ============================================  ==========================================

Why TPE and not ``GPSampler`` for Bayesian: optuna's GP sampler needs PyTorch, which this backend
does not install; TPE is optuna's model-based default, handles integer, log and categorical
parameters and conditional spaces (several definitions), and with ``constant_liar`` does not
propose the same point to trials that run in parallel. Hyperband samples with TPE too, the
combination optuna recommends; SageMaker does not document Hyperband's sampler.

Early stopping ``Auto`` follows SageMaker's description (stop a trial whose objective at an epoch
is worse than the median of the earlier trials at that epoch): ``MedianPruner`` once 3 trials have
completed, never on a trial's first value, and only where at least 3 trials reported that step.
"""

from __future__ import annotations

from typing import Any

import optuna

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.tuning.space import SearchSpace

STRATEGIES = ("Bayesian", "Random", "Grid", "Hyperband")
# SageMaker infers Hyperband's MaxResource from these static hyperparameters.
EPOCH_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")
MAX_HYPERBAND_RESOURCE = 20000
MEDIAN_STARTUP_TRIALS = 3
MEDIAN_MIN_TRIALS = 3


class _AskTellGridSampler(optuna.samplers.GridSampler):
    """GridSampler for ask-and-tell: the engine stops at the grid size by itself.

    GridSampler's ``after_trial`` calls ``study.stop()`` once the grid is covered, which only works
    inside ``study.optimize()`` and raises under ask-and-tell; everything else is GridSampler's.
    """

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        return None


def startup_trials(budget: int) -> int:
    """Random trials before TPE models the space: a quarter of the budget, between 2 and 10."""
    return max(2, min(10, budget // 4))


def make_sampler(
    strategy: str, space: SearchSpace, seed: int | None, budget: int
) -> optuna.samplers.BaseSampler:
    """The optuna sampler for a strategy (``seed`` makes its choices reproducible)."""
    if strategy == "Random":
        return optuna.samplers.RandomSampler(seed=seed)
    if strategy == "Grid":
        return _AskTellGridSampler(space.grid(), seed=seed)
    if strategy in ("Bayesian", "Hyperband"):
        return optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=startup_trials(budget),
            multivariate=True,
            group=space.multi,
            constant_liar=True,
        )
    raise ValidationError(f"Unknown Strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")


def make_pruner(config: dict[str, Any], static_hps: list[dict[str, str]]) -> optuna.pruners.BasePruner:
    """The pruner: Hyperband's, early stopping Auto's median rule, or none."""
    if config["Strategy"] == "Hyperband":
        low, high = hyperband_resources(config, static_hps)
        return optuna.pruners.HyperbandPruner(min_resource=low, max_resource=high, reduction_factor=3)
    if config.get("TrainingJobEarlyStoppingType", "Off") == "Auto":
        return optuna.pruners.MedianPruner(
            n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=1, n_min_trials=MEDIAN_MIN_TRIALS
        )
    return optuna.pruners.NopPruner()


def hyperband_resources(config: dict[str, Any], static_hps: list[dict[str, str]]) -> tuple[int, int]:
    """(MinResource, MaxResource) in epochs; MaxResource inferred from static epoch counts."""
    hyperband = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
    low = int(hyperband.get("MinResource", 1))
    high = hyperband.get("MaxResource")
    if high is None:
        for hps in static_hps:
            for key in EPOCH_KEYS:
                if key in hps:
                    try:
                        high = int(float(hps[key]))
                    except ValueError:
                        continue
                    break
            if high is not None:
                break
    if high is None:
        raise ValidationError(
            "Hyperband needs HyperbandStrategyConfig.MaxResource or a static hyperparameter "
            f"among {', '.join(EPOCH_KEYS)} to infer it from"
        )
    high = int(high)
    if not 1 <= low <= high <= MAX_HYPERBAND_RESOURCE:
        raise ValidationError(
            f"Hyperband needs 1 <= MinResource ({low}) <= MaxResource ({high}) <= {MAX_HYPERBAND_RESOURCE}"
        )
    return low, high


def validate_strategy(config: dict[str, Any], space: SearchSpace, static_hps: list[dict[str, str]]) -> None:
    """SageMaker's strategy rules, checked before the job is created."""
    strategy = config["Strategy"]
    if strategy not in STRATEGIES:
        raise ValidationError(f"Unknown Strategy {strategy!r}")
    early = config.get("TrainingJobEarlyStoppingType", "Off")
    if strategy == "Hyperband":
        if early != "Off":
            raise ValidationError("TrainingJobEarlyStoppingType must be Off with the Hyperband strategy")
        hyperband_resources(config, static_hps)
    elif (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig"):
        raise ValidationError("HyperbandStrategyConfig is only valid with the Hyperband strategy")
    if strategy == "Grid":
        space.grid()
