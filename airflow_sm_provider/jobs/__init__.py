"""Job kinds as data: one row per kind of SageMaker job, and the status table every wait path reads.

The blocking wait in the operators, the sensors' ``poke()`` and the triggers all call
:func:`classify` on a Describe* response, so a status means the same thing on every path. What
differs between kinds lives on the kind's row (:class:`JobKind`), defined in the kind's own
module; adding a kind is one module plus one entry in :data:`KINDS`.
"""

from __future__ import annotations

from airflow_sm_provider.jobs.kind import Classification, JobKind, Outcome, classify
from airflow_sm_provider.jobs.model_package import MODEL_PACKAGE, package_result
from airflow_sm_provider.jobs.training import TRAINING, training_result
from airflow_sm_provider.jobs.tuning import TUNING, tuning_result

__all__ = [
    "KINDS",
    "MODEL_PACKAGE",
    "TRAINING",
    "TUNING",
    "Classification",
    "JobKind",
    "Outcome",
    "classify",
    "package_result",
    "training_result",
    "tuning_result",
]

#: Every job kind, by ``JobKind.name`` (the name trigger events and link XComs carry).
KINDS: dict[str, JobKind] = {kind.name: kind for kind in (TRAINING, TUNING, MODEL_PACKAGE)}
