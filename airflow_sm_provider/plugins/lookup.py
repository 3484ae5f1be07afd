"""Which SageMaker job a task instance ran, and through which ``aws`` connection.

Read in the api-server from Airflow's metadata database (Airflow's own models, the caller's
session): the ``sagemaker_job`` XCom the operators and sensors push (``{"kind", "job_name",
"region_name"}``), and the task's ``aws_conn_id``: as rendered for that task instance when
Airflow kept it (a templated connection id), else as written in the DAG (its serialized task).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.links.sagemaker import XCOM_KEY
from airflow_sm_provider.plugins.snapshots import JobRef

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_CONN_ID = "aws_default"


def job_of(dag_id: str, run_id: str, task_id: str, map_index: int, session: Session) -> JobRef | None:
    """The job the task instance recorded, or ``None`` if it recorded none (yet)."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    row = session.scalars(
        select(XComModel)
        .where(
            XComModel.dag_id == dag_id,
            XComModel.run_id == run_id,
            XComModel.task_id == task_id,
            XComModel.map_index == map_index,
            XComModel.key == XCOM_KEY,
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    info = XComModel.deserialize_value(row)
    if not isinstance(info, dict) or not info.get("kind") or not info.get("job_name"):
        return None
    return JobRef(
        kind=str(info["kind"]),
        job_name=str(info["job_name"]),
        region_name=info.get("region_name"),
        aws_conn_id=aws_conn_id_of(dag_id, run_id, task_id, map_index, session),
    )


def aws_conn_id_of(dag_id: str, run_id: str, task_id: str, map_index: int, session: Session) -> str | None:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as Rendered
    from sqlalchemy import select

    rendered = session.scalar(
        select(Rendered.rendered_fields).where(
            Rendered.dag_id == dag_id,
            Rendered.run_id == run_id,
            Rendered.task_id == task_id,
            Rendered.map_index == map_index,
        )
    )
    if isinstance(rendered, dict) and "aws_conn_id" in rendered:
        return _conn_id(rendered["aws_conn_id"])
    return _conn_id(getattr(_serialized_task(dag_id, task_id, session), "aws_conn_id", DEFAULT_CONN_ID))


def _serialized_task(dag_id: str, task_id: str, session: Session) -> Any:
    from airflow.models.serialized_dag import SerializedDagModel

    dag = SerializedDagModel.get_dag(dag_id, session=session)
    if dag is None or not dag.has_task(task_id):
        return None
    return dag.get_task(task_id)


def _conn_id(value: Any) -> str | None:
    # None is the amazon provider's "no connection: boto3's default credential chain"
    return value if isinstance(value, str) or value is None else DEFAULT_CONN_ID
