"""The Airflow-version detection in airflow_sm_provider.compat, checked on whichever Airflow runs it."""

from __future__ import annotations

import pytest
from packaging.version import Version

from airflow_sm_provider import compat


def _airflow_minor() -> tuple[int, int]:
    import airflow

    version = Version(airflow.__version__)
    return version.major, version.minor


def test_trigger_on_kill_is_detected_exactly_from_airflow_3_3():
    # The README and the operators' docstrings name 3.3 as the release that brought it.
    assert compat.trigger_on_kill_supported() is (_airflow_minor() >= (3, 3))


def test_deferred_kill_warning_names_the_job_only_where_a_kill_leaves_it_running():
    warning = compat.deferred_kill_warning("training job", "my-job-1")

    if compat.trigger_on_kill_supported():
        assert warning is None
    else:
        assert warning is not None
        assert "training job my-job-1 keeps running" in warning


def test_task_deferral_timeout_is_the_class_resume_execution_raises():
    from airflow.sdk import BaseOperator

    timed_out = {"error": "Trigger timeout"}  # the value of TriggerFailureReason.TRIGGER_TIMEOUT

    with pytest.raises(compat.TaskDeferralTimeout):
        BaseOperator(task_id="waits").resume_execution("__fail__", timed_out, context={})
