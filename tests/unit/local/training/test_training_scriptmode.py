"""The script-mode container contract rendered on local disk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from airflow_sm_provider.local.errors import ValidationError
from airflow_sm_provider.local.training import scriptmode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"train.py"', "train.py"),
        ("train.py", "train.py"),
        ("0.1", "0.1"),
        ('"a b"', "a b"),
        ("[1, 2]", "[1, 2]"),
    ],
)
def test_unquote_accepts_sdk_and_hand_written_values(raw, expected):
    assert scriptmode.unquote(raw) == expected


def test_decode_is_the_toolkits_view():
    assert [scriptmode.decode(v) for v in ("0.1", "3", "true", '"x"', "x")] == [0.1, 3, True, "x", "x"]


def _request(**extra):
    return {
        "HyperParameters": {
            "sagemaker_program": '"fit.py"',
            "sagemaker_submit_directory": '"file:///code"',
            "epochs": "10",
            "name": '"resnet"',
        },
        "InputDataConfig": [
            {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3Uri": "file:///v"}}},
            {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "file:///t"}}},
        ],
        "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 1},
        **extra,
    }


def test_command_argv_and_environment(tmp_path: Path):
    layout = scriptmode.Layout(tmp_path)
    command = scriptmode.command(layout, _request(Environment={"SM_LOG_LEVEL": "10"}), "j", "arn:j")

    assert command.argv == [sys.executable, "fit.py", "--epochs", "10", "--name", "resnet"]  # sorted
    assert command.cwd == tmp_path / "code"
    env = command.env
    assert json.loads(env["SM_CHANNELS"]) == ["train", "validation"]
    assert env["SM_CHANNEL_VALIDATION"] == str(tmp_path / "input" / "data" / "validation")
    assert json.loads(env["SM_HPS"]) == {"epochs": 10, "name": "resnet"}
    assert env["SM_HP_EPOCHS"] == "10" and env["SM_HP_NAME"] == "resnet"
    assert env["SM_MODULE_DIR"] == "file:///code" and env["SM_MODULE_NAME"] == "fit"
    assert env["SM_LOG_LEVEL"] == "10"  # the request's Environment wins
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "sagemaker_program" not in env["SM_USER_ARGS"]


def test_arguments_are_sorted_and_rendered_like_the_toolkit(tmp_path: Path):
    request = _request()
    request["HyperParameters"] = {"zeta": "1e-3", "alpha": "true", "mid": '{"b": 2, "a": 1}', "none": "null"}

    command = scriptmode.command(scriptmode.Layout(tmp_path), request, "j", "a")

    assert command.argv[2:] == ["--alpha", "True", "--mid", "a=1,b=2", "--none", "", "--zeta", "0.001"]
    assert command.env["SM_HP_MID"] == '{"a":1,"b":2}'


def test_reserved_hyperparameters_never_reach_the_script(tmp_path: Path):
    request = _request()
    request["HyperParameters"]["_tuning_objective_metric"] = '"loss"'
    request["HyperParameters"]["sagemaker_container_log_level"] = "20"

    command = scriptmode.command(scriptmode.Layout(tmp_path), request, "j", "a")

    assert command.argv[2:] == ["--epochs", "10", "--name", "resnet"]
    assert "_tuning_objective_metric" not in command.env["SM_HPS"]


def test_shell_entry_points_run_with_sh(tmp_path: Path):
    request = _request()
    request["HyperParameters"]["sagemaker_program"] = "run.sh"
    assert scriptmode.command(scriptmode.Layout(tmp_path), request, "j", "a").argv[:2] == [
        "/bin/sh",
        "run.sh",
    ]


def test_config_files(tmp_path: Path):
    layout = scriptmode.Layout(tmp_path)
    request = _request()
    layout.make(request)
    scriptmode.write_config(layout, request)

    assert json.loads((layout.config / "hyperparameters.json").read_text()) == request["HyperParameters"]
    resources = json.loads((layout.config / "resourceconfig.json").read_text())
    assert resources["current_host"] == "algo-1" and resources["current_instance_type"] == "ml.c5.xlarge"
    channels = json.loads((layout.config / "inputdataconfig.json").read_text())
    assert channels["train"]["TrainingInputMode"] == "File"
    for path in (layout.model, layout.output_data, layout.data, layout.root / "checkpoints"):
        assert path.is_dir()


def test_checkpoint_local_path_under_opt_ml_maps_into_the_job_dir(tmp_path: Path):
    layout = scriptmode.Layout(tmp_path)
    assert layout.checkpoints({}) == tmp_path / "checkpoints"
    assert layout.checkpoints({"CheckpointConfig": {"LocalPath": "/opt/ml/ckpt"}}) == tmp_path / "ckpt"
    # any other path also stays inside the job's directory: a request never names a host path
    assert (
        layout.checkpoints({"CheckpointConfig": {"LocalPath": "/data/ckpt"}})
        == tmp_path / "fs" / "data" / "ckpt"
    )


@pytest.mark.parametrize("local", ["/opt/ml/../../etc", "../x", "/a/../../b"])
def test_checkpoint_local_path_climbing_out_is_refused(tmp_path: Path, local: str):
    with pytest.raises(ValidationError):
        scriptmode.Layout(tmp_path).checkpoints({"CheckpointConfig": {"LocalPath": local}})


def test_sagemaker_program_must_be_a_file_of_the_submitted_code(tmp_path: Path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("")
    (tmp_path / "outside.py").write_text("")
    (code / "link.py").symlink_to(tmp_path / "outside.py")

    assert scriptmode.inside(code, "train.py")
    assert not scriptmode.inside(code, "../outside.py")
    assert not scriptmode.inside(code, "link.py")
    assert not scriptmode.inside(code, "/etc/passwd")
