"""Reading a task's SageMaker job through the task's own connection, at most once per interval.

Every page view asks :func:`snapshot_of` for the job; the :class:`~.cache.SingleFlightCache`
behind it makes the first request of an interval read SageMaker and every other request (other
tabs, other users, the page's own refresh) share that read. A running job is read again after
:data:`RUNNING_TTL` seconds, a finished one after :data:`FINISHED_TTL`.

Which kinds have a view, and how each is read, is the :data:`VIEWS` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.jobs import TRAINING, TUNING
from airflow_sm_provider.plugins.cache import SingleFlightCache
from airflow_sm_provider.plugins.leaderboard import leaderboard_of, training_summary_of

if TYPE_CHECKING:
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

RUNNING_TTL = 5.0
FINISHED_TTL = 300.0
#: Lines shown from the end of a training job's log.
LOG_TAIL_LINES = 60


@dataclass(frozen=True)
class JobRef:
    """The job a task instance ran (its ``sagemaker_job`` XCom) and the task's connection."""

    kind: str
    job_name: str
    region_name: str | None
    aws_conn_id: str | None


@dataclass(frozen=True)
class Snapshot:
    """What a page shows: the template to render it with and its data (or why there is none)."""

    template: str
    data: Any
    running: bool
    error: str | None = None


@dataclass(frozen=True)
class View:
    template: str
    load: Callable[[SageMakerHook, str], Any]


def _load_tuning(hook: SageMakerHook, name: str) -> Any:
    description = hook.describe(TUNING, name)
    return leaderboard_of(description, hook.list_trials(name))


def _load_training(hook: SageMakerHook, name: str) -> Any:
    description = hook.describe(TRAINING, name)
    # the end of the log, whatever its length: a few calls, not a read from the start
    return training_summary_of(description, hook.training_log_tail(name, LOG_TAIL_LINES))


#: The kinds with a view, by ``JobKind.name``; any other kind's page says there is none.
VIEWS: dict[str, View] = {
    TUNING.name: View("tuning.html", _load_tuning),
    TRAINING.name: View("training.html", _load_training),
}


def default_hook(ref: JobRef) -> SageMakerHook:
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook

    return SageMakerHook(aws_conn_id=ref.aws_conn_id, region_name=ref.region_name)


_cache: SingleFlightCache[Snapshot] = SingleFlightCache()


def snapshot_of(
    ref: JobRef, hook_factory: Callable[[JobRef], SageMakerHook] | None = None
) -> Snapshot | None:
    """The job's current state as a page shows it; ``None`` for a kind without a view.

    :param hook_factory: Builds the hook for the task's connection (:func:`default_hook`).
    """
    view = VIEWS.get(ref.kind)
    if view is None:
        return None
    key = (ref.aws_conn_id, ref.region_name, ref.kind, ref.job_name)
    return _cache.get(key, lambda: _read(view, ref, hook_factory or default_hook))


def clear_cache() -> None:
    _cache.clear()


def _read(view: View, ref: JobRef, hook_factory: Callable[[JobRef], SageMakerHook]) -> tuple[Snapshot, float]:
    from botocore.exceptions import BotoCoreError, ClientError

    from airflow_sm_provider.exceptions import SageMakerProviderError

    try:
        data = view.load(hook_factory(ref), ref.job_name)
    except (BotoCoreError, ClientError, SageMakerProviderError) as err:
        # Cached like a running job's state: a job that cannot be read is not asked for by every tab.
        return Snapshot(view.template, None, running=True, error=f"{type(err).__name__}: {err}"), RUNNING_TTL
    running = bool(data.running)
    return Snapshot(view.template, data, running=running), RUNNING_TTL if running else FINISHED_TTL
