"""Training jobs run as real processes under SageMaker's script-mode contract."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from sm_local_helpers import wait_until

pytestmark = pytest.mark.integration

LOSS = [{"Name": "loss", "Regex": r"loss=([0-9.eE+-]+)"}, {"Name": "acc", "Regex": r"acc: ([0-9.]+)"}]

SUCCESS = """
import os, sys
for epoch, loss in enumerate([0.9, 0.5, 0.25]):
    print(f"epoch={epoch} loss={loss}")
print("acc: 0.75", file=sys.stderr)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
    f.write("weights")
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.txt"), "w") as f:
    f.write("report")
"""


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_successful_job_packs_model_and_reports_final_metrics(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    request = training_request(scripts.write(SUCCESS), name="ok", metrics=LOSS)
    arn = sm_client.create_training_job(**request)["TrainingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:training-job/ok"

    job = wait_for_status("ok")

    assert job["TrainingJobStatus"] == "Completed"
    assert job["SecondaryStatus"] == "Completed"
    model = tmp_path / "output" / "ok" / "output" / "model.tar.gz"
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"file://{model}"
    assert _members(model) == {"model.txt": b"weights"}
    assert _members(model.with_name("output.tar.gz")) == {"report.txt": b"report"}
    final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert final == {"loss": 0.25, "acc": 0.75}
    statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert all("EndTime" in t for t in job["SecondaryStatusTransitions"])
    assert job["TrainingStartTime"] <= job["TrainingEndTime"]
    assert job["TrainingTimeInSeconds"] >= 1 and job["BillableTimeInSeconds"] >= 1
    assert job["HyperParameters"] == request["HyperParameters"]
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 60}


def test_failure_reason_is_the_content_of_output_failure(
    sm_client, scripts, training_request, wait_for_status
):
    code = scripts.write("""
        import os, sys
        with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
            f.write("data had no rows")
        sys.exit(3)
    """)
    sm_client.create_training_job(**training_request(code, name="fails-clearly"))

    job = wait_for_status("fails-clearly")

    assert job["TrainingJobStatus"] == "Failed"
    assert job["SecondaryStatus"] == "Failed"
    assert job["FailureReason"] == "AlgorithmError: data had no rows"
    assert "TrainingEndTime" in job


def test_failure_without_failure_file_reports_last_stderr_lines(
    sm_client, scripts, training_request, wait_for_status
):
    code = scripts.write("""
        import sys
        print("x" * 3000, file=sys.stderr)
        raise ValueError("learning rate must be positive")
    """)
    sm_client.create_training_job(**training_request(code, name="crashes"))

    job = wait_for_status("crashes")

    assert job["TrainingJobStatus"] == "Failed"
    reason = job["FailureReason"]
    assert reason.startswith("AlgorithmError: ExecuteUserScriptError: ExitCode 1")
    assert "ValueError: learning rate must be positive" in reason
    assert len(reason) <= 1024


def test_max_runtime_stops_the_job_as_max_runtime_exceeded(
    sm_client, scripts, training_request, wait_for_status
):
    code = scripts.write("""
        import signal, sys, time
        def on_term(*_):
            print("got SIGTERM, saving", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, on_term)
        print("loss=1.0", flush=True)
        time.sleep(60)
    """)
    sm_client.create_training_job(**training_request(code, name="too-slow", max_runtime=1, metrics=LOSS))

    job = wait_for_status("too-slow", timeout=15)

    assert job["TrainingJobStatus"] == "Stopped"
    assert job["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]][-1] == "MaxRuntimeExceeded"
    assert job["FinalMetricDataList"][0]["Value"] == 1.0


def test_stop_training_job_kills_a_process_that_ignores_sigterm(
    sm_client, scripts, training_request, wait_for_status, local_server
):
    code = scripts.write("""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("started", flush=True)
        time.sleep(60)
    """)
    sm_client.create_training_job(**training_request(code, name="stubborn"))
    log = local_server.backend.training.log_path("stubborn")
    wait_until(lambda: log.is_file() and "started" in log.read_text())

    sm_client.stop_training_job(TrainingJobName="stubborn")
    assert sm_client.describe_training_job(TrainingJobName="stubborn")["TrainingJobStatus"] in {
        "Stopping",
        "Stopped",
    }
    job = wait_for_status("stubborn", timeout=10)

    assert job["TrainingJobStatus"] == "Stopped"
    assert job["SecondaryStatus"] == "Stopped"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    with pytest.raises(sm_client.exceptions.ClientError, match="status Stopped"):
        sm_client.stop_training_job(TrainingJobName="stubborn")


def test_script_receives_the_sagemaker_environment_and_arguments(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    data = tmp_path / "data" / "train"
    data.mkdir(parents=True)
    (data / "rows.csv").write_text("1,2\n")
    code = scripts.write("""
        import json, os, sys
        keys = [k for k in os.environ if k.startswith(("SM_", "TRAINING_JOB_", "MY_"))]
        config = lambda name: json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], name)))
        report = {"argv": sys.argv[1:], "cwd": os.getcwd(), "env": {k: os.environ[k] for k in keys},
                  "data": os.listdir(os.environ["SM_CHANNEL_TRAIN"]),
                  "hps": config("hyperparameters.json"),
                  "resources": config("resourceconfig.json"),
                  "channels": config("inputdataconfig.json")}
        json.dump(report, open(os.path.join(os.environ["SM_MODEL_DIR"], "report.json"), "w"))
    """)
    request = training_request(
        code,
        name="contract",
        program="train.py",
        hyperparameters={"lr": "0.01", "layers": "3", "optimizer": '"adam"'},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{data}"}},
            }
        ],
        Environment={"MY_FLAG": "on"},
    )
    sm_client.create_training_job(**request)
    assert wait_for_status("contract")["TrainingJobStatus"] == "Completed"
    job_dir = tmp_path / "home" / "jobs" / "contract"
    report = json.loads((job_dir / "model" / "report.json").read_text())

    # sorted by name, as the toolkit passes them
    assert report["argv"] == ["--layers", "3", "--lr", "0.01", "--optimizer", "adam"]
    assert report["cwd"] == str(job_dir / "code")
    assert report["data"] == ["rows.csv"]
    env = report["env"]
    assert env["SM_MODEL_DIR"] == str(job_dir / "model")
    assert env["SM_CHANNEL_TRAIN"] == str(job_dir / "input" / "data" / "train")
    assert json.loads(env["SM_CHANNELS"]) == ["train"]
    assert json.loads(env["SM_HPS"]) == {"lr": 0.01, "layers": 3, "optimizer": "adam"}
    assert env["SM_HP_LR"] == "0.01" and env["SM_HP_OPTIMIZER"] == "adam"
    assert env["SM_CURRENT_HOST"] == "algo-1" and json.loads(env["SM_HOSTS"]) == ["algo-1"]
    assert env["SM_OUTPUT_DATA_DIR"] == str(job_dir / "output" / "data")
    assert env["SM_MODULE_NAME"] == "train" and int(env["SM_NUM_CPUS"]) >= 1 and env["SM_NUM_GPUS"] == "0"
    assert json.loads(env["SM_USER_ARGS"]) == report["argv"]
    assert json.loads(env["SM_TRAINING_ENV"])["job_name"] == "contract"
    assert env["TRAINING_JOB_NAME"] == "contract"
    assert env["TRAINING_JOB_ARN"].endswith(":training-job/contract")
    assert env["MY_FLAG"] == "on"
    assert report["hps"] == request["HyperParameters"]
    assert report["resources"]["current_host"] == "algo-1"
    assert report["channels"]["train"]["TrainingInputMode"] == "File"


def test_unquoted_hyperparameters_and_tar_gz_submit_directory(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    source = tmp_path / "src"
    source.mkdir()
    (source / "entry.py").write_text("import helper\nprint(f'loss={helper.VALUE}')\n")
    (source / "helper.py").write_text("VALUE = 0.125\n")
    archive = tmp_path / "sourcedir.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in source.iterdir():
            tar.add(path, arcname=path.name)
    request = training_request("unused", name="tarred", metrics=LOSS)
    request["HyperParameters"] = {
        "sagemaker_program": "entry.py",
        "sagemaker_submit_directory": f"file://{archive}",
    }
    sm_client.create_training_job(**request)

    job = wait_for_status("tarred")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["FinalMetricDataList"][0]["Value"] == 0.125


def test_image_only_job_fails_with_a_clear_reason(sm_client, training_request, wait_for_status):
    request = training_request("unused", name="image-only")
    request["HyperParameters"] = {"epochs": "3"}
    sm_client.create_training_job(**request)

    job = wait_for_status("image-only")

    assert job["TrainingJobStatus"] == "Failed"
    assert "sagemaker_program" in job["FailureReason"]
    assert "container images" in job["FailureReason"]


def test_missing_input_data_fails_the_job_in_downloading(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    request = training_request(
        scripts.write("print('never')"),
        name="no-data",
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"file://{tmp_path}/missing"}
                },
            }
        ],
    )
    sm_client.create_training_job(**request)

    job = wait_for_status("no-data")

    assert job["TrainingJobStatus"] == "Failed"
    assert "missing" in job["FailureReason"]
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]][-2:] == ["Downloading", "Failed"]


def test_checkpoints_are_synced_from_and_to_the_checkpoint_uri(
    sm_client, scripts, training_request, wait_for_status, tmp_path
):
    checkpoints = tmp_path / "ckpt"
    checkpoints.mkdir()
    (checkpoints / "epoch-1.txt").write_text("1")
    code = scripts.write("""
        import os
        ckpt = os.environ["SM_CHECKPOINT_DIR"]
        seen = sorted(os.listdir(ckpt))
        open(os.path.join(ckpt, "epoch-2.txt"), "w").write(",".join(seen))
    """)
    sm_client.create_training_job(
        **training_request(code, name="resumes", CheckpointConfig={"S3Uri": f"file://{checkpoints}"})
    )

    assert wait_for_status("resumes")["TrainingJobStatus"] == "Completed"
    assert (checkpoints / "epoch-2.txt").read_text() == "epoch-1.txt"


def test_logs_are_kept_per_job(sm_client, scripts, training_request, wait_for_status, local_server):
    code = scripts.write("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n")
    sm_client.create_training_job(**training_request(code, name="chatty"))
    wait_for_status("chatty")

    path = local_server.backend.training.log_path("chatty")
    text = path.read_text()
    training = sm_client.describe_training_job(TrainingJobName="chatty")["SecondaryStatusTransitions"][2]

    assert "to stdout" in text and "to stderr" in text
    assert training["Status"] == "Training"
    assert str(path) in training["StatusMessage"]
