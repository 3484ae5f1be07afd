"""The spot interruption simulator's spec and its draws."""

from __future__ import annotations

import pytest

from airflow_sm_provider.local.training.options import SpotInterruptions


def test_a_schedule_interrupts_the_runs_it_names_and_no_more():
    spot = SpotInterruptions.parse("30, 60")
    assert [spot.delay("job", attempt) for attempt in range(3)] == [30.0, 60.0, None]


def test_a_seeded_rate_draws_the_same_delays_for_the_same_job_and_attempt():
    spot = SpotInterruptions.parse("p=0.5,seed=7")
    assert spot.probability == 0.5
    assert spot.delay("job", 0) == spot.delay("job", 0)
    assert spot.delay("job", 0) != spot.delay("job", 1)
    assert all(spot.delay("job", attempt) > 0 for attempt in range(10))


@pytest.mark.parametrize("spec", ["", "0", "-5", "p=0", "p=1.5", "p=0.1,every=3", "soon"])
def test_malformed_specs_are_refused(spec):
    with pytest.raises(ValueError):
        SpotInterruptions.parse(spec)
