from __future__ import annotations

import pytest

from airflow_sm_provider import specs
from airflow_sm_provider.validation import normalize_training_request, validate_training_request

OPERATION = "CreateTrainingJob"


def training_variants(settings, algorithm):
    return {
        "minimal": specs.TrainingJobSpec(**settings(channels=[]), name="minimal-1"),
        "xgboost-csv": specs.TrainingJobSpec(
            **settings(),
            name="churn-xgb-20260101",
            hyperparameters={"max_depth": 5, "eta": 0.2, "objective": "reg:squarederror", "verbose": True},
            tags={"team": "ml", "pipeline": "churn"},
        ),
        "spot-with-checkpoints": specs.TrainingJobSpec(
            **settings(
                stopping=specs.StoppingCondition(max_runtime_in_seconds=3600, max_wait_time_in_seconds=7200),
                checkpoint=specs.CheckpointConfig(
                    s3_uri="s3://bucket/ckpt/", local_path="/opt/ml/checkpoints"
                ),
                enable_managed_spot_training=True,
                max_retry_attempts=2,
            ),
            name="spot-job",
        ),
        "distributed-pipe-vpc": specs.TrainingJobSpec(
            **settings(
                algorithm=algorithm(
                    input_mode=specs.InputMode.PIPE, enable_sagemaker_metrics_time_series=True
                ),
                channels=[
                    specs.Channel(
                        name="train",
                        s3_uri="s3://bucket/manifest.json",
                        s3_data_type=specs.S3DataType.MANIFEST_FILE,
                        distribution=specs.S3DataDistribution.SHARDED_BY_S3_KEY,
                        compression=specs.CompressionType.GZIP,
                        input_mode=specs.InputMode.FAST_FILE,
                    )
                ],
                resources=specs.ResourceConfig(
                    instance_type="ml.p3.2xlarge",
                    instance_count=4,
                    volume_size_in_gb=100,
                    volume_kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abcd",
                    keep_alive_period_in_seconds=600,
                ),
                output=specs.OutputDataConfig(
                    s3_output_path="s3://bucket/out/",
                    kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abcd",
                ),
                vpc_config=specs.VpcConfig(security_group_ids=["sg-123"], subnets=["subnet-1", "subnet-2"]),
                enable_network_isolation=True,
                enable_inter_container_traffic_encryption=True,
                environment={"NCCL_DEBUG": "INFO"},
            ),
            name="dist-1",
        ),
        "marketplace-algorithm": specs.TrainingJobSpec(
            **settings(
                algorithm=specs.AlgorithmSpecification(algorithm_name="my-algorithm", input_mode="File")
            ),
            name="algo-job",
            extra={"DebugHookConfig": {"S3OutputPath": "s3://bucket/debug/"}},
        ),
    }


@pytest.mark.parametrize(
    "variant",
    ["minimal", "xgboost-csv", "spot-with-checkpoints", "distributed-pipe-vpc", "marketplace-algorithm"],
)
def test_rendered_training_requests_pass_botocore_and_provider_validation(
    report, build_settings, build_algorithm, variant
):
    request = training_variants(build_settings, build_algorithm)[variant].to_request()
    assert report(request, OPERATION) == ""
    validate_training_request(normalize_training_request(request))


def test_training_request_keys_are_spelled_as_the_api(build_settings):
    spec = specs.TrainingJobSpec(
        **build_settings(
            resources=specs.ResourceConfig(
                instance_type="ml.m5.large", instance_count=2, volume_size_in_gb=50
            ),
            enable_managed_spot_training=True,
            stopping=specs.StoppingCondition(max_runtime_in_seconds=60, max_wait_time_in_seconds=120),
        ),
        name="job-1",
        hyperparameters={"lr": 0.1},
        tags={"team": "ml"},
    )
    request = spec.to_request()
    assert request["TrainingJobName"] == "job-1"
    assert request["ResourceConfig"] == {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 2,
        "VolumeSizeInGB": 50,
    }
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 120}
    assert request["EnableManagedSpotTraining"] is True
    assert request["HyperParameters"] == {"lr": "0.1"}
    assert request["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert request["AlgorithmSpecification"]["MetricDefinitions"][0] == {
        "Name": "validation:rmse",
        "Regex": r"validation-rmse=([0-9\.]+)",
    }
    assert request["InputDataConfig"][0] == {
        "ChannelName": "train",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/churn/train/"}},
        "ContentType": "text/csv",
    }


def test_enum_members_render_as_plain_strings(build_settings, build_algorithm):
    request = specs.TrainingJobSpec(
        **build_settings(algorithm=build_algorithm(input_mode=specs.InputMode.PIPE))
    ).to_request()
    mode = request["AlgorithmSpecification"]["TrainingInputMode"]
    assert mode == "Pipe" and type(mode) is str


def test_hyperparameters_are_stringified_on_render_without_touching_the_spec(build_settings):
    spec = specs.TrainingJobSpec(
        **build_settings(), hyperparameters={"n": 3, "f": 0.25, "b": False, "s": "x"}
    )
    assert spec.to_request()["HyperParameters"] == {"n": "3", "f": "0.25", "b": "false", "s": "x"}
    assert spec.hyperparameters == {"n": 3, "f": 0.25, "b": False, "s": "x"}


def test_a_spec_without_name_leaves_naming_to_the_operator(build_settings):
    request = specs.TrainingJobSpec(**build_settings()).to_request()
    assert "TrainingJobName" not in request
    assert "HyperParameters" not in request and "Tags" not in request


def test_extra_members_are_added_but_may_not_override(build_settings):
    debug = {"S3OutputPath": "s3://bucket/debug/"}
    spec = specs.TrainingJobSpec(**build_settings(), extra={"DebugHookConfig": debug})
    request = spec.to_request()
    assert request["DebugHookConfig"] == debug and request["DebugHookConfig"] is not debug
    clash = specs.TrainingJobSpec(**build_settings(), extra={"RoleArn": "x"})
    with pytest.raises(ValueError, match="extra repeats members the spec writes itself: RoleArn"):
        clash.to_request()


def test_environment_values_are_not_in_the_repr(build_settings):
    spec = specs.TrainingJobSpec(**build_settings(environment={"DB_PASSWORD": "hunter2"}), name="j")
    text = repr(spec)
    assert "hunter2" not in text
    assert "environment={'DB_PASSWORD': ...}" in text
    assert text.startswith("TrainingJobSpec(role_arn=")
    assert "name='j'" in text


def test_repr_leaves_out_defaults():
    assert (
        repr(specs.ResourceConfig(instance_type="ml.m5.large"))
        == "ResourceConfig(instance_type='ml.m5.large')"
    )
    assert (
        repr(specs.StoppingCondition(max_runtime_in_seconds=60))
        == "StoppingCondition(max_runtime_in_seconds=60)"
    )


def test_an_invalid_spec_is_caught_by_validation(build_settings):
    spec = specs.TrainingJobSpec(
        **build_settings(), name="bad_name", hyperparameters={"k": "AKIAIOSFODNN7EXAMPLE"}
    )
    with pytest.raises(ValueError) as excinfo:
        validate_training_request(normalize_training_request(spec.to_request()))
    assert {problem.field for problem in excinfo.value.errors} == {"TrainingJobName", "HyperParameters.k"}
