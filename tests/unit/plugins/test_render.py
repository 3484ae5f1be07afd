from __future__ import annotations

import pytest

from airflow_sm_provider.plugins.leaderboard import ChartPoint
from airflow_sm_provider.plugins.render import chart, format_duration, render, shorten_number


@pytest.mark.parametrize(
    ("text", "shown"),
    [("0.09026047433682453", "0.0902605"), ("76", "76"), ("1e-05", "1e-05"), ("gbtree", "gbtree")],
)
def test_long_decimals_are_shortened_and_anything_else_is_shown_as_is(text, shown):
    assert shorten_number(text) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(None, ""), (14.2, "14s"), (95, "1m 35s"), (3725, "1h 02m 05s")]
)
def test_durations_read_as_hours_minutes_seconds(seconds, shown):
    assert format_duration(seconds) == shown


def test_the_chart_puts_lower_values_lower_and_draws_the_running_best_as_steps():
    points = [ChartPoint(1, "a", 0.5, 0.5), ChartPoint(2, "b", 0.25, 0.25), ChartPoint(3, "c", 0.75, 0.25)]
    drawn = chart(points, best_trial="b")
    assert drawn is not None
    (xa, ya, *_), (xb, yb, _, _, best_b), (xc, yc, *_) = drawn.dots
    assert xa < xb < xc
    assert yb > ya > yc  # SVG y grows downwards: the lowest value is drawn lowest
    assert best_b
    # one level per running best, joined by vertical steps
    assert drawn.best_line.split() == [f"{xa},{ya}", f"{xb},{ya}", f"{xb},{yb}", f"{xc},{yb}", f"{xc},{yb}"]


def test_no_completed_trial_no_chart():
    assert chart([], best_trial=None) is None


def test_a_message_page_escapes_what_it_is_given():
    page = render("message.html", running=False, heading="<b>x</b>", message="<img src=x onerror=alert(1)>")
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
