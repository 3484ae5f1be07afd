from __future__ import annotations

import importlib
import importlib.metadata

from airflow_sm_provider.get_provider_info import get_provider_info


def _import(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_entry_point_is_registered():
    points = importlib.metadata.entry_points(group="apache_airflow_provider")
    assert any(p.value == "airflow_sm_provider.get_provider_info:get_provider_info" for p in points)


def test_every_listed_module_and_class_imports():
    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for path in info["extra-links"]:
        assert _import(path).name
    for plugin in info["plugins"]:
        assert _import(plugin["plugin-class"]).name == plugin["name"]


def test_provider_info_validates_against_airflows_schema():
    import json
    from pathlib import Path

    import airflow
    import jsonschema

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)
