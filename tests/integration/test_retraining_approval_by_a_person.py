"""The retraining pipeline's ``approval=person`` path, answered through Airflow's own HITL API.

``dag.test()`` runs the pipeline in this process. On Airflow 3.3 ``ask_a_person`` then parks in
the ``awaiting_input`` state, and dag.test() never answers a person's question itself: it keeps
the run alive until an answer is recorded from outside. A thread plays the person. It waits for
the question, reads it back over the REST API (subject, the gate's table, the model package) and
answers Reject with a PATCH on ``hitlDetails``, the endpoint the UI's Required Actions page
calls, on an in-process instance of the API server's FastAPI app over the same metadata DB, as a
user named ``reviewer``.

No browser and no Airflow processes: about a minute and a half on 2 cores, most of it the
tuning and training jobs.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import quote

import airflow
import pendulum
import pytest
from packaging.version import Version

from tests.integration.test_dag_tune_then_train import xcom
from tests.integration.test_dags import DAGS, load, pipeline_variables  # noqa: F401 - fixture
from tests.integration.test_retraining_registry import GROUP, asset_events

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(600),
    # Before 3.3 the task defers to HITLTrigger, and dag.test()'s inline trigger run cannot serve
    # the trigger's read of the answer ("Unhandled request GetHITLDetailResponse" on 3.2): the
    # task fails. 3.3 parks it in awaiting_input and dag.test() waits (apache/airflow#68492).
    pytest.mark.skipif(
        Version(airflow.__version__).release < (3, 3),
        reason="dag.test() waits for a person's answer from Airflow 3.3",
    ),
]
DAG_ID = "sagemaker_retraining"
PERSON_TASK = "ask_a_person"  # dags/retraining/approval.py
REVIEWER = "reviewer"
QUESTION_DEADLINE = 300


class Person(threading.Thread):
    """Waits for ``ask_a_person`` to wait, reads the question, and answers ``choice`` over REST.

    Whatever goes wrong is kept in ``error`` and ends the task as failed, so that dag.test(),
    which would otherwise wait for an answer for ever, returns and the test can report it;
    ``stop()`` ends the wait when dag.test() returned without asking (an earlier task failed).
    """

    def __init__(self, run_id: str, choice: str) -> None:
        super().__init__(name="person", daemon=True)
        self.choice = choice
        run = f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}"
        self.task = f"{run}/taskInstances/{PERSON_TASK}"
        self.hitl = f"{self.task}/-1/hitlDetails"
        self.question: dict[str, Any] = {}
        self.answer: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.client: Any = None
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=60)

    def run(self) -> None:
        try:
            self.client = api_client(REVIEWER)
            self.question = self.wait_for_the_question()
            response = self.client.patch(self.hitl, json={"chosen_options": [self.choice]})
            assert response.status_code == 200, response.text
            self.answer = response.json()
        except BaseException as error:  # noqa: BLE001 - reported by the test, after dag.test() returns
            self.error = error
            if self.client is not None and not self._stopped.is_set():
                self.client.patch(self.task, json={"new_state": "failed"})

    def wait_for_the_question(self) -> dict[str, Any]:
        deadline = time.monotonic() + QUESTION_DEADLINE
        while True:
            ti = self.client.get(self.task)
            if ti.status_code == 200 and ti.json()["state"] in ("awaiting_input", "deferred"):
                detail = self.client.get(self.hitl)
                assert detail.status_code == 200, detail.text
                return detail.json()
            if ti.status_code == 200 and ti.json()["state"] in ("success", "failed", "skipped"):
                raise AssertionError(f"{PERSON_TASK} ended as {ti.json()['state']} unasked")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{PERSON_TASK} did not wait for a person in {QUESTION_DEADLINE}s")
            if self._stopped.wait(1):
                raise RuntimeError(f"the run ended before {PERSON_TASK} asked")


def api_client(username: str):
    """A client of the API server's app, in this process, logged in as an admin ``username``."""
    from airflow.api_fastapi.app import create_app, get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    client = TestClient(create_app(apps="core"))
    token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=username, role="admin"))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def task_states(run) -> dict[str, str | None]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: ti.state for ti in run.get_task_instances(session=session)}


def test_a_person_rejects_in_airflow_the_registry_says_rejected_and_nothing_is_announced(
    airflow_db,
    aws_default,
    sm_client,
    pipeline_variables,  # noqa: F811
    monkeypatch,
):
    monkeypatch.syspath_prepend(str(DAGS))
    from airflow.models.dagrun import DagRun
    from airflow.utils.types import DagRunType
    from retraining import approval, config
    from retraining.assets import APPROVED_MODEL

    monkeypatch.setenv(config.env_name("max_trials"), "2")
    dag = load(DAG_ID)
    when = pendulum.datetime(2026, 11, 30, tz="UTC")
    person = Person(
        DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=when, run_after=when), "Reject"
    )
    person.start()
    run = dag.test(run_after=when, logical_date=when, run_conf={"approval": "person"})
    person.stop()
    if person.error is not None:
        raise AssertionError(f"{person.error!r}; task states: {task_states(run)}") from person.error

    # What the person was asked: the version, the gate's champion / challenger table, the package.
    registered, gate = xcom(run, "register"), xcom(run, "gate")
    question = person.question
    assert question["subject"] == f"Approve model version 1 of {GROUP}?"
    assert question["options"] == ["Approve", "Reject"]
    # the gate's table, as a Markdown table with the cells of the text table the gate logs
    logged = [re.split(r"\s{2,}", line) for line in gate["table"].splitlines()]
    shown = question["body"].splitlines()
    for cells in [logged[0], *logged[2 : 2 + len(gate["rows"])]]:
        assert f"| {' | '.join(cells)} |" in shown, (cells, question["body"])
    assert registered["model_package_arn"] in question["body"]
    assert person.answer["responded_by"]["name"] == REVIEWER

    # The answer reached the registry with the person's name; a rejected model is not announced.
    assert run.state == "success", task_states(run)
    answered = xcom(run, approval.PERSON_TASK)
    assert (answered["chosen_options"], answered["responded_by_user"]["name"]) == (["Reject"], REVIEWER)
    states = task_states(run)
    assert states["record_decision"] == "success", states
    assert states["announce"] == "skipped", states
    assert states["report"] == "success", states
    (listed,) = sm_client.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert listed["ModelPackageArn"] == registered["model_package_arn"]
    assert listed["ModelApprovalStatus"] == "Rejected"
    version = sm_client.describe_model_package(ModelPackageName=registered["model_package_arn"])
    assert version["ModelApprovalStatus"] == "Rejected"
    assert version["ApprovalDescription"] == (
        f"Rejected by {REVIEWER} in Airflow (human-in-the-loop, run {run.run_id})"
    )
    assert asset_events(APPROVED_MODEL.uri, run) == []
    assert xcom(run, "report")["announced"] is None
