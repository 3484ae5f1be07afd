"""Specs nested in a templated operator field, rendered by Airflow's own templater."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from airflow_sm_provider import specs
from airflow_sm_provider.validation import (
    normalize_training_request,
    normalize_tuning_request,
    validate_training_request,
    validate_tuning_request,
)


class ConfigOperator(BaseOperator):
    template_fields = ("config",)

    def __init__(self, *, config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config

    def execute(self, context: Any) -> None:
        return None


CONTEXT = {
    "ds_nodash": "20260101",
    "params": {"bucket": "ml-bucket", "depth": 6, "instances": 2, "runtime": 7200, "role": "SageMakerRole"},
}


def render(config: Any) -> Any:
    operator = ConfigOperator(task_id="render", config=config)
    operator.render_template_fields(context=CONTEXT)
    return operator.config


def templated_training_spec(build_settings) -> specs.TrainingJobSpec:
    return specs.TrainingJobSpec(
        **build_settings(
            role_arn="arn:aws:iam::123456789012:role/{{ params.role }}",
            channels=[specs.Channel(name="train", s3_uri="s3://{{ params.bucket }}/train/{{ ds_nodash }}/")],
            output=specs.OutputDataConfig(s3_output_path="s3://{{ params.bucket }}/models/"),
            resources=specs.ResourceConfig(
                instance_type="ml.m5.xlarge", instance_count="{{ params.instances }}"
            ),
            stopping=specs.StoppingCondition(max_runtime_in_seconds="{{ params.runtime }}"),
            environment={"RUN_DATE": "{{ ds_nodash }}"},
        ),
        name="churn-{{ ds_nodash }}",
        hyperparameters={"max_depth": "{{ params.depth }}", "eta": 0.2},
        tags={"run": "{{ ds_nodash }}"},
    )


def test_airflow_renders_nested_spec_fields(build_settings):
    rendered = render(templated_training_spec(build_settings))
    assert isinstance(rendered, specs.TrainingJobSpec)
    assert rendered.name == "churn-20260101"
    assert rendered.role_arn == "arn:aws:iam::123456789012:role/SageMakerRole"
    assert rendered.channels[0].s3_uri == "s3://ml-bucket/train/20260101/"
    assert rendered.output.s3_output_path == "s3://ml-bucket/models/"
    assert rendered.hyperparameters == {"max_depth": "6", "eta": 0.2}
    assert rendered.environment == {"RUN_DATE": "20260101"}
    assert rendered.tags == {"run": "20260101"}
    # Airflow renders numbers as strings; the operator's normalisation turns them back.
    assert rendered.resources.instance_count == "2"
    assert rendered.stopping.max_runtime_in_seconds == "7200"


def test_a_rendered_spec_becomes_a_valid_request(build_settings):
    request = normalize_training_request(
        specs.render_request(render(templated_training_spec(build_settings)))
    )
    assert request["ResourceConfig"]["InstanceCount"] == 2
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200}
    assert request["HyperParameters"] == {"max_depth": "6", "eta": "0.2"}
    assert (
        request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
        == "s3://ml-bucket/train/20260101/"
    )
    validate_training_request(request)


def test_airflow_renders_tuning_specs_down_to_ranges(build_settings):
    spec = specs.TuningJobSpec(
        name="tune-{{ ds_nodash }}",
        objective=specs.Objective(metric_name="validation:rmse"),
        resource_limits=specs.ResourceLimits(
            max_number_of_training_jobs="{{ params.depth * 2 }}", max_parallel_training_jobs=2
        ),
        ranges=[
            specs.IntegerRange(name="max_depth", min_value=2, max_value="{{ params.depth }}"),
            specs.CategoricalRange(name="booster", values=["gbtree", "{{ 'dart' }}"]),
        ],
        training=specs.TrainingJobDefinition(
            **build_settings(
                output=specs.OutputDataConfig(s3_output_path="s3://{{ params.bucket }}/tuning/")
            ),
            static_hyperparameters={"run": "{{ ds_nodash }}"},
        ),
    )
    rendered = render(spec)
    assert rendered.name == "tune-20260101"
    assert rendered.ranges[0].max_value == "6"
    assert rendered.ranges[1].values == ["gbtree", "dart"]
    assert rendered.training.output.s3_output_path == "s3://ml-bucket/tuning/"
    request = normalize_tuning_request(specs.render_request(rendered))
    assert request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 12
    assert request["TrainingJobDefinition"]["StaticHyperParameters"] == {"run": "20260101"}
    validate_tuning_request(request)


def test_a_dict_config_renders_too_and_the_original_is_untouched():
    config = {"TrainingJobName": "job-{{ ds_nodash }}", "HyperParameters": {"depth": "{{ params.depth }}"}}
    assert render(config) == {"TrainingJobName": "job-20260101", "HyperParameters": {"depth": "6"}}
    assert config["TrainingJobName"] == "job-{{ ds_nodash }}"
