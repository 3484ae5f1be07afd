"""Tags: the tuning engine's retried writes."""

from __future__ import annotations

import sqlite3

from airflow_sm_provider.local.registry.tags import put_with_retry


def test_tag_retries_a_lost_sqlite_race():
    calls = []

    def flaky(arn, tags):
        calls.append(arn)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")

    put_with_retry(flaky, "arn:x", [{"Key": "k", "Value": "v"}])
    assert len(calls) == 3


def test_tag_gives_up_quietly():
    def locked(arn, tags):
        raise sqlite3.OperationalError("database is locked")

    put_with_retry(locked, "arn:x", [])  # logged, not raised
