"""The optuna study behind a tuning job: created at start, rebuilt from our records on resume.

We keep an in-memory optuna study per running job and treat our SQLite tables as the source of
truth (rather than optuna's RDB storage): the records already hold everything a study needs
(params, intermediate values, outcome), one store means one thing to back up, and a rebuilt study
is exact. Rebuilding adds every finished trial with ``study.add_trial``; for Grid each carries
the ``grid_id`` / ``search_space`` system attributes GridSampler uses to skip visited points.
Warm start seeds are added the same way (:mod:`.warm_start`).

After a restart the seed is offset by the number of trials already launched, so a seeded random
sampler does not propose the first points again.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import optuna
from optuna.study import StudyDirection

from airflow_sm_provider.local.tuning import strategies
from airflow_sm_provider.local.tuning.records import Trial, TuningJob
from airflow_sm_provider.local.tuning.space import SearchSpace, trial_distributions

optuna.logging.set_verbosity(optuna.logging.WARNING)


def new_study(job: TuningJob, space: SearchSpace, budget: int) -> optuna.Study:
    """An empty study with the job's sampler, pruner and direction."""
    config = job.config
    seed = config.get("RandomSeed")
    if seed is not None and job.trials:
        seed += len(job.trials)
    static_hps = [d.get("StaticHyperParameters") or {} for d in job.definitions]
    direction = StudyDirection.MINIMIZE if job.minimize else StudyDirection.MAXIMIZE
    return optuna.create_study(
        sampler=strategies.make_sampler(config["Strategy"], space, seed, budget),
        pruner=strategies.make_pruner(config, static_hps),
        direction=direction,
    )


def replay(study: optuna.Study, job: TuningJob, space: SearchSpace) -> None:
    """Add the job's finished trials to a fresh study (resume after a restart)."""
    grid = space.grid() if job.config["Strategy"] == "Grid" else None
    grid_points = list(itertools.product(*grid.values())) if grid else []
    for trial in job.trials:
        if not trial.finished:
            continue
        system_attrs: dict[str, Any] = {}
        if grid is not None:
            point = tuple(trial.params[key] for key in grid)
            if point in grid_points:
                system_attrs = {"search_space": grid, "grid_id": grid_points.index(point)}
        state, value = outcome(trial)
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                value=value,
                params=trial.params,
                distributions=trial_distributions(space, trial.params),
                intermediate_values=intermediate_values(trial),
                system_attrs=system_attrs,
            )
        )


def attach(study: optuna.Study, trial: Trial, space: SearchSpace) -> optuna.Trial:
    """A live optuna trial for a recorded trial that is still running (resume after a restart)."""
    study.enqueue_trial(trial.params)
    live = study.ask(fixed_distributions=trial_distributions(space, trial.params))
    for step, value in intermediate_values(trial).items():
        live.report(value, step)
    return live


def outcome(trial: Trial) -> tuple[optuna.trial.TrialState, float | None]:
    """How optuna should see a finished trial: COMPLETE with its value, PRUNED, or FAIL."""
    value = trial.objective_value
    if trial.status == "Completed" and value is not None and math.isfinite(value):
        return optuna.trial.TrialState.COMPLETE, value
    if trial.status == "Stopped" and trial.intermediate:
        return optuna.trial.TrialState.PRUNED, None
    return optuna.trial.TrialState.FAIL, None


def intermediate_values(trial: Trial) -> dict[int, float]:
    """A trial's emitted objective values keyed by 1-based step (epoch), finite ones only."""
    return {i + 1: v for i, v in enumerate(trial.intermediate) if math.isfinite(v)}
