"""The local backend is its own program: it never loads Airflow, and the provider never loads it.

The static checks read every import statement of the package with ``ast`` (function-level and
``TYPE_CHECKING`` imports included, relative imports resolved), so an import spelled across lines,
after a ``;`` or as ``from airflow_sm_provider import local`` is seen as well.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import airflow_sm_provider

PACKAGE = Path(airflow_sm_provider.__file__).parent
LOCAL = "airflow_sm_provider.local"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every module an import statement of ``path`` names."""
    return _imports_in(path.read_text(), _module_name(path), is_package=path.name == "__init__.py")


def _imports_in(source: str, module: str, *, is_package: bool) -> Iterator[tuple[int, str]]:
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield node.lineno, base
            yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def test_the_import_reader_sees_every_spelling():
    source = (
        "import os; import airflow\n"
        "def f():\n    from airflow.sdk import DAG\n"
        "from airflow_sm_provider import local\n"
        "from .. import listing\n"
    )
    found = {module for _, module in _imports_in(source, f"{LOCAL}.tuning.sample", is_package=False)}
    assert {"airflow", "airflow.sdk", LOCAL, f"{LOCAL}.listing"} <= found


def test_no_module_under_local_imports_airflow():
    offenders = [
        f"{path}:{line}: {module}"
        for path in _modules(PACKAGE / "local")
        for line, module in _imports(path)
        if _is_within(module, "airflow")
    ]
    assert not offenders, offenders


def test_the_provider_does_not_import_the_local_backend():
    offenders = [
        f"{path}:{line}: {module}"
        for path in _modules(PACKAGE)
        if "local" not in path.relative_to(PACKAGE).parts
        for line, module in _imports(path)
        if _is_within(module, LOCAL)
    ]
    assert not offenders, offenders


def test_importing_and_starting_the_backend_loads_no_airflow(tmp_path):
    code = (
        "import sys\n"
        "import airflow_sm_provider.local.__main__\n"
        "from airflow_sm_provider.local.server import LocalServer\n"
        f"with LocalServer(home={str(tmp_path)!r}, port=0) as server:\n"
        "    server.backend.tuning\n"
        "loaded = sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
