"""dags/retraining/config.py is the one source of the Variables: README, DAGs and scripts agree."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
from retraining import config

REPO = Path(__file__).resolve().parents[3]
README_SECTION = "## The retraining pipeline on AWS"


def render(template: str, variables: dict[str, str]) -> str:
    # Airflow's ``var.value`` offers ``get(key, default)`` like a dict.
    return jinja2.Template(template).render(var=SimpleNamespace(value=variables))


def readme_table() -> list[str]:
    text = (REPO / "README.md").read_text()
    assert README_SECTION in text
    section = text.split(README_SECTION, 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def test_the_readme_table_is_the_config_exactly() -> None:
    expected = config.markdown_table()
    assert readme_table() == expected.splitlines(), f"README's table should read:\n{expected}"


def test_var_falls_back_to_the_local_default() -> None:
    assert render(config.var("data_uri"), {}) == "file:///tmp/sm-retraining/data"
    assert render(config.var("max_trials"), {}) == "8"


def test_var_reads_the_variable_when_it_is_set() -> None:
    assert render(config.var("data_uri"), {"sm_retraining_data_uri": "s3://b/d"}) == "s3://b/d"


def test_names_and_environment_names_follow_the_prefix() -> None:
    assert config.name("role_arn") == "sm_retraining_role_arn"
    assert config.env_name("role_arn") == "AIRFLOW_VAR_SM_RETRAINING_ROLE_ARN"
    assert list(config.LOCAL_DEFAULTS) == [v.key for v in config.VARIABLES]
    assert len(set(config.LOCAL_DEFAULTS)) == len(config.VARIABLES)


@pytest.mark.parametrize("call", [config.var, config.name, config.env_name])
def test_an_unknown_variable_is_refused_at_parse_time(call) -> None:
    with pytest.raises(KeyError, match="data_url"):
        call("data_url")


def variables_read_by_dag_files() -> set[str]:
    keys = set()
    for path in (REPO / "dags").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "var":
                keys.add(node.args[0].value)
    return keys


def test_every_variable_listed_is_read_by_a_dag_and_no_other() -> None:
    assert variables_read_by_dag_files() == set(config.LOCAL_DEFAULTS)


def files_naming_variables() -> list[Path]:
    patterns = ["README.md", "docs/**/*.md", "docker/*", "scripts/*", "dags/**/*.py"]
    return sorted({path for pattern in patterns for path in REPO.glob(pattern) if path.is_file()})


def test_every_variable_named_in_docs_scripts_docker_and_dags_is_listed() -> None:
    mentions = {
        (path.relative_to(REPO).as_posix(), match.lower())
        for path in files_naming_variables()
        for match in re.findall(r"(?i)sm_retraining_([a-z_]+)", path.read_text())
    }
    assert mentions, "the scan found nothing: the patterns are wrong"
    assert [(path, key) for path, key in sorted(mentions) if key not in config.LOCAL_DEFAULTS] == []
