"""Tags on any SageMaker resource ARN: AddTags, ListTags, and the tuning engine's retried writes.

Tags live only in SQLite (they change rarely and are read rarely), keyed by ARN, so training jobs,
tuning jobs and models share one implementation.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from airflow_sm_provider.local import arns, listing
from airflow_sm_provider.local.errors import ResourceNotFound, ValidationError
from airflow_sm_provider.local.store import Store

__all__ = ["MAX_TAGS", "TAG_ATTEMPTS", "Tags", "put_with_retry"]

log = logging.getLogger(__name__)

MAX_TAGS = 50
TAG_ATTEMPTS = 5


class Tags:
    """AddTags / ListTags on any SageMaker ARN whose resource exists.

    :param store: persistence.
    :param exists: tells whether an ARN names an existing resource; ``None`` means "cannot tell"
        (tuning jobs without a tuning engine, other resource kinds), which is accepted.
    """

    def __init__(self, store: Store, exists: Callable[[str], bool | None]) -> None:
        self.store = store
        self._exists = exists

    def _check(self, arn: str) -> None:
        if not arn.startswith(arns.PREFIX) or "/" not in arn:
            raise ValidationError(f"Value {arn!r} at 'resourceArn' is not a valid SageMaker ARN")
        if self._exists(arn) is False:
            raise ResourceNotFound(f"Resource {arn} not found.")

    def add(self, arn: str, tags: list[dict]) -> list[dict]:
        self._check(arn)
        keys = {t["Key"] for t in self.store.get_tags(arn)} | {t["Key"] for t in tags}
        if len(keys) > MAX_TAGS:
            raise ValidationError(f"A resource can have at most {MAX_TAGS} tags")
        self.store.put_tags(arn, tags)
        return tags

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check(request["ResourceArn"])
        page, token = listing.page(self.store.get_tags(request["ResourceArn"]), request, "ListTags")
        return {"Tags": page, **listing.next_token(token)}


def put_with_retry(
    put_tags: Callable[[str, list[dict[str, str]]], None], arn: str, tags: list[dict[str, str]]
) -> None:
    """Write ``tags`` on ``arn``, retrying a lost SQLite race; a last failure is logged, not raised.

    The tuning engine tags a trial after its training job exists: the tag write can lose a SQLite
    snapshot race against concurrent writers ("database is locked"), and failing inside
    ``create_training_job`` would leave a recorded job that never starts.
    """
    for attempt in range(TAG_ATTEMPTS):
        try:
            put_tags(arn, tags)
            return
        except sqlite3.OperationalError as err:
            if attempt == TAG_ATTEMPTS - 1:
                log.warning("Could not tag training job %s: %s", arn, err)
            else:
                time.sleep(0.05 * (attempt + 1))
