"""What SageMaker knows about its built-in XGBoost algorithm: images, hyperparameters, metrics.

Images: ``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:<version>`` (any region
and account, and the ``.amazonaws.com.cn`` regions), and the legacy ``.../xgboost:1`` /
``:latest``. :func:`image_uri` gives the image of a version in a region for the regions listed
in :data:`ACCOUNTS`.

Metrics: the container prints one evaluation line per round (``[3]<TAB>train-auc:0.91<TAB>
validation-auc:0.88``; CloudWatch shows the tab as ``#011``), and the service defines
``train:<metric>`` and ``validation:<metric>`` over it, usable as tuning objectives in the
direction of :data:`DIRECTIONS` without any ``MetricDefinitions`` in the request. Only the
metrics the xgboost library computes itself are listed; the container's extra ones (accuracy,
f1, r2, ...) are not emulated.
"""

from __future__ import annotations

import re

IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?:sagemaker-xgboost:(?P<version>[A-Za-z0-9._-]+)|xgboost:(?:1|latest))$"
)
# the account of SageMaker's XGBoost image in each region (the rest: pass the image URI itself)
ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-central-1": "492215442770",
    "ap-northeast-1": "354813040037",
    "ap-southeast-2": "783357654285",
}
MAXIMIZE = ("auc", "aucpr", "map", "ndcg")
MINIMIZE = (
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "logloss",
    "error",
    "merror",
    "mlogloss",
    "poisson-nloglik",
    "gamma-nloglik",
    "gamma-deviance",
    "cox-nloglik",
    "tweedie-nloglik",
)
_NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
DIRECTIONS = {
    f"{channel}:{metric}": "Maximize" if metric in MAXIMIZE else "Minimize"
    for channel in ("train", "validation")
    for metric in (*MAXIMIZE, *MINIMIZE)
}
METRIC_DEFINITIONS = tuple(
    (name, r".*\[[0-9]+\].*(?:#011|\t)" + re.escape(name.replace(":", "-")) + ":" + _NUMBER)
    for name in DIRECTIONS
)
# the container's documented hyperparameters (anything else fails the job, as it does there)
HYPERPARAMETERS = frozenset(
    {
        "num_round",
        "alpha",
        "base_score",
        "booster",
        "colsample_bylevel",
        "colsample_bynode",
        "colsample_bytree",
        "csv_weights",
        "early_stopping_rounds",
        "eta",
        "eval_metric",
        "gamma",
        "grow_policy",
        "interaction_constraints",
        "lambda",
        "lambda_bias",
        "max_bin",
        "max_delta_step",
        "max_depth",
        "max_leaves",
        "min_child_weight",
        "monotone_constraints",
        "normalize_type",
        "nthread",
        "num_class",
        "num_parallel_tree",
        "objective",
        "one_drop",
        "process_type",
        "rate_drop",
        "refresh_leaf",
        "sample_type",
        "sampling_method",
        "scale_pos_weight",
        "seed",
        "silent",
        "sketch_eps",
        "skip_drop",
        "subsample",
        "tree_method",
        "tweedie_variance_power",
        "updater",
        "verbosity",
        "_tuning_objective_metric",
    }
)


def is_image(uri: str) -> bool:
    return IMAGE.match(uri) is not None


def image_uri(region: str, version: str = "1.7-1") -> str:
    """SageMaker's XGBoost image of ``version`` in ``region`` (``KeyError`` for other regions)."""
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    return f"{ACCOUNTS[region]}.dkr.ecr.{region}{suffix}/sagemaker-xgboost:{version}"
