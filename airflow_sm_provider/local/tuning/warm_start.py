"""``WarmStartConfig``: seed a new search with its parent tuning jobs' results.

Both warm start types add every completed parent trial whose tuned hyperparameters fit the new
ranges to the optuna study as a finished trial (``study.add_trial``), so the sampler's model
starts from them; they do not count against the new job's budget and are not its training jobs.

- ``IdenticalDataAndAlgorithm``: the parents must have the same objective (metric and type).
- ``TransferLearning``: data, algorithm and ranges may differ; parent trials whose objective
  type differs, or whose values fall outside the new ranges, are left out.

``OverallBestTrainingJob`` is the best completed trial over the new job and all its parents
(reported for both warm start types, whether the new job or a parent holds it).
"""

from __future__ import annotations

from typing import Any

import optuna

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.tuning.records import Trial, TuningJob
from airflow_sm_provider.local.tuning.space import DEFINITION_KEY, SearchSpace, trial_distributions
from airflow_sm_provider.local.tuning.trials import objective_of


def parents_of(request: dict[str, Any], jobs: dict[str, TuningJob]) -> list[TuningJob]:
    """The parent jobs named in ``WarmStartConfig``; each must exist and have finished."""
    warm = request.get("WarmStartConfig")
    if not warm:
        return []
    parents = []
    for item in warm["ParentHyperParameterTuningJobs"]:
        name = item.get("HyperParameterTuningJobName")
        parent = jobs.get(name or "")
        if parent is None:
            raise ValidationError(f"WarmStartConfig: parent tuning job {name!r} does not exist")
        if not parent.terminal:
            raise ValidationError(f"WarmStartConfig: parent tuning job {name!r} has not finished")
        parents.append(parent)
    if warm["WarmStartType"] == "IdenticalDataAndAlgorithm":
        own = _objective(request)
        for parent in parents:
            theirs = objective_of(parent.config, parent.definitions[0])
            if (theirs["MetricName"], theirs["Type"]) != (own["MetricName"], own["Type"]):
                raise ValidationError(
                    f"WarmStartConfig: IdenticalDataAndAlgorithm parent {parent.name!r} "
                    "has a different objective"
                )
    return parents


def seed_trials(
    job: TuningJob, space: SearchSpace, parents: list[TuningJob]
) -> list[optuna.trial.FrozenTrial]:
    """The parents' completed trials as finished optuna trials in the new job's space."""
    own_type = objective_of(job.config, job.definitions[0])["Type"]
    seeded = []
    for parent in parents:
        for trial in parent.trials:
            if trial.status != "Completed" or trial.objective_value is None:
                continue
            if objective_of(parent.config, parent.definitions[trial.definition])["Type"] != own_type:
                continue
            params = _encode(space, parent, trial)
            if params is None:
                continue
            seeded.append(
                optuna.trial.create_trial(
                    value=trial.objective_value,
                    params=params,
                    distributions=trial_distributions(space, params),
                    intermediate_values={i + 1: v for i, v in enumerate(trial.intermediate)},
                    user_attrs={"warm_start_parent": parent.name, "training_job": trial.name},
                )
            )
    return seeded


def overall_best(job: TuningJob, jobs: dict[str, TuningJob]) -> tuple[TuningJob, Trial] | None:
    """The best completed trial over the job and its parents (None for a job without warm start)."""
    warm = job.request.get("WarmStartConfig")
    if not warm:
        return None
    candidates: list[tuple[TuningJob, Trial]] = []
    for owner in [job] + [
        jobs[p["HyperParameterTuningJobName"]]
        for p in warm["ParentHyperParameterTuningJobs"]
        if p.get("HyperParameterTuningJobName") in jobs
    ]:
        best = owner.best_trial()
        if best is not None:
            candidates.append((owner, best))
    if not candidates:
        return None
    sign = 1.0 if job.minimize else -1.0
    return min(candidates, key=lambda pair: sign * (pair[1].objective_value or 0.0))


def _objective(request: dict[str, Any]) -> dict[str, Any]:
    definition = request.get("TrainingJobDefinition") or request["TrainingJobDefinitions"][0]
    return objective_of(request["HyperParameterTuningJobConfig"], definition)


def _encode(space: SearchSpace, parent: TuningJob, trial: Trial) -> dict[str, Any] | None:
    """A parent trial's params in the new space: same definition name when there are several."""
    if space.multi:
        name = parent.definitions[trial.definition].get("DefinitionName")
        names = space.definition_names()
        if name not in names:
            return None
        params = space.definitions[names.index(name)].encode(trial.tuned)
        return None if params is None else {DEFINITION_KEY: name, **params}
    return space.definitions[0].encode(trial.tuned)
