"""An ESTIMATE of what a retraining run cost on SageMaker: billable seconds x on-demand price.

:data:`PRICES` is SageMaker's on-demand training price per instance-hour in us-east-1, as
published on https://aws.amazon.com/sagemaker/pricing/ (Training, On-Demand). They were recorded
here on 2026-11-30 on a machine without internet access, from the published rates as known then,
not read from the live page: check them before relying on them. Prices differ by region and
change: set the Airflow Variable ``sm_retraining_price_table`` to a JSON object
``{"ml.m5.large": 0.115, ...}`` to override (or extend) them. What SageMaker really bills is in
the AWS Billing console; this is a planning aid, labelled as an estimate wherever it is shown.

Spot: ``BillableTimeInSeconds`` is already the discounted time; the saving is the training time
that was not billed (``TrainingTimeInSeconds - BillableTimeInSeconds``) at the same price.

Airflow-free and cheap to import.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["PRICES", "PRICE_SOURCE", "estimate", "job_cost", "price_table"]

PRICE_SOURCE = (
    "https://aws.amazon.com/sagemaker/pricing/ (us-east-1, on-demand training; recorded 2026-11-30, "
    "not checked against the live page)"
)
#: USD per instance-hour, SageMaker training, us-east-1, on-demand.
PRICES: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
    "ml.p3.2xlarge": 3.825,
}


def price_table(override: str | None) -> tuple[dict[str, float], str]:
    """The prices and their source: :data:`PRICES`, updated by a JSON ``override`` if one is set."""
    extra = json.loads(override) if override and override.strip() else {}
    if not isinstance(extra, dict):
        raise ValueError("sm_retraining_price_table must be a JSON object {instance type: USD per hour}")
    if not extra:
        return dict(PRICES), PRICE_SOURCE
    return {**PRICES, **{k: float(v) for k, v in extra.items()}}, "the sm_retraining_price_table Variable"


def job_cost(description: dict[str, Any], prices: dict[str, float]) -> dict[str, Any]:
    """Billable seconds and estimated USD of one DescribeTrainingJob response."""
    resources = description.get("ResourceConfig") or {}
    instance_type = resources.get("InstanceType")
    count = int(resources.get("InstanceCount") or 1)
    billable = int(description.get("BillableTimeInSeconds") or 0)
    trained = int(description.get("TrainingTimeInSeconds") or billable)
    price = prices.get(instance_type or "")
    spot = bool(description.get("EnableManagedSpotTraining"))
    return {
        "training_job_name": description["TrainingJobName"],
        "instance_type": instance_type,
        "instance_count": count,
        "billable_seconds": billable,
        "usd_per_hour": price,
        "estimated_usd": None if price is None else round(billable / 3600 * price * count, 6),
        "spot": spot,
        "estimated_spot_savings_usd": (
            round(max(0, trained - billable) / 3600 * price * count, 6) if spot and price is not None else 0.0
        ),
    }


def estimate(
    tuning_trials: list[dict[str, Any]], final: dict[str, Any], prices: dict[str, float]
) -> dict[str, Any]:
    """Per-job costs and totals for the tuning run (its trials) and the final job."""
    trials = [job_cost(trial, prices) for trial in tuning_trials]
    final_cost = job_cost(final, prices)

    def total(costs: list[dict[str, Any]], key: str) -> float | None:
        values = [c[key] for c in costs]
        return None if any(v is None for v in values) else round(sum(values), 6)

    every = [*trials, final_cost]
    return {
        "label": "ESTIMATE (billable seconds x on-demand price; not a bill)",
        "tuning_trials": trials,
        "final_job": final_cost,
        "tuning_billable_seconds": sum(t["billable_seconds"] for t in trials),
        "tuning_estimated_usd": total(trials, "estimated_usd"),
        "final_estimated_usd": final_cost["estimated_usd"],
        "total_estimated_usd": total(every, "estimated_usd"),
        "spot_savings_estimated_usd": round(sum(c["estimated_spot_savings_usd"] for c in every), 6),
        "unpriced_instance_types": sorted({c["instance_type"] for c in every if c["usd_per_hour"] is None}),
    }


def render(estimate_: dict[str, Any], source: str) -> str:
    """The cost lines of the report task's log."""
    lines = [f"Cost {estimate_['label']}; prices from {source}:"]
    for cost in [*estimate_["tuning_trials"], estimate_["final_job"]]:
        usd = "unpriced" if cost["estimated_usd"] is None else f"${cost['estimated_usd']:.4f}"
        spot = " (spot)" if cost["spot"] else ""
        lines.append(
            f"  {cost['training_job_name']:<48} {cost['instance_count']} x {cost['instance_type']}{spot}: "
            f"{cost['billable_seconds']} billable s, {usd}"
        )

    def money(value: float | None) -> str:
        return "unknown (unpriced instance type)" if value is None else f"${value:.4f}"

    tuning_seconds, final_seconds = (
        estimate_["tuning_billable_seconds"],
        estimate_["final_job"]["billable_seconds"],
    )
    lines.append(f"  tuning run: {tuning_seconds} billable s, ~{money(estimate_['tuning_estimated_usd'])}")
    lines.append(f"  final job: {final_seconds} billable s, ~{money(estimate_['final_estimated_usd'])}")
    savings = estimate_["spot_savings_estimated_usd"]
    lines.append(f"  total: ~{money(estimate_['total_estimated_usd'])}; spot savings ~${savings:.4f}")
    return "\n".join(lines)
