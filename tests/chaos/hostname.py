"""``[core] hostname_callable`` for the components of a test's Airflow: the name the test gave
the process (``SM_CHAOS_COMPONENT``), so that two triggerers on one machine tell apart in the
``job`` table. Imported by Airflow from ``tests.chaos.hostname.component``; nothing else here.
"""

from __future__ import annotations

import os
import socket


def component() -> str:
    return os.environ.get("SM_CHAOS_COMPONENT") or socket.getfqdn()
