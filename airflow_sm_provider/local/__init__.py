"""An embedded, SageMaker-compatible backend: real training processes behind the SageMaker API.

Run it with ``python -m airflow_sm_provider.local serve --port 8080 --home ./.sagemaker-local``
or in-process with :class:`airflow_sm_provider.local.server.LocalServer`. It never imports
Airflow, and the provider never imports it: they talk over HTTP like any SageMaker client.
"""

from __future__ import annotations

__all__ = ["LocalServer"]


def __getattr__(name: str) -> object:
    # lazy, so ``python -m airflow_sm_provider.local logs`` does not load botocore's model
    if name == "LocalServer":
        from airflow_sm_provider.local.server import LocalServer

        return LocalServer
    raise AttributeError(name)
