"""Tuning searches over HTTP with boto3 and real training processes: each strategy finds the
known optimum of ``objective.py`` within its budget, and MaxParallelTrainingJobs is observed.

Tolerances (loss at the best trial; the optimum is 0; two trials at a time): Bayesian <= 0.5 in
20 trials, Random <= 1.5 in 16, Hyperband <= 1.5 in 16 (early-stopped trials do not count as
best), Grid exactly 0 (the optimum is a grid point).
"""

from __future__ import annotations

import pytest
from sm_tuning_helpers import OBJECTIVE, loss_of, max_overlap, tuning_request, wait_tuning

pytestmark = pytest.mark.integration


@pytest.fixture
def code(scripts) -> str:
    return scripts.write(OBJECTIVE, name="objective.py")


@pytest.mark.parametrize(
    ("strategy", "budget", "tolerance", "config"),
    [
        ("Bayesian", 20, 0.5, {}),
        ("Random", 16, 1.5, {}),
        (
            "Hyperband",
            16,
            1.5,
            {"StrategyConfig": {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 9}}},
        ),
    ],
)
def test_strategy_finds_the_optimum_within_tolerance(
    sm_client, code, tmp_path, strategy, budget, tolerance, config
):
    record = tmp_path / "spans"
    record.mkdir()
    static = {"record_dir": str(record)}
    if strategy == "Hyperband":
        static.update(epochs="9", epoch_seconds="0.03")
    request = tuning_request(
        code,
        tmp_path / "out",
        strategy=strategy,
        max_jobs=budget,
        parallel=2,
        static=static,
        RandomSeed=7,
        **config,
    )
    sm_client.create_hyper_parameter_tuning_job(**request)
    described = wait_tuning(sm_client, request["HyperParameterTuningJobName"])
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    counters = described["TrainingJobStatusCounters"]
    assert counters["Completed"] + counters["Stopped"] == budget
    best = described["BestTrainingJob"]
    value = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert value == pytest.approx(loss_of(best["TunedHyperParameters"]), abs=1e-4)
    print(f"\n{strategy}: best loss {value:.4f} (tolerance {tolerance}), counters {counters}")
    assert value <= tolerance, f"{strategy}: best loss {value} above {tolerance}"
    if strategy == "Hyperband":
        assert counters["Stopped"] >= 1  # trials pruned on their intermediate values
    # Two training processes at once, never three.
    assert max_overlap(record) == 2


def test_grid_search_lands_on_the_optimum(sm_client, code, tmp_path):
    ranges = {
        "IntegerParameterRanges": [{"Name": "x", "MinValue": "1", "MaxValue": "5"}],
        "CategoricalParameterRanges": [{"Name": "lr", "Values": ["0.001", "0.01", "0.1"]}],
    }
    request = tuning_request(
        code, tmp_path / "out", strategy="Grid", max_jobs=None, parallel=3, ranges=ranges
    )
    sm_client.create_hyper_parameter_tuning_job(**request)
    described = wait_tuning(sm_client, request["HyperParameterTuningJobName"])
    assert described["TrainingJobStatusCounters"]["Completed"] == 15
    assert described["BestTrainingJob"]["TunedHyperParameters"] == {"x": "3", "lr": "0.01"}
    assert described["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.0
