"""dags/: the DAG files Airflow parses, and what each of them may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[3] / "dags"
# Every .py file at the top of dags/ is a DAG file; everything below it is shared code.
DAG_FILES = sorted(path.name for path in DAGS.glob("*.py"))


# Airflow 3.3 compiles glob patterns with pathspec's deprecated GitWildMatchPattern: its warning.
@pytest.mark.filterwarnings("ignore:GitWildMatchPattern:DeprecationWarning")
@pytest.mark.parametrize("syntax", ["glob", "regexp"])
def test_airflowignore_leaves_only_the_dag_files_to_parse(monkeypatch, syntax: str) -> None:
    from airflow.utils.file import list_py_file_paths

    monkeypatch.setenv("AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX", syntax)
    # safe_mode off: the ignore file alone keeps retraining/ out, whatever its files mention.
    found = list_py_file_paths(DAGS, safe_mode=False)
    assert sorted(Path(path).relative_to(DAGS).as_posix() for path in found) == DAG_FILES


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def local_modules(path: Path) -> set[str]:
    """The modules ``path`` imports from dags/ itself (a DAG file or the shared package)."""
    return {
        module
        for module in imported_modules(path)
        if (DAGS / module.split(".")[0]).is_dir() or (DAGS / f"{module.split('.')[0]}.py").is_file()
    }


@pytest.mark.parametrize("name", DAG_FILES)
def test_a_dag_file_imports_the_shared_package_and_no_other_dag_file(name: str) -> None:
    local = local_modules(DAGS / name)
    assert local and {module.split(".")[0] for module in local} == {"retraining"}, local
    assert "copy" not in imported_modules(DAGS / name)  # configs are specs, not patched deep copies


@pytest.mark.parametrize("module", ["config.py", "data.py"])
def test_the_variables_and_the_data_code_import_no_airflow(module: str) -> None:
    # scripts/demo.py imports config before it sets AIRFLOW_HOME (importing Airflow would read
    # the wrong configuration); data.py is plain Python, unit-tested without Airflow.
    imported = {m.split(".")[0] for m in imported_modules(DAGS / "retraining" / module)}
    assert imported & {"airflow", "airflow_sm_provider", "pendulum"} == set()
