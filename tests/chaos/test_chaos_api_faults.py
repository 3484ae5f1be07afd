"""tune -> train with dag.test(), blocking and deferred, through a proxy injecting throttling,
5xx, connection resets and lost Create responses: no task fails, no job is duplicated or lost,
and no secret reaches a log."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest

from airflow_sm_provider.local.server import LocalServer
from tests.chaos.chaoslib import Counts, count_orphans, count_secrets, read_logs, training_jobs, tuning_jobs
from tests.chaos.dags import sm_chaos_tune_then_train as dags
from tests.chaos.faultproxy import FaultProxy

pytestmark = pytest.mark.chaos

WHEN = pendulum.datetime(2026, 11, 1, tz="UTC")


@pytest.mark.parametrize(
    ("mode", "seed", "outage"),
    [("blocking", 3, 0), ("deferred", 5, 0), ("blocking", 7, 45)],
    ids=["blocking", "deferred", "blocking-45s-outage-at-start"],
)
def test_transient_faults_fail_no_task_and_lose_or_duplicate_no_job(
    airflow_db, tmp_path: Path, monkeypatch, capfd, mode: str, seed: int, outage: float
):
    counts = Counts(f"api-faults-{mode}" + (f"-{outage:g}s-outage" if outage else ""))
    proxy = FaultProxy(rate=0.5, seed=seed).start()
    if outage:  # every call throttled from the first one on (find-or-create rides it out)
        proxy.outage(outage)
    home = tmp_path / "sm-home"
    try:
        with LocalServer(
            home=home, port=0, stop_grace=1.0, allowed_hosts=[f"127.0.0.1:{proxy.port}"]
        ) as server:
            proxy.backend_port = int(server.endpoint_url.rsplit(":", 1)[1])
            connection = server.connection()
            connection["extra"]["endpoint_url"] = proxy.endpoint_url
            monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(connection))
            monkeypatch.setenv("AIRFLOW_VAR_SM_TEST_OUTPUT_DIR", str(tmp_path / "output"))

            run = getattr(dags, mode).test(run_after=WHEN, logical_date=WHEN)

            from tests.integration.local.sm_local_helpers import make_client

            client = make_client(server)
            trainings, tunings = training_jobs(client), tuning_jobs(client)
            counts.faults_injected = proxy.injected
            counts.task_failures = sum(1 for ti in run.get_task_instances() if ti.state != "success")
            counts.jobs_created = len(trainings) + len(tunings)
            completed = [
                job
                for job in trainings + tunings
                if job.get("TrainingJobStatus", job.get("HyperParameterTuningJobStatus")) == "Completed"
            ]
            counts.jobs_lost = max(0, 6 - len(completed))
            secret_key = server.credentials.secret_access_key
        out, err = capfd.readouterr()
        counts.secrets_in_logs = count_secrets([out, err, *read_logs(home)], [dags.SECRET_ENV, secret_key])
        counts.orphan_processes = count_orphans(home, settle=2.0)
        counts.notes.append(f"{proxy.requests} requests, faults {dict(proxy.faults)}")
    finally:
        proxy.stop()
        counts.save()

    assert run.state == "success"
    assert counts.task_failures == 0
    assert proxy.faults["lost"] >= 2  # both creates were answered only after a lost response
    assert counts.jobs_created == 6, "one tuning job, 4 trials, one training job: nothing duplicated"
    assert counts.jobs_lost == 0
    assert counts.secrets_in_logs == 0
    assert counts.orphan_processes == 0
