"""The fault-injection suite (``make test-chaos``): marker ``chaos``, left out of ``make test``.

Its tests run only when selected with ``-m chaos`` (``scripts/run_chaos.sh`` does); otherwise
they are deselected, so ``make test`` neither runs nor reports them. At the end of a run the
counts every scenario recorded (``chaoslib.Counts``) are printed as one table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chaos.chaoslib import COLUMNS, REPORT_ENV

# Under scripts/run_chaos.sh, each xdist worker gets a metadata DB of its own (tests/conftest.py
# gives it its own AIRFLOW_HOME, but the controller's database URL is inherited): two dag.test()
# runs, or two `airflow db migrate`, must not share one SQLite file.
if os.environ.get(REPORT_ENV) and os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("AIRFLOW_HOME"):
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
        f"sqlite:///{Path(os.environ['AIRFLOW_HOME']) / 'airflow.db'}"
    )

# dag.test() looks its DAG up in the configured bundles: the suite's DAGs are a bundle of their
# own (tests/conftest.py set the list before Airflow read its configuration; so does this).
_BUNDLES = "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"
_bundles = json.loads(os.environ.get(_BUNDLES) or "[]")
if not any(bundle["name"] == "chaos-dags" for bundle in _bundles):
    _bundles.append(
        {
            "name": "chaos-dags",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(Path(__file__).resolve().parent / "dags")},
        }
    )
    os.environ[_BUNDLES] = json.dumps(_bundles)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: fault-injection suite (make test-chaos), not in make test")


def _selected(config: pytest.Config) -> bool:
    return "chaos" in (config.getoption("markexpr", "") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _selected(config):
        # The longest cases (marker `slow`: a whole Airflow) first, so that pytest-xdist starts
        # them at once instead of handing them to a worker last, after everything else.
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
        return
    chaos = [item for item in items if item.get_closest_marker("chaos")]
    if chaos:
        config.hook.pytest_deselected(items=chaos)
        items[:] = [item for item in items if not item.get_closest_marker("chaos")]


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the session's metadata DB (SQLite under the test AIRFLOW_HOME) once."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def table(directory: Path) -> str:
    rows = [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
    if not rows:
        return ""
    headers = ("scenario", *COLUMNS)
    # a row saved before a column existed counts 0 in it
    totals = {"scenario": "TOTAL", **{c: sum(row.get(c, 0) for row in rows) for c in COLUMNS}}
    lines = [[str(row.get(h, 0)) for h in headers] for row in [*rows, totals]]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]

    def fmt(cells: list[str] | tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    out = [fmt(headers), "-+-".join("-" * w for w in widths)]
    out += [fmt(line) for line in lines[:-1]]
    out += ["-+-".join("-" * w for w in widths), fmt(lines[-1])]
    notes = [f"  {row['scenario']}: {note}" for row in rows for note in row.get("notes", [])]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    directory = os.environ.get(REPORT_ENV)
    if not directory or not _selected(config):
        return
    text = table(Path(directory))
    if text:
        terminalreporter.section("chaos counts")
        terminalreporter.write_line(text)
