"""dags/retraining/scripts/train.py run as SageMaker runs it: a subprocess with the SM_* environment.

An integration test: each case starts a Python process that imports scikit-learn and trains.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
TRAIN_SCRIPT = DAGS_DIR / "retraining" / "scripts" / "train.py"
STAGE_LINE = re.compile(r"^\[stage (\d+)/(\d+)\] ")


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def from_dags(name: str) -> ModuleType:
    """Import a module of the shared package as the DAG files do, with dags/ on ``sys.path``."""
    if str(DAGS_DIR) not in sys.path:
        sys.path.insert(0, str(DAGS_DIR))
    return importlib.import_module(name)


data_module = from_dags("retraining.data")
model = from_dags("retraining.model")
train_module = load(TRAIN_SCRIPT, "train_script_under_test")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    root: Path

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def failure(self) -> Path:
        return self.root / "output" / "failure"

    @property
    def stage_lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if STAGE_LINE.match(line)]

    def info(self) -> dict:
        return json.loads((self.model_dir / "model_info.json").read_text())

    def metrics(self) -> dict:
        return json.loads((self.root / "output" / "data" / "metrics.json").read_text())


def run_train(root: Path, channels: dict[str, Path], *args: str) -> Run:
    """Lay out an /opt/ml-like tree under ``root`` and run the script as the toolkit would."""
    root.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SM_")}
    env.update(
        SM_MODEL_DIR=str(root / "model"),
        SM_OUTPUT_DIR=str(root / "output"),
        SM_OUTPUT_DATA_DIR=str(root / "output" / "data"),
        SM_CHANNELS=json.dumps(sorted(channels)),
    )
    for name, path in channels.items():
        env[f"SM_CHANNEL_{name.upper()}"] = str(path)
    proc = subprocess.run(
        [sys.executable, str(TRAIN_SCRIPT), *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, root)


def matches(definition: dict[str, str], text: str) -> list[float]:
    return [float(m) for m in re.findall(definition["Regex"], text)]


def definition(name: str) -> dict[str, str]:
    return next(d.to_request() for d in model.METRIC_DEFINITIONS if d.name == name)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    summary = data_module.prepare_data(root.as_uri())
    return {name: root / name for name in summary["channels"]}


@pytest.fixture(scope="module")
def tuning_trial(data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A run shaped like a tuning trial: train + validation, the tuner's extra argument."""
    run = run_train(
        tmp_path_factory.mktemp("trial"),
        {"train": data["train"], "validation": data["validation"]},
        "--n_estimators",
        "60",
        "--max_depth",
        "3",
        "--learning_rate",
        "0.1",
        "--min_samples_leaf",
        "2",
        "--subsample",
        "0.9",
        "--_tuning_objective_metric",
        "validation:logloss",
    )
    assert run.returncode == 0, run.stderr
    return run


def read_csv(directory: Path) -> tuple[list[list[float]], list[int]]:
    rows = [
        [float(v) for v in line.split(",")]
        for path in sorted(directory.iterdir())
        for line in path.read_text().splitlines()
    ]
    return [r[1:] for r in rows], [int(r[0]) for r in rows]


def test_saved_model_loads_and_predicts_the_holdout_well(tuning_trial: Run, data: dict[str, Path]) -> None:
    model = train_module.model_fn(str(tuning_trial.model_dir))
    features, labels = read_csv(data["test"])
    predicted = model.predict(features)
    accuracy = sum(int(p == y) for p, y in zip(predicted, labels, strict=True)) / len(labels)
    assert accuracy > 0.85


def test_validation_metrics_are_sane_and_written_to_output_data(tuning_trial: Run) -> None:
    metrics = tuning_trial.metrics()
    assert metrics["validation:accuracy"] > 0.85
    assert metrics["validation:auc"] > 0.9
    assert 0 < metrics["validation:logloss"] < 0.5
    assert tuning_trial.info()["metrics"] == metrics


def test_every_stage_line_carries_train_and_validation_metrics(tuning_trial: Run) -> None:
    lines = tuning_trial.stage_lines
    assert 10 <= len(lines) <= 21
    for line in lines:
        for split in ("train", "validation"):
            for name in ("logloss", "accuracy", "auc"):
                assert len(matches(definition(f"{split}:{name}"), line)) == 1, (split, name, line)
    stages = [int(STAGE_LINE.match(line).group(1)) for line in lines]
    assert stages == sorted(stages) and stages[-1] == 60


def test_last_matched_objective_value_is_the_final_metric(tuning_trial: Run) -> None:
    # SageMaker reports the last regex match as the final value: it must be the full model's.
    objective = definition(model.OBJECTIVE.metric_name)
    values = matches(objective, tuning_trial.stdout)
    assert len(values) == len(tuning_trial.stage_lines)
    assert values[-1] == pytest.approx(tuning_trial.metrics()["validation:logloss"], abs=1e-6)
    assert values[-1] < values[0]  # the learning curve improves: early stopping has a signal


def test_metrics_of_channels_not_given_are_not_printed(tuning_trial: Run) -> None:
    for name in ("test:logloss", "test:accuracy", "test:auc"):
        assert matches(definition(name), tuning_trial.stdout) == []


def test_hyperparameters_reach_the_model(tuning_trial: Run) -> None:
    info = tuning_trial.info()
    assert info["hyperparameters"] == {
        "n_estimators": 60,
        "max_depth": 3,
        "learning_rate": 0.1,
        "min_samples_leaf": 2,
        "subsample": 0.9,
        "random_state": 0,
    }
    assert info["n_estimators_fitted"] == 60
    assert "_tuning_objective_metric" in tuning_trial.stderr  # reported as ignored, not fatal


def test_n_estimators_sets_the_number_of_reported_stages(data: dict[str, Path], tmp_path: Path) -> None:
    run = run_train(
        tmp_path,
        {"train": data["train"], "validation": data["validation"]},
        "--n_estimators",
        "7",
        "--max_depth",
        "2",
    )
    assert run.returncode == 0, run.stderr
    assert [STAGE_LINE.match(line).group(1) for line in run.stage_lines] == [str(i) for i in range(1, 8)]
    assert run.info()["n_estimators_fitted"] == 7
    assert run.info()["hyperparameters"]["max_depth"] == 2


def test_final_run_trains_on_full_data_and_reports_the_test_holdout(
    data: dict[str, Path], tmp_path: Path
) -> None:
    assert len(list(data["full"].iterdir())) == 2  # a channel of several CSV files
    run = run_train(tmp_path, {"train": data["full"], "test": data["test"]}, "--n_estimators", "40")
    assert run.returncode == 0, run.stderr
    info = run.info()
    assert info["rows"] == {"train": 455, "test": 114}
    expected = {f"{s}:{n}" for s in ("train", "test") for n in ("logloss", "accuracy", "auc")}
    assert set(run.metrics()) == expected
    assert run.metrics()["test:accuracy"] > 0.85
    assert matches(definition("test:accuracy"), run.stdout)[-1] == pytest.approx(
        run.metrics()["test:accuracy"], abs=1e-6
    )
    assert matches(definition("validation:logloss"), run.stdout) == []


def test_train_channel_alone_reports_training_metrics(data: dict[str, Path], tmp_path: Path) -> None:
    run = run_train(tmp_path, {"train": data["train"]}, "--n_estimators", "10")
    assert run.returncode == 0, run.stderr
    assert set(run.metrics()) == {"train:logloss", "train:accuracy", "train:auc"}
    assert (run.model_dir / "model.joblib").is_file()
    assert not run.failure.exists()


def write(path: Path, text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "part.csv").write_text(text)
    return path


@pytest.mark.parametrize(
    ("case", "args", "reason"),
    [
        ("no_train_channel", (), "'train' channel is required"),
        ("bad_type", ("--max_depth", "deep"), "invalid hyperparameters"),
        ("bad_value", ("--learning_rate", "-1"), "learning_rate"),
        ("not_numeric", (), "is not numeric CSV"),
        ("empty_channel", (), "has no data files"),
        ("feature_mismatch", (), "has 2 features, 'train' has 30"),
    ],
)
def test_failure_writes_the_reason_and_exits_non_zero(
    case: str, args: tuple[str, ...], reason: str, data: dict[str, Path], tmp_path: Path
) -> None:
    channels = {"train": data["train"], "validation": data["validation"]}
    if case == "no_train_channel":
        del channels["train"]
    elif case == "not_numeric":
        channels["validation"] = write(tmp_path / "bad", "1,a,b\n")
    elif case == "empty_channel":
        channels["validation"] = tmp_path / "empty"
        channels["validation"].mkdir()
    elif case == "feature_mismatch":
        channels["validation"] = write(tmp_path / "narrow", "1,0.5,0.25\n0,0.1,0.2\n")
    run = run_train(tmp_path / "job", channels, *args)
    assert run.returncode != 0
    assert reason in run.failure.read_text()
    assert len(run.failure.read_text()) <= 1024
    assert not (run.model_dir / "model.joblib").exists()
