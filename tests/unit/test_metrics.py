from __future__ import annotations

from unittest import mock

import pytest

from airflow_sm_provider import metrics
from airflow_sm_provider.exceptions import MissingMetricsError
from tests.unit.sample_requests import training_description

LOSS = {"Name": "validation:loss", "Regex": "loss=([0-9.]+)"}
ACC = {"Name": "validation:accuracy", "Regex": r"val_acc\s*=\s*([0-9.]+)"}


def description(*definitions, reported=("validation:loss",)):
    job = training_description("j", "Completed")
    job["AlgorithmSpecification"] = {**job["AlgorithmSpecification"], "MetricDefinitions": list(definitions)}
    job["FinalMetricDataList"] = [{"MetricName": name, "Value": 0.1} for name in reported]
    return job


@pytest.mark.parametrize(
    ("regex", "start"),
    [("loss=([0-9.]+)", "loss="), (r"val_acc\s*=", "val_acc"), (r"\[epoch\] acc: (\d+)", "[epoch] acc:")],
)
def test_literal_start_is_the_text_a_regex_must_begin_with(regex, start):
    assert metrics.literal_start(regex) == start


def test_only_definitions_without_a_final_value_are_unmatched():
    assert metrics.unmatched_definitions(description(LOSS, ACC)) == [ACC]


def test_the_closest_line_mentions_the_metrics_name_or_the_regexs_start():
    lines = ["epoch 1 loss=0.3", "epoch 1 validation accuracy: 0.91", "done"]
    assert metrics.closest_line(lines, ACC) == "epoch 1 validation accuracy: 0.91"
    assert metrics.closest_line(["nothing here"], ACC) is None


def test_a_metric_that_never_matched_is_a_warning_naming_it_its_regex_and_the_closest_line():
    log = mock.Mock()
    lines = ["epoch 1 loss=0.3", "epoch 1 val-acc = 0.91"]
    metrics.check_reported(description(LOSS, ACC), lines, log, fail=False)
    (message,) = [call.args[1] for call in log.warning.call_args_list]
    assert "'validation:accuracy' was never reported by training job j" in message
    assert r"'val_acc\\s*=\\s*([0-9.]+)'" in message
    assert "closest line: 'epoch 1 val-acc = 0.91'" in message


def test_without_a_readable_log_the_warning_says_so():
    log = mock.Mock()
    metrics.check_reported(description(LOSS, ACC), None, log, fail=False)
    assert "could not be read" in log.warning.call_args.args[1]


def test_fail_on_missing_metrics_makes_it_an_error():
    with pytest.raises(MissingMetricsError, match=r"validation:accuracy.*fail_on_missing_metrics=True"):
        metrics.check_reported(description(LOSS, ACC), [], mock.Mock(), fail=True)


def test_nothing_is_said_when_every_metric_was_reported():
    log = mock.Mock()
    metrics.check_reported(
        description(LOSS, ACC, reported=("validation:loss", "validation:accuracy")), [], log, fail=True
    )
    log.warning.assert_not_called()
