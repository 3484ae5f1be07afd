"""The Airflow Variables of the retraining DAGs: names, local defaults and what to set on AWS.

This is the one list. The DAGs read the Variables through :func:`var`; the README's table
("The retraining pipeline on AWS") is checked against :data:`VARIABLES` by a unit test, and
``scripts/demo.py`` and ``scripts/airflow_standalone.sh`` name the ones they set through
:func:`name` / :func:`env_name`.

Every default runs the pipeline on the embedded local backend (``make demo``); on AWS set the
Variables in the third column. Plain strings only: importing this module costs nothing.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LOCAL_DEFAULTS", "PREFIX", "VARIABLES", "Variable", "env_name", "markdown_table", "name", "var"]

PREFIX = "sm_retraining_"


class Variable(NamedTuple):
    """One Airflow Variable, ``sm_retraining_<key>``.

    :param key: The name without :data:`PREFIX`, as the DAGs pass it to :func:`var`.
    :param local_default: The value used when the Variable is not set.
    :param on_aws: What to set it to on AWS (Markdown, as the README's table shows it).
    """

    key: str
    local_default: str
    on_aws: str


VARIABLES: tuple[Variable, ...] = (
    Variable("aws_conn_id", "aws_default", "your AWS connection id"),
    Variable("data_uri", "file:///tmp/sm-retraining/data", "`s3://your-bucket/retraining/data`"),
    Variable("code_uri", "file:///tmp/sm-retraining/code", "`s3://your-bucket/retraining/code`"),
    Variable("output_uri", "file:///tmp/sm-retraining/output", "`s3://your-bucket/retraining/output`"),
    Variable(
        "role_arn", "arn:aws:iam::000000000000:role/SageMakerRetraining", "your SageMaker execution role ARN"
    ),
    Variable(
        "image_uri",
        "local/sagemaker-scikit-learn:1.2-1",
        "the SageMaker scikit-learn framework image for your region",
    ),
    Variable("instance_type", "ml.m5.large", "any training instance type"),
    Variable("max_trials", "8", "your tuning budget"),
    Variable("model_package_group", "sagemaker-retraining", "your model package group"),
    Variable(
        "price_table",
        "{}",
        "optional: a JSON object `{instance type: USD per hour}` over the report's price table",
    ),
)

LOCAL_DEFAULTS: dict[str, str] = {variable.key: variable.local_default for variable in VARIABLES}


def name(key: str) -> str:
    """The Variable's full name, ``sm_retraining_<key>``; a ``KeyError`` for a key not listed here."""
    if key not in LOCAL_DEFAULTS:
        raise KeyError(f"{key!r} is not a retraining Variable; known: {', '.join(LOCAL_DEFAULTS)}")
    return PREFIX + key


def env_name(key: str) -> str:
    """The environment variable Airflow reads the Variable from, ``AIRFLOW_VAR_SM_RETRAINING_<KEY>``."""
    return "AIRFLOW_VAR_" + name(key).upper()


def var(key: str) -> str:
    """A template for the Variable, falling back to its local default when it is not set.

    Rendered when a task runs, so a DAG file that uses it reads no Variable while it is parsed.
    """
    return f"{{{{ var.value.get('{name(key)}', '{LOCAL_DEFAULTS[key]}') }}}}"


def markdown_table() -> str:
    """The Variables as the Markdown table the README shows (and the DAG's documentation)."""
    lines = ["| Variable | local default | set for AWS to |", "|---|---|---|"]
    lines += [f"| `{name(v.key)}` | `{v.local_default}` | {v.on_aws} |" for v in VARIABLES]
    return "\n".join(lines)
