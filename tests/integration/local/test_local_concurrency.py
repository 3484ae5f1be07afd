"""Many pollers at once neither fail nor hold up the job they watch."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from sm_local_helpers import make_client

pytestmark = pytest.mark.integration

SCRIPT = """
import time
for step in range(10):
    print(f"step={step} loss={1.0 / (step + 1)}", flush=True)
    time.sleep(0.03)
"""


def test_hundreds_of_concurrent_describes_while_a_job_runs(
    local_server, sm_client, scripts, training_request, wait_for_status
):
    request = training_request(
        scripts.write(SCRIPT), name="polled", metrics=[{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]
    )
    clients = [make_client(local_server) for _ in range(30)]
    statuses: list[str] = []
    errors: list[Exception] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)

    def poll(client) -> None:
        start.wait()
        for _ in range(10):
            try:
                status = client.describe_training_job(TrainingJobName="polled")["TrainingJobStatus"]
            except (BotoCoreError, ClientError) as err:  # collected and asserted below
                with lock:
                    errors.append(err)
                return
            with lock:
                statuses.append(status)

    sm_client.create_training_job(**request)
    threads = [threading.Thread(target=poll, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - began

    job = wait_for_status("polled")
    assert errors == []
    assert len(statuses) == 300
    assert job["TrainingJobStatus"] == "Completed"
    assert job["FinalMetricDataList"][0]["Value"] == pytest.approx(0.1)
    assert local_server.backend.training.intermediate_metrics("polled", "loss") == pytest.approx(
        [1.0 / (s + 1) for s in range(10)]
    )
    assert elapsed < 30, f"300 describes took {elapsed:.1f}s"
    running = (job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds()
    assert running < 5, f"job took {running:.1f}s under load"
