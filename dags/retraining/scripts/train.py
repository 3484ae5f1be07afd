"""Gradient-boosted tree classifier, trained as a SageMaker script-mode entry point.

The same file runs unchanged in AWS's scikit-learn framework container and in this
project's local backend, because both follow the script-mode contract:

* hyperparameters arrive as command-line arguments, ``--name value``;
* each input channel is a directory named by ``SM_CHANNEL_<NAME>``, holding one or more
  CSV files with the label in the first column and no header row;
* the model goes to ``SM_MODEL_DIR``, other outputs to ``SM_OUTPUT_DATA_DIR``;
* on error, the reason is written to ``<SM_OUTPUT_DIR>/failure`` (reported as the job's
  ``FailureReason``) and the process exits non-zero.

Channels: ``train`` is required. ``validation`` and ``test`` are optional evaluation
sets. The tuning trials get ``train`` + ``validation``; the final run trains on the
combined ``full`` data given as its ``train`` channel, with the untouched ``test``
split as a holdout, so its metrics are an honest estimate and never resubstitution.

Metric lines, one per reported boosting stage (about 20 per run, always including the
last stage) so early stopping sees the objective improve over time::

    [stage 40/120] train-logloss=0.051230 validation-logloss=0.118842 validation-accuracy=0.964912 ...

The regular expressions that read them live with the pipeline, in
``retraining.model.METRIC_DEFINITIONS`` (``dags/retraining/model.py``).

``model_fn`` lets the scikit-learn serving container load the saved model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from pathlib import Path
from typing import Any

MODEL_FILE = "model.joblib"
INFO_FILE = "model_info.json"
METRICS_FILE = "metrics.json"
# SageMaker truncates FailureReason to 1024 characters; keep the useful head.
MAX_FAILURE_CHARS = 1024
# About this many metric lines per run, whatever n_estimators is.
TARGET_REPORTS = 20
EVAL_CHANNELS = ("validation", "test")


class UsageError(Exception):
    """Bad hyperparameters or input data: the message is the whole story."""


class _Parser(argparse.ArgumentParser):
    # argparse would print and exit(2); raise instead, so the failure file gets written.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"invalid hyperparameters: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--n_estimators", type=int, default=100, help="boosting stages")
    parser.add_argument("--max_depth", type=int, default=3, help="depth of each tree")
    parser.add_argument("--learning_rate", type=float, default=0.1, help="shrinkage per stage")
    parser.add_argument("--min_samples_leaf", type=int, default=1, help="rows per leaf, at least")
    parser.add_argument("--subsample", type=float, default=1.0, help="row fraction per stage")
    parser.add_argument("--random_state", type=int, default=0, help="seed for subsampling")
    return parser


def output_dir() -> Path:
    if "SM_OUTPUT_DIR" in os.environ:
        return Path(os.environ["SM_OUTPUT_DIR"])
    if "SM_OUTPUT_DATA_DIR" in os.environ:
        return Path(os.environ["SM_OUTPUT_DATA_DIR"]).parent
    return Path("/opt/ml/output")


def read_channel(name: str, directory: Path) -> tuple[Any, Any]:
    """Every regular, non-hidden file under ``directory`` as label-first CSV rows."""
    import numpy as np

    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise UsageError(f"channel {name!r} has no data files in {directory}")
    blocks = []
    for path in files:
        try:
            block = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
        except ValueError as err:
            raise UsageError(f"channel {name!r}: {path.name} is not numeric CSV: {err}") from err
        if block.size:
            blocks.append(block)
    if not blocks:
        raise UsageError(f"channel {name!r} has only empty files in {directory}")
    widths = {b.shape[1] for b in blocks}
    if len(widths) != 1:
        raise UsageError(f"channel {name!r}: files disagree on column count {sorted(widths)}")
    if widths.pop() < 2:
        raise UsageError(f"channel {name!r} needs a label column and at least one feature")
    data = np.vstack(blocks)
    return data[:, 1:], data[:, 0].astype(np.int64)


def evaluate(y_true: Any, proba: Any, classes: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    metrics = {
        "logloss": float(log_loss(y_true, proba, labels=classes)),
        "accuracy": float(accuracy_score(y_true, classes[proba.argmax(axis=1)])),
    }
    if len(classes) == 2 and len(set(y_true.tolist())) == 2:
        metrics["auc"] = float(roc_auc_score(y_true, proba[:, 1]))
    return metrics


def format_line(stage: int, total: int, results: dict[str, dict[str, float]]) -> str:
    parts = [f"[stage {stage}/{total}]"]
    for split, metrics in results.items():
        parts.extend(f"{split}-{name}={value:.6f}" for name, value in metrics.items())
    return " ".join(parts)


def train(args: argparse.Namespace, channels: dict[str, Path], model_dir: Path, data_dir: Path) -> dict:
    if "train" not in channels:
        raise UsageError("the 'train' channel is required (SM_CHANNEL_TRAIN is not set)")
    x_train, y_train = read_channel("train", channels["train"])
    eval_sets = {name: read_channel(name, channels[name]) for name in EVAL_CHANNELS if name in channels}
    for name, (x_eval, _) in eval_sets.items():
        if x_eval.shape[1] != x_train.shape[1]:
            raise UsageError(
                f"channel {name!r} has {x_eval.shape[1]} features, 'train' has {x_train.shape[1]}"
            )

    # Imported only now: scikit-learn takes seconds to import, bad input should not wait for it.
    import joblib
    import sklearn
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=args.n_estimators,
        max_depth=args.max_depth,
        learning_rate=args.learning_rate,
        min_samples_leaf=args.min_samples_leaf,
        subsample=args.subsample,
        random_state=args.random_state,
    )
    try:
        model.fit(x_train, y_train)
    except ValueError as err:  # sklearn's parameter validation errors are ValueErrors
        raise UsageError(str(err)) from err

    # Replaying the fitted ensemble stage by stage gives the learning curve for the
    # price of prediction only: the model is fitted once.
    total = model.n_estimators_
    every = max(1, math.ceil(total / TARGET_REPORTS))
    splits = {"train": x_train, **{name: x for name, (x, _) in eval_sets.items()}}
    labels = {"train": y_train, **{name: y for name, (_, y) in eval_sets.items()}}
    staged = {name: model.staged_predict_proba(x) for name, x in splits.items()}
    results: dict[str, dict[str, float]] = {}
    reported = 0
    for stage in range(1, total + 1):
        probas = {name: next(gen) for name, gen in staged.items()}
        if stage % every and stage != total:
            continue
        results = {name: evaluate(labels[name], p, model.classes_) for name, p in probas.items()}
        print(format_line(stage, total, results), flush=True)
        reported += 1

    final = {
        f"{split}:{name}": value for split, metrics in results.items() for name, value in metrics.items()
    }
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / MODEL_FILE)
    info = {
        "estimator": type(model).__name__,
        "sklearn_version": sklearn.__version__,
        "hyperparameters": vars(args),
        "n_estimators_fitted": int(total),
        "reported_stages": reported,
        "n_features": int(x_train.shape[1]),
        "classes": [int(c) for c in model.classes_],
        "rows": {name: len(y) for name, y in labels.items()},
        "metrics": final,
    }
    (model_dir / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True))
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / METRICS_FILE).write_text(json.dumps(final, indent=2, sort_keys=True))
    # Deliberately not in the "split-name=value" shape, so the metric regexes match
    # only the per-stage lines and the last data point stays the last stage.
    print("final metrics " + json.dumps(final, sort_keys=True), flush=True)
    return info


def channels_from_env(environ: dict[str, str]) -> dict[str, Path]:
    prefix = "SM_CHANNEL_"
    return {
        key[len(prefix) :].lower(): Path(value) for key, value in environ.items() if key.startswith(prefix)
    }


def main(argv: list[str] | None = None) -> int:
    try:
        args, ignored = build_parser().parse_known_args(argv)
        if ignored:
            # The tuner adds _tuning_objective_metric; other platforms add their own keys.
            print(f"ignoring arguments this script does not use: {ignored}", file=sys.stderr)
        model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
        data_dir = Path(os.environ.get("SM_OUTPUT_DATA_DIR", str(output_dir() / "data")))
        train(args, channels_from_env(dict(os.environ)), model_dir, data_dir)
        return 0
    except Exception as err:  # noqa: BLE001 - any error must end up in the failure file
        traceback.print_exc()
        reason = str(err) if isinstance(err, UsageError) else f"{type(err).__name__}: {err}"
        write_failure(reason)
        return 1


def write_failure(reason: str) -> None:
    try:
        directory = output_dir()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "failure").write_text(reason[:MAX_FAILURE_CHARS])
    except OSError as err:
        print(f"could not write the failure file: {err}", file=sys.stderr)


def model_fn(model_dir: str) -> Any:
    """Model loader for the SageMaker scikit-learn serving container."""
    import joblib

    return joblib.load(os.path.join(model_dir, MODEL_FILE))


if __name__ == "__main__":
    sys.exit(main())
