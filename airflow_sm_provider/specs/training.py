"""A training job: the CreateTrainingJob request."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import attrs

from airflow_sm_provider.specs._base import stringify_hyperparameter, tag_list
from airflow_sm_provider.specs.job import TrainingSettings


@attrs.define(kw_only=True, repr=False)
class TrainingJobSpec(TrainingSettings):
    """A SageMaker training job; ``to_request()`` returns the CreateTrainingJob request.

    Takes every parameter of :class:`~airflow_sm_provider.specs.job.TrainingSettings`, plus:

    :param name: Job name; leave it out to let the operator derive a deterministic one.
    :param hyperparameters: Passed to the training code; numbers and bools are rendered as the
        strings SageMaker requires (``0.1`` -> ``"0.1"``, ``True`` -> ``"true"``).
    :param tags: Tags of the job, as a ``{key: value}`` dict.
    :param extra: CreateTrainingJob members this spec does not model (``DebugHookConfig``,
        ``ProfilerConfig``, ...), added as given; a member the spec writes itself is refused.
    """

    name: str | None = None
    hyperparameters: dict[str, Any] = attrs.Factory(dict)
    tags: dict[str, str] = attrs.Factory(dict)
    extra: dict[str, Any] = attrs.Factory(dict)

    template_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "hyperparameters",
        "tags",
        *TrainingSettings.template_fields,
    )

    def to_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if self.name:
            request["TrainingJobName"] = self.name
        request.update(self._settings_request(self.algorithm.to_request()))
        if self.hyperparameters:
            request["HyperParameters"] = {
                key: stringify_hyperparameter(value) for key, value in self.hyperparameters.items()
            }
        if tags := tag_list(self.tags):
            request["Tags"] = tags
        clashes = sorted(request.keys() & self.extra.keys())
        if clashes:
            raise ValueError(f"extra repeats members the spec writes itself: {', '.join(clashes)}")
        return {**request, **copy.deepcopy(self.extra)}
