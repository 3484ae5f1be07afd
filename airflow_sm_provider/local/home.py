"""The backend's home directory is private: the directory 0700, its state and secrets 0600.

The home holds what a local user must not read or change: the generated credentials, every
job's ``Environment`` in ``state.db``, and the code jobs run. Modes are set on every start, so a
home created by an older version (or by hand) is tightened too.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def prepare(home: Path) -> Path:
    """Create ``home`` if missing and make it accessible to this user only."""
    home.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(home, DIRECTORY_MODE)
    return home


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing (never readable by others, not even briefly), mode 0600."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path
