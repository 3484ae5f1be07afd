"""One task instance's page: find its job, read it (cached), render the kind's template.

Called only after the caller was authorized (:mod:`.app`). Returns ``(status, html)``; a task
instance that ran no SageMaker job, or ran a kind without a view, gets a short page saying so
(the view's tab shows on every task instance in Airflow 3.1 to 3.3).
"""

from __future__ import annotations

from collections.abc import Callable

from airflow_sm_provider.plugins.leaderboard import Leaderboard
from airflow_sm_provider.plugins.lookup import job_of
from airflow_sm_provider.plugins.render import chart, columns, render
from airflow_sm_provider.plugins.snapshots import (
    LOG_TAIL_LINES,
    JobRef,
    Snapshot,
    snapshot_of,
)


def task_page(
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: str,
    *,
    sort: str | None,
    order: str | None,
    show_log: bool,
    find_job: Callable[[str, str, str, int], JobRef | None] | None = None,
    read: Callable[[JobRef], Snapshot | None] = snapshot_of,
) -> tuple[int, str]:
    index = _map_index(map_index)
    ref = (find_job or _find_job)(dag_id, run_id, task_id, index)
    if ref is None:
        return 404, _message(
            "No SageMaker job",
            f"Task {task_id} of run {run_id} has not started a SageMaker job (or is not a SageMaker task).",
        )
    snapshot = read(ref)
    if snapshot is None:
        return 404, _message(
            "No view", f"This view shows tuning and training jobs; {ref.job_name} is neither."
        )
    if snapshot.error is not None:
        return 502, render(
            "message.html",
            running=True,
            heading=f"Could not read {ref.job_name}",
            message=f"Through connection {ref.aws_conn_id!r}: {snapshot.error}",
        )
    data = snapshot.data
    if isinstance(data, Leaderboard):
        key, descending = data.sort_order(sort, order)
        return 200, render(
            snapshot.template,
            running=snapshot.running,
            board=data,
            trials=data.sorted_trials(key, descending),
            columns=columns(data, key, descending, index),
            chart=chart(data.chart(), data.best_trial),
        )
    return 200, render(
        snapshot.template,
        running=snapshot.running,
        job=data,
        show_log=show_log,
        log_lines=LOG_TAIL_LINES,
    )


def _map_index(value: str) -> int:
    # The UI fills {MAP_INDEX} only on a mapped task's page; elsewhere the placeholder stays.
    try:
        return int(value)
    except ValueError:
        return -1


def _find_job(dag_id: str, run_id: str, task_id: str, map_index: int) -> JobRef | None:
    from airflow.utils.session import create_session

    with create_session() as session:
        return job_of(dag_id, run_id, task_id, map_index, session)


def _message(heading: str, message: str) -> str:
    return render("message.html", running=False, heading=heading, message=message)
