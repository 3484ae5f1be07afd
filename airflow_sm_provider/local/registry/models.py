"""Models: CreateModel / DescribeModel / DeleteModel.

Models are small records: kept in memory, written to SQLite when created or deleted. Their tags
are kept by :mod:`.tags`, like every other resource's.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.store import Store
from airflow_sm_provider.local.times import from_epoch, to_epoch, utcnow

__all__ = ["Model", "ModelRegistry"]

ECHOED_MODEL_FIELDS = (
    "PrimaryContainer",
    "Containers",
    "InferenceExecutionConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)


@dataclass
class Model:
    """A CreateModel record: what was asked for, plus its ARN and creation time."""

    name: str
    arn: str
    request: dict[str, Any]
    creation_time: datetime

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ModelName": self.name}
        for key in ECHOED_MODEL_FIELDS:
            if key in self.request:
                out[key] = self.request[key]
        out["CreationTime"] = self.creation_time
        out["ModelArn"] = self.arn
        return out

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "request": self.request,
            "creation_time": to_epoch(self.creation_time),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Model:
        created = from_epoch(doc["creation_time"])
        assert created is not None
        return cls(doc["name"], doc["arn"], doc["request"], created)


class ModelRegistry:
    """Models of one backend home.

    :param store: persistence.
    :param arn_for: builds a model's ARN from the request's region and the model name.
    """

    def __init__(self, store: Store, arn_for: Callable[[str, str], str]) -> None:
        self.store = store
        self._arn_for = arn_for
        self._lock = threading.Lock()
        self._models: dict[str, Model] = {}

    def recover(self) -> None:
        for doc in self.store.load_models():
            model = Model.from_doc(doc)
            self._models[model.name] = model

    def create(self, request: dict[str, Any], region: str) -> str:
        name = request["ModelName"]
        if not request.get("PrimaryContainer") and not request.get("Containers"):
            raise ValidationError("Either PrimaryContainer or Containers must be specified")
        model = Model(
            name=name,
            arn=self._arn_for(region, name),
            request=copy.deepcopy({k: v for k, v in request.items() if k not in ("ModelName", "Tags")}),
            creation_time=utcnow(),
        )
        with self._lock:
            if name in self._models:
                raise ValidationError(f'Cannot create already existing model "{model.arn}".')
            self._models[name] = model
        self.store.insert_model(model.to_doc())
        if request.get("Tags"):
            self.store.put_tags(model.arn, request["Tags"])
        return model.arn

    def describe(self, name: str) -> dict[str, Any]:
        with self._lock:
            description = self._get(name).describe()
        return copy.deepcopy(description)

    def delete(self, name: str) -> None:
        with self._lock:
            model = self._get(name)
            del self._models[name]
        self.store.delete_model(name)
        self.store.delete_tags(model.arn)

    def arn_exists(self, arn: str) -> bool:
        with self._lock:
            return any(model.arn == arn for model in self._models.values())

    def _get(self, name: str) -> Model:
        model = self._models.get(name)
        if model is None:
            # real SageMaker answers ValidationException here, not ResourceNotFound
            raise ValidationError(f'Could not find model "{name}".')
        return model
