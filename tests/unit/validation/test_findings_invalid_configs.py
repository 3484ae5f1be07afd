"""Every invalid config of the reliability trial is refused before any API call."""

from __future__ import annotations

import pytest

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.operators import SageMakerTrainingOperator, SageMakerTuningOperator
from airflow_sm_provider.validation import (
    normalize_training_request,
    normalize_tuning_request,
    validate_training_request,
    validate_tuning_request,
)
from tests.unit.sample_requests import training_config, tuning_config
from tests.unit.validation.invalid_configs import ALL_CASES, Case

OPERATORS = {"training": SageMakerTrainingOperator, "tuning": SageMakerTuningOperator}
VALIDATORS = {
    "training": (normalize_training_request, validate_training_request),
    "tuning": (normalize_tuning_request, validate_tuning_request),
}


class FakeTI:
    dag_id, task_id, run_id, map_index = "findings", "task", "manual__2026-11-30T00:00:00+00:00", -1

    def xcom_push(self, key, value):
        raise AssertionError("nothing is pushed for an invalid config")


def test_the_trial_had_37_invalid_configs():
    assert len(ALL_CASES) == 37
    assert len({case.name for case in ALL_CASES}) == 37


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_the_operator_refuses_it_without_any_api_call(sagemaker_stub, case: Case):
    # The stubbed client has no responses queued: any API call would raise botocore's
    # UnStubbedResponseError instead of the validation error.
    task = OPERATORS[case.kind](task_id="task", config=case.build(), check_interval=0)
    if not case.typed:
        with pytest.raises(TypeError, match="config must be a request dict"):
            task.execute({"ti": FakeTI()})
        return
    with pytest.raises(ConfigValidationError) as excinfo:
        task.execute({"ti": FakeTI()})
    assert case.field in fields_of(excinfo.value)


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_it_is_refused_for_the_local_backend_too(case: Case):
    normalize, validate = VALIDATORS[case.kind]
    config = case.build()
    request = normalize(config) if isinstance(config, dict) else config
    with pytest.raises(ConfigValidationError) as excinfo:
        validate(request, local_endpoint=True)
    assert case.field in fields_of(excinfo.value)


def fields_of(error: ConfigValidationError) -> list[str]:
    return [problem.field for problem in getattr(error, "errors", [])] or [error.field]


@pytest.mark.parametrize("kind", ["training", "tuning"])
def test_the_configs_they_change_are_valid(kind):
    normalize, validate = VALIDATORS[kind]
    config = {"training": training_config, "tuning": tuning_config}[kind]()
    name_key = {"training": "TrainingJobName", "tuning": "HyperParameterTuningJobName"}[kind]
    validate({name_key: "findings-task-1234abcd", **normalize(config)})
