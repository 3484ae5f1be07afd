"""Metric regexes in a worker process with a time limit per line."""

from __future__ import annotations

import time

import psutil

from airflow_sm_provider.local.matching import GuardedRegexes


def test_matches_come_back_with_their_capture():
    guard = GuardedRegexes([("loss", r"loss=([0-9.]+)"), ("all", r"epoch \d+")])
    try:
        assert guard.search("epoch 3 loss=0.25") == [("loss", "0.25"), ("all", "epoch 3")]
        assert guard.search("nothing here") == []
    finally:
        guard.close()


def test_a_regex_that_runs_too_long_is_disabled_and_the_others_keep_working():
    disabled: list[tuple[str, str]] = []
    guard = GuardedRegexes(
        [("bomb", r"^(a+)+$"), ("loss", r"loss=([0-9.]+)")],
        on_disabled=lambda *d: disabled.append(d),
        seconds=0.3,
    )
    try:
        started = time.monotonic()
        assert guard.search("a" * 40 + "b") == []
        assert time.monotonic() - started < 3
        assert disabled == [("bomb", r"^(a+)+$")]
        assert guard.search("a" * 40 + "b loss=1.5") == [("loss", "1.5")]
    finally:
        guard.close()


def test_lines_are_cut_to_the_limit_before_matching():
    guard = GuardedRegexes([("tail", r"end=(\d+)")], max_chars=100)
    try:
        assert guard.search("x" * 200 + "end=1") == []
        assert guard.search("end=2" + "x" * 200) == [("tail", "2")]
    finally:
        guard.close()


def test_close_ends_the_worker():
    guard = GuardedRegexes([("m", "x")])
    guard.search("x")
    worker = guard._proc
    assert worker is not None
    guard.close()
    assert not psutil.pid_exists(worker.pid) or psutil.Process(worker.pid).status() == psutil.STATUS_ZOMBIE
