"""The local backend is its own program: it never loads Airflow, and the provider never loads it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import airflow_sm_provider

PACKAGE = Path(airflow_sm_provider.__file__).parent


def test_importing_and_starting_the_backend_loads_no_airflow(tmp_path):
    code = (
        "import sys\n"
        "import airflow_sm_provider.local.__main__\n"
        "from airflow_sm_provider.local.server import LocalServer\n"
        f"with LocalServer(home={str(tmp_path)!r}, port=0) as server:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_no_module_under_local_imports_airflow():
    for path in (PACKAGE / "local").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            assert not stripped.startswith(
                ("import airflow ", "from airflow ", "from airflow.", "import airflow.")
            ), f"{path}: {stripped}"


def test_the_provider_does_not_import_the_local_backend():
    for path in PACKAGE.rglob("*.py"):
        if "local" in path.relative_to(PACKAGE).parts:
            continue
        for line in path.read_text().splitlines():
            stripped = line.strip()
            assert not stripped.startswith(
                ("import airflow_sm_provider.local", "from airflow_sm_provider.local")
            ), f"{path}: {stripped}"
