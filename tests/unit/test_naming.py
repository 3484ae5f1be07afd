from __future__ import annotations

import pytest

from airflow_sm_provider import naming

IDENTITY = naming.TaskIdentity(
    "a_very_long_dag_id_for_weekly_retraining", "tune.best", "scheduled__2026-11-22T00:00:00+00:00"
)


@pytest.mark.parametrize("limit", [32, 63])
def test_derived_names_are_deterministic_valid_and_leave_room_for_attempts(limit):
    base = naming.base_name(IDENTITY, limit)
    assert base == naming.base_name(IDENTITY, limit)
    assert naming.NAME_PATTERN.match(base)
    assert len(naming.attempt_name(base, 99)) <= limit
    assert base.endswith(IDENTITY.digest[:8])


@pytest.mark.parametrize(
    "other",
    [
        naming.TaskIdentity(IDENTITY.dag_id, IDENTITY.task_id, "manual__x"),
        naming.TaskIdentity(IDENTITY.dag_id, "other", IDENTITY.run_id),
        naming.TaskIdentity(IDENTITY.dag_id, IDENTITY.task_id, IDENTITY.run_id, map_index=3),
    ],
)
def test_any_identity_change_changes_the_name(other):
    assert naming.base_name(other, 63) != naming.base_name(IDENTITY, 63)


def test_attempt_parsing():
    base = naming.base_name(IDENTITY, 63)
    assert naming.attempt_of(base, base) == 1
    assert naming.attempt_of(f"{base}-4", base) == 4
    assert naming.attempt_of(f"{base}-x", base) is None
    assert naming.attempt_of("unrelated", base) is None


def test_tags_identify_the_task_instance_with_valid_values():
    tags = IDENTITY.tags()
    assert naming.owned_by(tags, IDENTITY)
    assert not naming.owned_by(tags, naming.TaskIdentity("d", "t", "r"))
    assert all(len(tag["Value"]) <= 256 for tag in tags)


def test_merge_tags_keeps_user_tags_and_overrides_ours():
    merged = naming.merge_tags(
        [{"Key": "team", "Value": "ml"}, {"Key": naming.TAG_TASK_INSTANCE, "Value": "forged"}],
        IDENTITY.tags(),
    )
    assert {"Key": "team", "Value": "ml"} in merged
    assert naming.owned_by(merged, IDENTITY)
    assert [t["Key"] for t in merged].count(naming.TAG_TASK_INSTANCE) == 1
