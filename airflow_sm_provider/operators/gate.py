"""SageMakerModelGateOperator: champion / challenger, as a branch of the DAG.

Reads the champion (the group's newest Approved version) from the registry, compares the
challenger's metrics with its metrics by the rules of :mod:`airflow_sm_provider.gate`, logs a
side-by-side table, and follows ``promote_task_ids`` or ``keep_task_ids``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.standard.operators.branch import BaseBranchOperator

from airflow_sm_provider import gate, model_registry
from airflow_sm_provider.hooks.mixin import SageMakerHookMixin
from airflow_sm_provider.jobs.model_package import package_metrics

if TYPE_CHECKING:
    from airflow.sdk import Context


def _metrics_of(value: Any) -> dict[str, float]:
    """``{name: number}`` from a metrics dict, or from a training result's ``final_metrics``."""
    if isinstance(value, dict) and isinstance(value.get("final_metrics"), dict):
        value = value["final_metrics"]
    if not isinstance(value, dict):
        raise TypeError(
            f"challenger_metrics must be a dict of metrics or a training result, got {type(value).__name__}"
        )
    return {name: float(number) for name, number in value.items()}


def _task_ids(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class SageMakerModelGateOperator(SageMakerHookMixin, BaseBranchOperator):
    """Promote the challenger or keep the champion, comparing metrics with the registry's champion.

    The champion is the newest Approved version of ``model_package_group_name``; its metrics are
    the ``metric:<name>`` entries of its ``CustomerMetadataProperties`` (as
    :class:`~airflow_sm_provider.operators.SageMakerRegisterModelVersionOperator` writes them).
    The gate passes when every metric improves by at least its ``min_improvement`` and no
    guardrail regresses by more than its ``max_regression``; with no champion the first model
    passes (``promote_first_model``); a gated metric the challenger lacks fails it.

    ``return_value``: ``{"decision": "promote" | "keep", "promote", "reason", "branch",
    "model_package_group_name", "champion": {"model_package_arn", "model_package_version",
    "metrics"} | None, "challenger": {"metrics"}, "rows": [{"metric", "role", "direction",
    "challenger", "champion", "delta", "improvement", "rule", "passed", "note"}], "table"}``.

    :param model_package_group_name: The group whose champion to beat. Templated.
    :param challenger_metrics: The challenger's metrics, ``{name: number}``, or a training
        operator's ``return_value`` (its ``final_metrics`` are used); may be an XComArg. Templated.
    :param metrics: Objectives, ``{name: "maximize" | "minimize"}`` or ``{name: {"direction",
        "min_improvement"}}``. Templated.
    :param guardrails: ``{name: {"direction", "max_regression"}}``. Templated.
    :param promote_task_ids: Task (or task group) ids to follow when the gate passes.
    :param keep_task_ids: Task (or task group) ids to follow when it does not.
    :param promote_first_model: Whether a challenger with no champion to beat passes.
    :param aws_conn_id: Airflow ``aws`` connection id.
    :param region_name: AWS region; the connection's by default.
    """

    template_fields = (
        "model_package_group_name",
        "challenger_metrics",
        "metrics",
        "guardrails",
        "aws_conn_id",
        "region_name",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "challenger_metrics": "json",
        "metrics": "json",
        "guardrails": "json",
    }
    ui_color = "#ede4ff"

    def __init__(
        self,
        *,
        model_package_group_name: str,
        challenger_metrics: dict[str, float] | Any,
        metrics: dict[str, Any],
        promote_task_ids: str | list[str],
        keep_task_ids: str | list[str],
        guardrails: dict[str, Any] | None = None,
        promote_first_model: bool = True,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_package_group_name = model_package_group_name
        self.challenger_metrics = challenger_metrics
        self.metrics = metrics
        self.guardrails = guardrails
        self.promote_task_ids = _task_ids(promote_task_ids)
        self.keep_task_ids = _task_ids(keep_task_ids)
        self.promote_first_model = promote_first_model
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def evaluate(self) -> dict[str, Any]:
        """The decision and every number behind it (no branching)."""
        objectives, guardrails = gate.parse_rules(self.metrics, self.guardrails)
        group = self.model_package_group_name
        champion = model_registry.latest_approved(self.hook, group)
        champion_metrics = package_metrics(champion) if champion else None
        challenger = _metrics_of(self.challenger_metrics)
        decision = gate.decide(
            challenger, champion_metrics, objectives, guardrails, promote_first_model=self.promote_first_model
        )
        champion_label = f"champion v{champion['ModelPackageVersion']}" if champion else "champion (none)"
        table = gate.render_table(decision, champion_label, "challenger")
        return {
            "decision": "promote" if decision.promote else "keep",
            "promote": decision.promote,
            "reason": decision.reason,
            "branch": self.promote_task_ids if decision.promote else self.keep_task_ids,
            "model_package_group_name": group,
            "champion": None
            if champion is None
            else {
                "model_package_arn": champion["ModelPackageArn"],
                "model_package_version": champion.get("ModelPackageVersion"),
                "metrics": champion_metrics,
            },
            "challenger": {"metrics": challenger},
            "rows": decision.to_dict()["rows"],
            "table": table,
        }

    def choose_branch(self, context: Context) -> list[str]:
        branch: list[str] = self.evaluate()["branch"]
        return branch

    def execute(self, context: Context) -> dict[str, Any]:
        self.log.info(
            "Comparing the challenger with the champion of %s via %s",
            self.model_package_group_name,
            self.hook.describe_target(),
        )
        result = self.evaluate()
        self.log.info("Champion / challenger:\n%s", result["table"])
        # Skipping the other branch ends execute with an exception on Airflow 3 (the task runner
        # skips them and never sees a return value), so the decision is pushed first.
        context["ti"].xcom_push(key="return_value", value=result)
        self.do_branch(context, result["branch"])
        return result
