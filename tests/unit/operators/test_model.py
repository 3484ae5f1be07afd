"""SageMakerCreateModelOperator: the image for a model trained by an algorithm resource."""

from __future__ import annotations

import pytest

from airflow_sm_provider.exceptions import ConfigValidationError
from airflow_sm_provider.operators import SageMakerCreateModelOperator
from tests.unit.operators.test_training import context
from tests.unit.sample_requests import training_description

ROLE = "arn:aws:iam::123456789012:role/SageMaker"


def test_a_job_trained_by_algorithm_name_needs_an_explicit_image_and_says_so(sagemaker_stub):
    job = training_description(
        "algo-job",
        status="Completed",
        AlgorithmSpecification={"TrainingInputMode": "File", "AlgorithmName": "my-algorithm"},
    )
    sagemaker_stub.add_response("describe_training_job", job, {"TrainingJobName": "algo-job"})
    operator = SageMakerCreateModelOperator(
        task_id="model", training_job_name="algo-job", execution_role_arn=ROLE
    )

    with pytest.raises(ConfigValidationError) as caught:
        operator.execute(context())

    assert caught.value.field == "image_uri"
    assert "my-algorithm" in caught.value.rule
    sagemaker_stub.assert_no_pending_responses()
