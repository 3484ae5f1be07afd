"""Hyperparameters that look like AWS credentials.

SageMaker's API reference for CreateTrainingJob and CreateHyperParameterTuningJob says not to put
security-sensitive information (account access IDs, secrets, tokens) in hyperparameters, and that
it rejects a request when it detects credentials there. Hyperparameters are stored in the job
description, shown in the console and copied into every training job of a tuning job, so this
provider refuses them before the request leaves the worker. The rule, deliberately narrow so that
ordinary hyperparameters (``max_tokens``, ``token_budget``) pass:

1. any value containing an AWS access key id (``AKIA`` or ``ASIA`` followed by 16 upper-case
   letters or digits) is refused, whatever the key;
2. a non-empty value under a key that names an AWS credential (``aws_access_key_id``,
   ``aws_secret_access_key``, ``aws_session_token``, any case, ``-`` or ``_``) is refused;
3. under a key that names a secret (containing ``secret``, ``password``, ``passwd``, ``token``,
   ``credential``, ``private_key``, ``api_key`` or ``apikey``), a value shaped like a secret
   access key or session token is refused: 40 or more characters of the base64 alphabet mixing
   upper case, lower case and digits.

Callers report the key, never the value.
"""

from __future__ import annotations

import re

_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_AWS_CREDENTIAL_KEYS = frozenset(
    {"awsaccesskeyid", "awssecretaccesskey", "awssessiontoken", "awssecuritytoken"}
)
_SECRET_KEY_WORDS = re.compile(
    r"secret|password|passwd|token|credential|private_?key|api_?key", re.IGNORECASE
)
_SECRET_SHAPED = re.compile(r"[A-Za-z0-9/+=]{40,}")

RULE = (
    "looks like an AWS credential; SageMaker rejects credentials in hyperparameters "
    "(pass secrets through an IAM role or a secret store instead)"
)


def looks_like_credential(key: str, value: object) -> bool:
    """Whether the hyperparameter ``key`` = ``value`` falls under the rule in this module's docstring."""
    if not isinstance(value, str) or not value:
        return False
    if _ACCESS_KEY_ID.search(value):
        return True
    folded = re.sub(r"[-_ .]", "", key).lower()
    if folded in _AWS_CREDENTIAL_KEYS:
        return True
    return bool(_SECRET_KEY_WORDS.search(key)) and _is_secret_shaped(value.strip())


def _is_secret_shaped(value: str) -> bool:
    return (
        _SECRET_SHAPED.fullmatch(value) is not None
        and any(char.isupper() for char in value)
        and any(char.islower() for char in value)
        and any(char.isdigit() for char in value)
    )
