"""Probing how a process can get a network namespace of its own."""

from __future__ import annotations

from airflow_sm_provider.local.training.isolation import NetworkIsolation


def test_the_first_candidate_that_works_is_used():
    found = NetworkIsolation.detect([("sh", "-c", "exit 3"), ("env",)])
    assert found.wrapper == ("env",)


def test_when_none_works_the_reason_names_each_attempt():
    found = NetworkIsolation.detect([("sh", "-c", "echo denied >&2; exit 1"), ("no-such-program-here",)])
    assert found.wrapper is None
    assert "denied" in found.reason and "no-such-program-here: not installed" in found.reason
    assert "EnableNetworkIsolation to false" in found.refusal()
