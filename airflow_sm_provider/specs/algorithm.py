"""The training algorithm: a container image or a named algorithm, and the metrics it prints."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import Spec, compact
from airflow_sm_provider.specs.enums import InputMode


@attrs.define(kw_only=True, repr=False)
class MetricDefinition(Spec):
    """A metric SageMaker scrapes from the training logs.

    :param name: Metric name, e.g. ``validation:rmse``; the tuning objective refers to it.
    :param regex: Regular expression whose first group captures the value.
    """

    name: str
    regex: str

    template_fields: ClassVar[tuple[str, ...]] = ("name",)

    def to_request(self) -> dict[str, Any]:
        return {"Name": self.name, "Regex": self.regex}


@attrs.define(kw_only=True, repr=False)
class AlgorithmSpecification(Spec):
    """Which code trains: give ``training_image`` or ``algorithm_name``, not both.

    :param training_image: ECR image URI of the training container.
    :param algorithm_name: Name or ARN of an algorithm resource (AWS Marketplace or your own).
    :param input_mode: How data reaches the container (File, Pipe or FastFile).
    :param metric_definitions: Metrics to scrape from the logs; a tuning objective must be one.
    :param enable_sagemaker_metrics_time_series: Publish the metrics as time series (training
        jobs only; tuning definitions do not accept it).
    """

    training_image: str | None = None
    algorithm_name: str | None = None
    input_mode: InputMode | str = InputMode.FILE
    metric_definitions: list[MetricDefinition] = attrs.Factory(list)
    enable_sagemaker_metrics_time_series: bool | None = None

    template_fields: ClassVar[tuple[str, ...]] = ("training_image", "algorithm_name", "metric_definitions")

    def to_request(self) -> dict[str, Any]:
        """The ``AlgorithmSpecification`` of a CreateTrainingJob request."""
        request = self._members()
        if self.enable_sagemaker_metrics_time_series is not None:
            request["EnableSageMakerMetricsTimeSeries"] = self.enable_sagemaker_metrics_time_series
        return request

    def to_tuning_request(self) -> dict[str, Any]:
        """The ``AlgorithmSpecification`` of a tuning job's training job definition."""
        if self.enable_sagemaker_metrics_time_series is not None:
            raise ValueError(
                "enable_sagemaker_metrics_time_series is not accepted in a tuning job definition"
            )
        return self._members()

    def _members(self) -> dict[str, Any]:
        request = compact(
            TrainingImage=self.training_image,
            AlgorithmName=self.algorithm_name,
            TrainingInputMode=self.input_mode,
        )
        if self.metric_definitions:
            request["MetricDefinitions"] = [metric.to_request() for metric in self.metric_definitions]
        return request
