"""SageMaker's built-in XGBoost algorithm, as its container behaves, on the xgboost library.

Run by the local backend as ``python -m airflow_sm_provider.local.algorithms.xgboost_train``
inside a job's directory, with the ``SM_*`` environment. Like the container it reads
``hyperparameters.json`` (``num_round`` required, the documented names only, numbers as
strings) and ``inputdataconfig.json``; trains on the ``train`` channel and evaluates on
``train`` and, when given, ``validation``; reads ``text/csv`` (label in the first column, no
header; with ``csv_weights=1`` the weight in the second) or ``text/libsvm`` (the default);
adds the metric of ``_tuning_objective_metric`` to ``eval_metric``; prints one evaluation line
per round; saves ``xgboost-model`` in the model directory; keeps ``xgboost-checkpoint.<round>``
files in the checkpoint directory and resumes from the last one. A problem with the request or
the data is written to ``output/failure`` as a ``ClientError``, and the process exits 1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from scipy import sparse

from airflow_sm_provider.local.algorithms.xgboost_spec import HYPERPARAMETERS

CSV = ("text/csv", "csv")
LIBSVM = ("text/libsvm", "libsvm", "text/x-libsvm")
CHECKPOINT = "xgboost-checkpoint"
INTEGERS = ("num_round", "early_stopping_rounds", "csv_weights", "max_depth", "num_class", "seed", "nthread")


class ClientError(Exception):
    """The request or its data is wrong: what the container reports as a ClientError."""


def _number(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def parameters(raw: dict[str, str]) -> tuple[dict[str, Any], int, int | None, bool]:
    """xgboost params, num_round, early_stopping_rounds and csv_weights from hyperparameters."""
    values = {key: str(json.loads(v) if v.startswith('"') else v) for key, v in raw.items()}
    unknown = sorted(set(values) - HYPERPARAMETERS)
    if unknown:
        raise ClientError(f"Additional hyperparameters are not allowed ({', '.join(unknown)} unexpected)")
    if "num_round" not in values:
        raise ClientError("Missing required hyperparameter: num_round")
    for key in INTEGERS:
        if key in values and not values[key].lstrip("-").isdigit():
            raise ClientError(f"Hyperparameter {key}: {values[key]!r} is not an integer")
    num_round = int(values.pop("num_round"))
    if num_round < 1:
        raise ClientError("Hyperparameter num_round: must be at least 1")
    early = values.pop("early_stopping_rounds", None)
    weights = values.pop("csv_weights", "0") == "1"
    metrics = [m for m in values.pop("eval_metric", "").split(",") if m]
    objective = values.pop("_tuning_objective_metric", "")
    if objective:
        metric = objective.split(":", 1)[-1]
        if metric not in metrics:
            metrics.append(metric)
    params: dict[str, Any] = {key: _number(value) for key, value in values.items()}
    params.pop("silent", None)
    if metrics:
        params["eval_metric"] = metrics
    return params, num_round, int(early) if early is not None else None, weights


def _files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ClientError(f"No data in channel {directory.name}")
    return files


def _csv(files: list[Path], weights: bool) -> xgb.DMatrix:
    try:
        rows = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])
    except ValueError as err:
        raise ClientError(f"Could not read CSV data (label first, no header): {err}") from err
    start = 2 if weights else 1
    return xgb.DMatrix(rows[:, start:], label=rows[:, 0], weight=rows[:, 1] if weights else None)


def _libsvm(files: list[Path]) -> xgb.DMatrix:
    labels, data, columns, pointers = [], [], [], [0]
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            try:
                labels.append(float(fields[0]))
                for pair in fields[1:]:
                    index, value = pair.split(":", 1)
                    columns.append(int(index))
                    data.append(float(value))
            except ValueError as err:
                raise ClientError(f"{path.name} line {number} is not libsvm ({err})") from err
            pointers.append(len(data))
    matrix = sparse.csr_matrix((data, columns, pointers), shape=(len(labels), max(columns, default=-1) + 1))
    return xgb.DMatrix(matrix, label=np.array(labels))


def load(channel: str, content_type: str | None, weights: bool) -> xgb.DMatrix:
    directory = Path(os.environ[f"SM_CHANNEL_{channel.upper()}"])
    kind = (content_type or "text/libsvm").split(";")[0].strip().lower()
    if kind in CSV:
        return _csv(_files(directory), weights)
    if kind in LIBSVM:
        return _libsvm(_files(directory))
    raise ClientError(
        f"Content type {content_type!r} of channel {channel} is not supported locally (CSV, libsvm)"
    )


class Checkpoints(xgb.callback.TrainingCallback):
    """Saves ``xgboost-checkpoint.<round>`` after every round, keeping the last few."""

    def __init__(self, directory: Path, keep: int = 5) -> None:
        self.directory = directory
        self.keep = keep

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        path = self.directory / f"{CHECKPOINT}.{epoch}"
        model.save_model(str(path) + ".ubj")
        os.replace(str(path) + ".ubj", path)
        for old in sorted(self.directory.glob(f"{CHECKPOINT}.*"), key=_round)[: -self.keep]:
            old.unlink(missing_ok=True)
        return False


def _round(path: Path) -> int:
    suffix = path.name.rsplit(".", 1)[-1]
    return int(suffix) if suffix.isdigit() else -1


def resume(directory: Path) -> tuple[xgb.Booster | None, int]:
    """The last checkpoint and the number of rounds it holds."""
    saved = [p for p in directory.glob(f"{CHECKPOINT}.*") if _round(p) >= 0]
    if not saved:
        return None, 0
    last = max(saved, key=_round)
    booster = xgb.Booster()
    booster.load_model(str(last))
    return booster, _round(last) + 1


def train() -> None:
    config = Path(os.environ["SM_INPUT_CONFIG_DIR"])
    hyperparameters = json.loads((config / "hyperparameters.json").read_text())
    channels = json.loads((config / "inputdataconfig.json").read_text())
    params, num_round, early, weights = parameters(hyperparameters)
    if "train" not in channels:
        raise ClientError("The train channel is required")
    evals = [(load("train", channels["train"].get("ContentType"), weights), "train")]
    if "validation" in channels:
        evals.append((load("validation", channels["validation"].get("ContentType"), weights), "validation"))
    checkpoints = Path(os.environ["SM_CHECKPOINT_DIR"])
    checkpoints.mkdir(parents=True, exist_ok=True)
    previous, done = resume(checkpoints)
    if done:
        print(f"Resuming from checkpoint: {done} rounds done", flush=True)
    try:
        booster = xgb.train(
            params,
            evals[0][0],
            num_boost_round=max(0, num_round - done),
            evals=evals,
            early_stopping_rounds=early if len(evals) > 1 else None,
            xgb_model=previous,
            callbacks=[Checkpoints(checkpoints)],
        )
    except xgb.core.XGBoostError as err:
        raise ClientError(
            f"XGBoost rejected the hyperparameters or data: {str(err).splitlines()[0]}"
        ) from err
    model = Path(os.environ["SM_MODEL_DIR"]) / "xgboost-model"
    booster.save_model(str(model) + ".ubj")
    os.replace(str(model) + ".ubj", model)


def main() -> int:
    try:
        train()
    except ClientError as err:
        message = f"ClientError: {err}"
        print(message, file=sys.stderr, flush=True)
        (Path(os.environ["SM_OUTPUT_DIR"]) / "failure").write_text(message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
