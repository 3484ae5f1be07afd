from __future__ import annotations

import pytest

from airflow_sm_provider import specs
from airflow_sm_provider.validation import normalize_tuning_request, validate_tuning_request

OPERATION = "CreateHyperParameterTuningJob"
RMSE = specs.Objective(metric_name="validation:rmse", type=specs.ObjectiveType.MINIMIZE)


def tuning_variants(settings, algorithm):
    definition = specs.TrainingJobDefinition(
        **settings(), static_hyperparameters={"objective": "reg:squarederror"}
    )
    return {
        "bayesian": specs.TuningJobSpec(
            name="churn-tune",
            objective=RMSE,
            resource_limits=specs.ResourceLimits(
                max_number_of_training_jobs=20, max_parallel_training_jobs=2
            ),
            ranges=[
                specs.IntegerRange(name="max_depth", min_value=2, max_value=10),
                specs.ContinuousRange(
                    name="eta", min_value=0.01, max_value=0.5, scaling=specs.ScalingType.LOGARITHMIC
                ),
                specs.CategoricalRange(name="booster", values=["gbtree", "dart"]),
            ],
            early_stopping=specs.EarlyStopping.AUTO,
            random_seed=42,
            training=definition,
            tags={"team": "ml"},
        ),
        "grid": specs.TuningJobSpec(
            name="grid-1",
            strategy=specs.Strategy.GRID,
            objective=RMSE,
            resource_limits=specs.ResourceLimits(max_parallel_training_jobs=3),
            ranges=[
                specs.CategoricalRange(name="max_depth", values=[3, 5, 7]),
                specs.IntegerRange(name="num_round", min_value=10, max_value=11),
            ],
            training=definition,
        ),
        "hyperband": specs.TuningJobSpec(
            name="hb-1",
            strategy=specs.Strategy.HYPERBAND,
            hyperband=specs.HyperbandStrategyConfig(min_resource=1, max_resource=27),
            objective=specs.Objective(metric_name="validation:rmse"),
            resource_limits=specs.ResourceLimits(
                max_number_of_training_jobs=50, max_parallel_training_jobs=5, max_runtime_in_seconds=86400
            ),
            ranges=[
                specs.ContinuousRange(
                    name="momentum",
                    min_value=0.5,
                    max_value=0.999,
                    scaling=specs.ScalingType.REVERSE_LOGARITHMIC,
                )
            ],
            training=definition,
        ),
        "random-warm-start-completion": specs.TuningJobSpec(
            name="rnd-2",
            strategy="Random",
            objective=RMSE,
            resource_limits=specs.ResourceLimits(
                max_number_of_training_jobs=30, max_parallel_training_jobs=3
            ),
            ranges=[specs.IntegerRange(name="max_depth", min_value=2, max_value=10, scaling="Linear")],
            completion_criteria=specs.CompletionCriteria(
                target_objective_metric_value=0.1,
                max_number_of_training_jobs_not_improving=5,
                complete_on_convergence=True,
            ),
            warm_start=specs.WarmStart(
                parent_tuning_job_names=["rnd-1"], type=specs.WarmStartType.TRANSFER_LEARNING
            ),
            training=definition,
        ),
        "several-definitions": specs.TuningJobSpec(
            name="multi-1",
            resource_limits=specs.ResourceLimits(
                max_number_of_training_jobs=10, max_parallel_training_jobs=2
            ),
            definitions=[
                specs.TrainingJobDefinition(
                    **settings(),
                    definition_name="xgb",
                    objective=RMSE,
                    ranges=[specs.IntegerRange(name="max_depth", min_value=2, max_value=8)],
                    static_hyperparameters={"num_round": 100},
                ),
                specs.TrainingJobDefinition(
                    **settings(
                        algorithm=algorithm(
                            training_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/lgbm:4"
                        ),
                        enable_managed_spot_training=True,
                        stopping=specs.StoppingCondition(
                            max_runtime_in_seconds=600, max_wait_time_in_seconds=1200
                        ),
                        checkpoint=specs.CheckpointConfig(s3_uri="s3://bucket/ckpt/"),
                        environment={"OMP_NUM_THREADS": "4"},
                    ),
                    definition_name="lgbm",
                    objective=RMSE,
                    ranges=[specs.ContinuousRange(name="learning_rate", min_value="0.001", max_value="0.3")],
                ),
            ],
        ),
    }


VARIANTS = ["bayesian", "grid", "hyperband", "random-warm-start-completion", "several-definitions"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_tuning_requests_pass_botocore_and_provider_validation(
    report, build_settings, build_algorithm, variant
):
    request = tuning_variants(build_settings, build_algorithm)[variant].to_request()
    assert report(request, OPERATION) == ""
    validate_tuning_request(normalize_tuning_request(request))


def test_tuning_request_shape(build_settings, build_algorithm):
    request = tuning_variants(build_settings, build_algorithm)["bayesian"].to_request()
    config = request["HyperParameterTuningJobConfig"]
    assert config == {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "10"}],
            "ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
            ],
            "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
        },
        "TrainingJobEarlyStoppingType": "Auto",
        "RandomSeed": 42,
    }
    definition = request["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == {"objective": "reg:squarederror"}
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert "EnableSageMakerMetricsTimeSeries" not in definition["AlgorithmSpecification"]
    assert request["Tags"] == [{"Key": "team", "Value": "ml"}]


def test_hyperband_completion_and_warm_start_shapes(build_settings, build_algorithm):
    variants = tuning_variants(build_settings, build_algorithm)
    hyperband = variants["hyperband"].to_request()["HyperParameterTuningJobConfig"]
    assert hyperband["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 27}}
    request = variants["random-warm-start-completion"].to_request()
    assert request["HyperParameterTuningJobConfig"]["TuningJobCompletionCriteria"] == {
        "TargetObjectiveMetricValue": 0.1,
        "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 5},
        "ConvergenceDetected": {"CompleteOnConvergence": "Enabled"},
    }
    assert request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "rnd-1"}],
        "WarmStartType": "TransferLearning",
    }


def test_several_definitions_carry_their_own_ranges_and_objectives(build_settings, build_algorithm):
    request = tuning_variants(build_settings, build_algorithm)["several-definitions"].to_request()
    assert "TrainingJobDefinition" not in request
    first, second = request["TrainingJobDefinitions"]
    assert first["DefinitionName"] == "xgb"
    assert first["TuningObjective"] == {"Type": "Minimize", "MetricName": "validation:rmse"}
    assert first["HyperParameterRanges"] == {
        "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "8"}]
    }
    assert first["StaticHyperParameters"] == {"num_round": "100"}
    assert second["EnableManagedSpotTraining"] is True
    assert second["Environment"] == {"OMP_NUM_THREADS": "4"}


def test_grid_request_with_max_jobs_left_out(build_settings, build_algorithm):
    config = tuning_variants(build_settings, build_algorithm)["grid"].to_request()[
        "HyperParameterTuningJobConfig"
    ]
    assert config["ResourceLimits"] == {"MaxParallelTrainingJobs": 3}
    assert config["ParameterRanges"]["CategoricalParameterRanges"] == [
        {"Name": "max_depth", "Values": ["3", "5", "7"]}
    ]


@pytest.mark.parametrize("definitions", ["neither", "both"])
def test_exactly_one_of_training_and_definitions(build_settings, definitions):
    definition = specs.TrainingJobDefinition(**build_settings())
    spec = specs.TuningJobSpec(
        resource_limits=specs.ResourceLimits(max_parallel_training_jobs=1),
        training=definition if definitions == "both" else None,
        definitions=[definition] if definitions == "both" else [],
    )
    with pytest.raises(ValueError, match="exactly one of training and definitions"):
        spec.to_request()


def test_metrics_time_series_is_refused_in_a_tuning_definition(build_settings, build_algorithm):
    definition = specs.TrainingJobDefinition(
        **build_settings(algorithm=build_algorithm(enable_sagemaker_metrics_time_series=True))
    )
    with pytest.raises(ValueError, match="enable_sagemaker_metrics_time_series"):
        definition.to_request()


def test_an_objective_the_algorithm_does_not_define_is_caught(build_settings):
    spec = specs.TuningJobSpec(
        name="auc-tune",
        objective=specs.Objective(metric_name="validation:auc", type="Maximize"),
        resource_limits=specs.ResourceLimits(max_number_of_training_jobs=4, max_parallel_training_jobs=2),
        ranges=[specs.IntegerRange(name="max_depth", min_value=2, max_value=10)],
        training=specs.TrainingJobDefinition(**build_settings()),
    )
    with pytest.raises(ValueError) as excinfo:
        validate_tuning_request(normalize_tuning_request(spec.to_request()))
    assert [problem.field for problem in excinfo.value.errors] == [
        "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName"
    ]


def test_range_reprs_are_readable():
    assert repr(specs.IntegerRange(name="depth", min_value=1, max_value=4)) == (
        "IntegerRange(name='depth', min_value=1, max_value=4)"
    )
    assert repr(specs.Objective(metric_name="loss")) == "Objective(metric_name='loss')"
