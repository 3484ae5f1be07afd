"""Hyperparameter tuning for the local backend, on optuna's samplers and pruners.

Modules, one concept each::

    service     TuningService: the five tuning operations; owns jobs, engines, store
    engine      one thread per tuning job: ask -> training job -> poll/prune -> tell
    watch       a watcher thread per running trial; a finished trial's objective
    study       the optuna study: sampler + pruner + direction, rebuilt from records on resume
    strategies  Bayesian/Random/Grid/Hyperband -> sampler; early stopping/Hyperband -> pruner
    space       ParameterRanges + ScalingType -> optuna distributions; values <-> strings
    completion  TuningJobCompletionCriteria (target, not improving, convergence)
    warm_start  parent jobs' trials seeded into the study; OverallBestTrainingJob
    trials      a trial's CreateTrainingJob request, name and tags
    validation  SageMaker's rules for CreateHyperParameterTuningJob
    responses   Describe and List summaries packed from the records (no rules)
    records     TuningJob and Trial records; objective, direction, best trial
    store       their SQLite tables
"""

from __future__ import annotations

from airflow_sm_provider.local.tuning.service import TuningService

__all__ = ["TuningService"]
