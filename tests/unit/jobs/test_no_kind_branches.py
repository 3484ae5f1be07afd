"""Job kinds are data: no module outside ``airflow_sm_provider/jobs/`` may branch on which kind it has.

A module may *bind* a class to a kind (``kind = TRAINING``) or name a kind's operations, but a
comparison or a condition that involves a particular kind (``kind is TUNING``,
``kind.name == "tuning"``, ``"training" in kinds``) means the behaviour belongs on the row.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import airflow_sm_provider
from airflow_sm_provider.jobs import KINDS

PACKAGE = Path(airflow_sm_provider.__file__).parent
KIND_CONSTANTS = {name.upper() for name in KINDS}
KIND_NAMES = set(KINDS)
#: The kind modules themselves, and the local backend (a separate program with its own model).
EXEMPT = ("jobs", "local")


def provider_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in EXEMPT)


def kind_branches(source: str) -> list[str]:
    """Each comparison or condition in ``source`` that singles out a particular kind."""
    found = []
    for node in ast.walk(ast.parse(source)):
        tests: list[ast.AST] = []
        if isinstance(node, ast.Compare):
            tests.append(node)
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            tests.append(node.test)
        elif isinstance(node, ast.Match):
            tests.extend(case.pattern for case in node.cases)
        for test in tests:
            for leaf in ast.walk(test):
                named = isinstance(leaf, ast.Name) and leaf.id in KIND_CONSTANTS
                literal = isinstance(leaf, ast.Constant) and leaf.value in KIND_NAMES
                if named or literal:
                    found.append(f"line {node.lineno}: {ast.unparse(test)}")
    return found


@pytest.mark.parametrize("path", provider_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_does_not_branch_on_the_job_kind(path):
    assert kind_branches(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "if kind is TUNING:\n    pass",
        "x = a if self.kind.name == 'tuning' else b",
        "ok = info['kind'] in ('training',)",
        "while kind is not TRAINING:\n    pass",
    ],
)
def test_the_check_catches_each_way_of_branching(source):
    assert kind_branches(source)


def test_the_check_allows_binding_and_row_lookups():
    assert (
        kind_branches("kind = TRAINING\nname = KINDS[event['kind']]\nif kind.requires_best_job:\n    pass")
        == []
    )
