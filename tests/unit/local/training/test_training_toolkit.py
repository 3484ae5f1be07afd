"""Hosts, groups and the documents of the training toolkit, from a request."""

from __future__ import annotations

from pathlib import Path

from airflow_sm_provider.local.training import artifacts, toolkit


def test_hosts_are_numbered_across_groups_and_sorted_numerically():
    request = {
        "ResourceConfig": {
            "InstanceGroups": [
                {"InstanceGroupName": "a", "InstanceType": "ml.m5.large", "InstanceCount": 9},
                {"InstanceGroupName": "b", "InstanceType": "ml.c5.large", "InstanceCount": 2},
            ]
        }
    }
    assert toolkit.hosts(request)[-3:] == ["algo-9", "algo-10", "algo-11"]
    assert toolkit.group_of(request, "algo-10").name == "b"
    config = toolkit.resource_config(request, "algo-10")
    assert (config["current_group_name"], config["current_instance_type"]) == ("b", "ml.c5.large")


def test_a_homogeneous_job_is_one_group_named_as_the_toolkit_expects():
    request = {"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2}}
    assert [g.name for g in toolkit.groups(request)] == ["homogeneousCluster"]
    assert toolkit.hosts(request) == ["algo-1", "algo-2"]


def test_several_hosts_models_merge_with_algo_1_winning_a_clash(tmp_path: Path):
    hosts = []
    for number in (1, 2):
        model = tmp_path / f"algo-{number}" / "model"
        model.mkdir(parents=True)
        (model / "shared.txt").write_text(f"from algo-{number}")
        (model / f"only-{number}.txt").write_text("x")
        hosts.append(model)
    request = {"OutputDataConfig": {"S3OutputPath": f"file://{tmp_path / 'out'}", "CompressionType": "NONE"}}

    artifacts.upload(request, "job", hosts, [], tmp_path / "work")

    uploaded = tmp_path / "out" / "job" / "output" / "model"
    assert (uploaded / "shared.txt").read_text() == "from algo-1"
    assert sorted(p.name for p in uploaded.iterdir()) == ["only-1.txt", "only-2.txt", "shared.txt"]
    assert artifacts.model_uri(request, "job") == f"file://{uploaded}/"
