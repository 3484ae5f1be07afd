"""CloudWatch Logs' errors.

Each carries the code botocore maps to its ``logs`` client's exceptions::

    LocalServiceError
     ├── LogResourceNotFound      ResourceNotFoundException, 400 (no such group or stream)
     └── InvalidParameter         InvalidParameterException, 400 (a bad token, a refused combination)
"""

from __future__ import annotations

from airflow_sm_provider.local.errors import LocalServiceError


class LogResourceNotFound(LocalServiceError):
    code = "ResourceNotFoundException"
    status = 400


class InvalidParameter(LocalServiceError):
    code = "InvalidParameterException"
    status = 400
