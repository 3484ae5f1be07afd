"""MetricDefinitions applied to output lines, SageMaker style."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training.metrics import MetricSeries, compile_definitions

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _series(*definitions: tuple[str, str]) -> MetricSeries:
    return MetricSeries(compile_definitions([{"Name": n, "Regex": r} for n, r in definitions]))


def test_first_capture_group_is_the_value_and_every_value_is_kept_in_order():
    series = _series(("loss", r"loss=([0-9.]+)"), ("acc", r"acc=([0-9.]+)"))
    for step, line in enumerate(
        ["epoch 0 loss=0.9 acc=0.1", "noise", "epoch 1 loss=0.4", "loss=0.2 acc=0.8"]
    ):
        series.feed(line, T0 + timedelta(seconds=step))

    assert series.values("loss") == [0.9, 0.4, 0.2]
    assert series.values("acc") == [0.1, 0.8]
    assert series.values("missing") == []
    assert series.final() == [
        {"MetricName": "loss", "Value": 0.2, "Timestamp": T0 + timedelta(seconds=3)},
        {"MetricName": "acc", "Value": 0.8, "Timestamp": T0 + timedelta(seconds=3)},
    ]
    assert [p.step for p in series.points["loss"]] == [0, 1, 2]


def test_regex_without_group_uses_the_whole_match_and_unparsable_values_are_skipped():
    series = _series(("n", r"\d+\.\d+"), ("bad", r"value=(\w+)"))
    assert series.feed("took 1.5 value=abc", T0) == [("n", 1.5)]
    assert series.feed("value=nan", T0) == []
    assert series.values("bad") == []


def test_scientific_notation_and_negative_values():
    series = _series(("loss", r"loss: ([-+0-9.eE]+)"))
    series.feed("loss: 1e-3", T0)
    series.feed("loss: -2.5", T0)
    assert series.values("loss") == [0.001, -2.5]


def test_invalid_regex_is_a_validation_error_naming_the_definition():
    with pytest.raises(ValidationError, match=r"MetricDefinitions\[1\]\.Regex"):
        compile_definitions([{"Name": "ok", "Regex": "a"}, {"Name": "broken", "Regex": "(["}])


def test_round_trip_through_the_stored_document():
    series = _series(("loss", r"loss=([0-9.]+)"))
    series.feed("loss=0.5", T0)
    series.feed("loss=0.25", T0 + timedelta(seconds=1))

    restored = MetricSeries.from_doc(series.to_doc())

    assert restored.values("loss") == [0.5, 0.25]
    assert restored.final() == series.final()
