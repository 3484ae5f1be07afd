"""The synthetic objective and request builders of the tuning integration tests.

``objective.py`` is a script-mode training script with a known optimum:
``loss = (x - 3)^2 + (log10(lr) + 2)^2``, minimal (0) at x = 3, lr = 0.01. It prints one
``loss=<value>`` line per epoch, approaching the final value from above (``+ (epochs - e) / 2``),
so intermediate values rank trials as the final ones do. Static hyperparameters steer it:
``epochs``, ``epoch_seconds``, ``record_dir`` (writes ``<job>.span`` with its start and end
times, to measure concurrency), ``fail_above`` (fails with output/failure when x exceeds it),
``hold_file`` (sleeps while that file exists: trials that outlive a restart or a stop).
"""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"

OBJECTIVE = """
import json, math, os, sys, time

hps = json.loads(os.environ["SM_HPS"])
job = os.environ.get("TRAINING_JOB_NAME", "job")
started = time.time()
x = float(hps.get("x", 3))
lr = float(hps.get("lr", 0.01))
if "fail_above" in hps and x > float(hps["fail_above"]):
    with open(os.path.join(os.environ.get("SM_OUTPUT_DIR", "."), "failure"), "w") as fh:
        fh.write(f"x={x} is too large")
    sys.exit(1)
loss = (x - 3) ** 2 + (math.log10(lr) + 2) ** 2
epochs = int(hps.get("epochs", 3))
for epoch in range(1, epochs + 1):
    time.sleep(float(hps.get("epoch_seconds", 0.02)))
    print(f"epoch={epoch} loss={loss + (epochs - epoch) / 2:.6f}", flush=True)
hold = hps.get("hold_file")
while hold and os.path.exists(hold):
    time.sleep(0.05)
record = hps.get("record_dir")
if record:
    with open(os.path.join(record, job + ".span"), "w") as fh:
        fh.write(f"{started} {time.time()}")
"""

LOSS_REGEX = r"loss=([0-9.eE+-]+)"
_names = itertools.count()


def continuous_ranges() -> dict[str, Any]:
    return {
        "ContinuousParameterRanges": [
            {"Name": "x", "MinValue": "0", "MaxValue": "6", "ScalingType": "Linear"},
            {"Name": "lr", "MinValue": "0.0001", "MaxValue": "1", "ScalingType": "Logarithmic"},
        ]
    }


def tuning_request(
    code_uri: str,
    output: Path,
    *,
    name: str | None = None,
    strategy: str = "Bayesian",
    max_jobs: int | None = 10,
    parallel: int = 2,
    ranges: dict[str, Any] | None = None,
    static: dict[str, str] | None = None,
    **config: Any,
) -> dict[str, Any]:
    """A CreateHyperParameterTuningJob request tuning ``objective.py``."""
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    job_config: dict[str, Any] = {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ResourceLimits": limits,
        "ParameterRanges": ranges or continuous_ranges(),
        **config,
    }
    return {
        "HyperParameterTuningJobName": name or f"tune-{next(_names)}",
        "HyperParameterTuningJobConfig": job_config,
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": "local/sklearn:latest",
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "loss", "Regex": LOSS_REGEX}],
            },
            "RoleArn": ROLE,
            "StaticHyperParameters": {
                "sagemaker_program": '"objective.py"',
                "sagemaker_submit_directory": f'"{code_uri}"',
                "epochs": "3",
                "epoch_seconds": "0.02",
                **(static or {}),
            },
            "OutputDataConfig": {"S3OutputPath": f"file://{output}"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 120},
        },
    }


def wait_tuning(
    client: Any,
    name: str,
    timeout: float = 90.0,
    statuses: tuple[str, ...] = ("Completed", "Failed", "Stopped"),
) -> dict[str, Any]:
    """Poll DescribeHyperParameterTuningJob with a deadline until it reaches one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        described = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] in statuses:
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"tuning job {name} still {described['HyperParameterTuningJobStatus']}")
        time.sleep(0.1)


def max_overlap(record_dir: Path) -> int:
    """The most training processes that ran at the same moment, from their recorded spans."""
    events = []
    for span in record_dir.glob("*.span"):
        start, end = (float(v) for v in span.read_text().split())
        events += [(start, 1), (end, -1)]
    running = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    return peak


def loss_of(tuned: dict[str, str]) -> float:
    """The objective at a trial's tuned hyperparameters (what the script computes)."""
    return (float(tuned["x"]) - 3) ** 2 + (math.log10(float(tuned["lr"])) + 2) ** 2
