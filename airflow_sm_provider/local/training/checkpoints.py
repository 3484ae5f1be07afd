"""``CheckpointConfig``: the checkpoint directory kept in step with ``S3Uri`` while a job runs.

SageMaker restores ``S3Uri`` into ``LocalPath`` before the script starts and then uploads new
and changed files continuously, so a job that fails, is stopped or loses its spot instance
keeps what it wrote. Here a thread scans the directory every ``interval`` seconds and uploads
each file whose size or modification time changed since its last upload; ``flush()`` does a
last scan when the run ends, whatever the reason. Files are never deleted from ``S3Uri``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from airflow_sm_provider.local.training import storage

log = logging.getLogger(__name__)

SYNC_INTERVAL = 1.0


class CheckpointSync:
    """Uploads ``local`` to ``uri`` in the background; ``flush()`` stops and syncs a last time.

    :param local: the host's checkpoint directory.
    :param uri: ``CheckpointConfig.S3Uri``.
    :param job: the job's name, for log messages.
    """

    def __init__(self, local: Path, uri: str, job: str, interval: float = SYNC_INTERVAL) -> None:
        self.local = local
        self.uri = uri
        self.job = job
        self.interval = interval
        self._seen: dict[str, tuple[int, int]] = {}
        self._done = threading.Event()
        self._lock = threading.Lock()  # one scan at a time: the thread's and flush()'s
        self._thread = threading.Thread(target=self._loop, name=f"checkpoints-{job}", daemon=True)

    def mark_restored(self) -> None:
        """Files present now came from ``uri``: they need no upload until they change."""
        self._seen = self._state()

    def start(self) -> None:
        self._thread.start()

    def flush(self) -> None:
        """Stop the background scans and upload whatever changed since the last one."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        self.sync()

    def _loop(self) -> None:
        while not self._done.wait(self.interval):
            self.sync()

    def _state(self) -> dict[str, tuple[int, int]]:
        state = {}
        for path in self.local.rglob("*"):
            try:
                if path.is_file() and not path.is_symlink():
                    stat = path.stat()
                    state[path.relative_to(self.local).as_posix()] = (stat.st_size, stat.st_mtime_ns)
            except OSError:  # removed while we looked
                continue
        return state

    def sync(self) -> None:
        """Upload every file that is new or changed since its last upload."""
        with self._lock:
            for relative, signature in sorted(self._state().items()):
                if self._seen.get(relative) == signature:
                    continue
                try:
                    storage.upload_file(self.local / relative, storage.join(self.uri, relative))
                except storage.StorageError as err:
                    log.warning("training job %s: checkpoint not synced: %s", self.job, err)
                    continue
                self._seen[relative] = signature
