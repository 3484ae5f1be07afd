"""Whether a SageMaker endpoint URL is AWS or something else (such as the local backend).

The answer decides one validation rule: ``file://`` URIs in S3 URI fields are the local
backend's stand-in for ``s3://`` and are refused for AWS. AWS's endpoints are recognised by the
DNS suffixes of botocore's own partitions (``amazonaws.com``, ``api.aws``, ``amazonaws.com.cn``
and the isolated regions), so a VPC endpoint or a FIPS endpoint counts as AWS, and an endpoint
botocore would resolve by itself (``None``) is AWS too.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit


def is_aws_endpoint(endpoint_url: str | None) -> bool:
    """True unless ``endpoint_url`` is set and its host is outside every AWS partition."""
    if not endpoint_url:
        return True
    host = (urlsplit(endpoint_url if "//" in endpoint_url else f"//{endpoint_url}").hostname or "").lower()
    return any(host == suffix or host.endswith(f".{suffix}") for suffix in _aws_dns_suffixes())


@functools.cache
def _aws_dns_suffixes() -> frozenset[str]:
    import botocore.session

    partitions = botocore.session.get_session().get_data("partitions")["partitions"]
    return frozenset(
        suffix
        for partition in partitions
        for key in ("dnsSuffix", "dualStackDnsSuffix")
        if (suffix := partition["outputs"].get(key))
    )
