"""How much the local backend adds to a training job, and how fast it runs tuning trials.

Run by hand (not in CI)::

    .venv/bin/python bench/local_overhead.py [--jobs 20] [--trials 8]

The backend runs as ``python -m airflow_sm_provider.local serve`` in its own process.

1. Overhead per training job: median wall time from CreateTrainingJob to the first
   DescribeTrainingJob that reports Completed (a boto3 client polling every 50 ms, as a tight
   Airflow trigger would), minus the median wall time of running the same script directly with
   ``subprocess.run``. Target: under 0.5 s.
2. Tuning throughput: completed trials per minute of a Random-strategy tuning job at
   MaxParallelTrainingJobs 1 and 2 (skipped if the tuning engine is not installed).
3. Poller load: DescribeTrainingJob calls per second from 30 threads (one client each) while a
   job runs, and how much longer that job's training takes than the same job unobserved.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3

POLL = 0.05
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
SCRIPT = """\
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, default=0.5)
args, _ = parser.parse_known_args()
for epoch in range(3):
    print(f"epoch={epoch} loss={(args.x - 0.3) ** 2 + 0.1 / (epoch + 1)}")
with open(os.path.join(os.environ.get("SM_MODEL_DIR", "."), "model.txt"), "w") as f:
    f.write(str(args.x))
"""


def _client(connection: dict):
    """A client from the connection ``python -m airflow_sm_provider.local connection`` prints."""
    return boto3.client(
        "sagemaker",
        endpoint_url=connection["extra"]["endpoint_url"],
        region_name=connection["extra"]["region_name"],
        aws_access_key_id=connection["login"],
        aws_secret_access_key=connection["password"],
    )


def _definition(code: Path, output: Path) -> dict:
    return {
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "local",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.eE+-]+)"}],
        },
        "OutputDataConfig": {"S3OutputPath": f"file://{output}"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def _hyperparameters(code: Path) -> dict[str, str]:
    return {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"file://{code}"'}


def direct_seconds(code: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "train.py"], cwd=code, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def backend_seconds(client, code: Path, output: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        client.create_training_job(
            TrainingJobName=f"bench-{i}", HyperParameters=_hyperparameters(code), **_definition(code, output)
        )
        while True:
            status = client.describe_training_job(TrainingJobName=f"bench-{i}")["TrainingJobStatus"]
            if status in ("Completed", "Failed", "Stopped"):
                break
            time.sleep(POLL)
        if status != "Completed":
            raise SystemExit(f"bench-{i} ended {status}")
        times.append(time.perf_counter() - start)
    return times


def describe_load(
    client_factory, client, code: Path, output: Path, pollers: int = 30, calls: int = 40
) -> tuple[float, float, float]:
    """(describes/s, training seconds unobserved, training seconds under load) for a 1 s job."""
    slow = code.parent / "slow"
    slow.mkdir(exist_ok=True)
    (slow / "train.py").write_text(
        "import time\nfor i in range(20):\n    print(f'loss={i}')\n    time.sleep(0.05)\n"
    )

    def run(name: str) -> None:
        client.create_training_job(
            TrainingJobName=name, HyperParameters=_hyperparameters(slow), **_definition(slow, output)
        )

    def training_seconds(name: str) -> float:
        while (d := client.describe_training_job(TrainingJobName=name))["TrainingJobStatus"] == "InProgress":
            time.sleep(POLL)
        return (d["TrainingEndTime"] - d["TrainingStartTime"]).total_seconds()

    run("bench-quiet")
    quiet = training_seconds("bench-quiet")
    clients = [client_factory() for _ in range(pollers)]
    barrier = threading.Barrier(pollers + 1)

    def poll(c) -> None:
        barrier.wait()
        for _ in range(calls):
            c.describe_training_job(TrainingJobName="bench-loaded")

    run("bench-loaded")
    threads = [threading.Thread(target=poll, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    rate = pollers * calls / (time.perf_counter() - start)
    return rate, quiet, training_seconds("bench-loaded")


def trials_per_minute(client, code: Path, output: Path, trials: int, parallel: int) -> float:
    name = f"bench-tune-p{parallel}"
    definition = _definition(code, output)
    definition["StaticHyperParameters"] = _hyperparameters(code)
    start = time.perf_counter()
    client.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": trials, "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}
                ]
            },
        },
        TrainingJobDefinition=definition,
    )
    while True:
        described = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            break
        time.sleep(POLL)
    elapsed = time.perf_counter() - start
    done = described["TrainingJobStatusCounters"].get("Completed", 0)
    return done / elapsed * 60


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


@contextlib.contextmanager
def _served(home: Path) -> Iterator[dict]:
    """The backend as its own process, as users run it (clients here must not share its GIL);
    yields the connection the ``connection`` command prints for it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_sm_provider.local", "serve", "--port", "0", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip().rsplit(":", 1)[1]
        command = ["connection", "--home", str(home), "--port", port]
        printed = subprocess.run(
            [sys.executable, "-m", "airflow_sm_provider.local", *command],
            capture_output=True,
            text=True,
            check=True,
        )
        yield json.loads(printed.stdout)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20, help="training jobs per measurement")
    parser.add_argument("--trials", type=int, default=8, help="trials per tuning job")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        code = root / "code"
        code.mkdir()
        (code / "train.py").write_text(SCRIPT)
        with _served(root / "home") as connection:
            client = _client(connection)
            direct_seconds(code, 2)  # warm the page cache
            direct = direct_seconds(code, args.jobs)
            backend = backend_seconds(client, code, root / "out", args.jobs)
            rate, quiet, loaded = describe_load(lambda: _client(connection), client, code, root / "out")
            rates = {}
            try:
                from airflow_sm_provider.local.tuning import TuningService  # noqa: F401
            except ImportError:
                rates = None
            else:
                for parallel in (1, 2):
                    rates[parallel] = trials_per_minute(client, code, root / "out", args.trials, parallel)

    direct_med, backend_med = statistics.median(direct), statistics.median(backend)
    print(f"{'measure':<44}{'median s':>10}{'p90 s':>10}")
    print(f"{'script run directly (subprocess.run)':<44}{direct_med:>10.3f}{p90(direct):>10.3f}")
    print(f"{'create -> Completed via backend (50 ms poll)':<44}{backend_med:>10.3f}{p90(backend):>10.3f}")
    overhead = backend_med - direct_med
    verdict = "OK" if overhead < 0.5 else "OVER TARGET"
    print(f"{'overhead per job':<44}{overhead:>10.3f}{'':>10}  target < 0.5 s: {verdict}")
    print(f"{'DescribeTrainingJob calls/s, 30 pollers':<44}{rate:>10.0f}")
    print(f"{'1 s job: training time unobserved / polled':<44}{quiet:>10.2f}{loaded:>10.2f}")
    if rates is None:
        print("tuning engine not installed: trials/minute not measured")
    else:
        for parallel, rate in rates.items():
            print(f"{f'tuning trials/minute, MaxParallel {parallel}':<44}{rate:>10.1f}")


if __name__ == "__main__":
    main()
