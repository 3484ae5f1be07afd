"""dags/retraining/costs.py: the report's cost ESTIMATE."""

from __future__ import annotations

import pytest
from retraining import costs


def job(name, seconds, instance="ml.m5.large", count=1, spot=False, trained=None):
    return {
        "TrainingJobName": name,
        "ResourceConfig": {"InstanceType": instance, "InstanceCount": count},
        "BillableTimeInSeconds": seconds,
        "TrainingTimeInSeconds": trained if trained is not None else seconds,
        "EnableManagedSpotTraining": spot,
    }


def test_the_price_table_names_its_source_and_date():
    prices, source = costs.price_table(None)
    assert prices["ml.m5.large"] == costs.PRICES["ml.m5.large"]
    assert "aws.amazon.com/sagemaker/pricing" in source and "2026" in source


@pytest.mark.parametrize("unset", [None, "", "{}", "  "])
def test_an_unset_or_empty_variable_keeps_the_built_in_table(unset):
    assert costs.price_table(unset) == (costs.PRICES, costs.PRICE_SOURCE)


def test_the_variable_overrides_and_extends_the_table():
    prices, source = costs.price_table('{"ml.m5.large": "0.2", "ml.trn1.2xlarge": 1.5}')
    assert (prices["ml.m5.large"], prices["ml.trn1.2xlarge"]) == (0.2, 1.5)
    assert "Variable" in source


def test_a_variable_that_is_not_an_object_is_refused():
    with pytest.raises(ValueError, match="JSON object"):
        costs.price_table("[1, 2]")


def test_billable_seconds_times_price_times_instances():
    estimate = costs.estimate(
        [job("t1", 3600), job("t2", 1800)], job("final", 360, count=2), {"ml.m5.large": 0.1}
    )
    assert estimate["label"].startswith("ESTIMATE")
    assert estimate["tuning_billable_seconds"] == 5400
    assert estimate["tuning_estimated_usd"] == pytest.approx(0.15)
    assert estimate["final_estimated_usd"] == pytest.approx(0.02)
    assert estimate["total_estimated_usd"] == pytest.approx(0.17)


def test_spot_savings_are_the_training_time_not_billed():
    estimate = costs.estimate([], job("final", 1200, spot=True, trained=3600), {"ml.m5.large": 0.3})
    assert estimate["final_estimated_usd"] == pytest.approx(0.1)
    assert estimate["spot_savings_estimated_usd"] == pytest.approx(0.2)


def test_an_unpriced_instance_type_is_named_not_guessed():
    estimate = costs.estimate([job("t1", 60, "ml.x9.huge")], job("final", 60), {"ml.m5.large": 0.1})
    assert estimate["tuning_estimated_usd"] is None and estimate["total_estimated_usd"] is None
    assert estimate["unpriced_instance_types"] == ["ml.x9.huge"]
    assert "unknown (unpriced instance type)" in costs.render(estimate, "test prices")


def test_the_rendering_is_labelled_an_estimate():
    text = costs.render(costs.estimate([job("t1", 60)], job("final", 30), costs.PRICES), costs.PRICE_SOURCE)
    assert text.splitlines()[0].startswith("Cost ESTIMATE")
    assert "t1" in text and "final" in text and "60 billable s" in text
