"""Pipe input mode: a channel streamed through named pipes, one per epoch, as SageMaker does.

For a channel ``train`` in Pipe mode the script reads ``/opt/ml/input/data/train_0`` to its end
(or closes it early), then ``train_1`` for the next epoch, and so on. Each pipe carries every
object of the channel back to back in key order: gunzipped when the channel's
``CompressionType`` is Gzip, each wrapped in a RecordIO record when its ``RecordWrapperType``
is RecordIO. The objects are downloaded first (to ``input/pipes/<channel>``, outside the data
directory); a feeder thread per channel writes the pipes while the script runs, creating the
next epoch's pipe as soon as the script opens one, and ends with the run.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import logging
import os
import struct
import threading
from pathlib import Path

log = logging.getLogger(__name__)

RECORDIO_MAGIC = 0xCED7230A
CHUNK = 1 << 16


def is_pipe(request: dict, channel: dict) -> bool:
    mode = channel.get("InputMode") or (request.get("AlgorithmSpecification") or {}).get("TrainingInputMode")
    return mode == "Pipe"


def recordio(payload: bytes) -> bytes:
    """One RecordIO record: magic, length, the payload padded to 4 bytes."""
    header = struct.pack("<II", RECORDIO_MAGIC, len(payload) & ((1 << 29) - 1))
    return header + payload + b"\0" * (-len(payload) % 4)


class PipeFeeder:
    """Writes ``<data>/<channel>_<epoch>`` pipes from the files under ``source`` until ``stop()``.

    :param source: the channel's downloaded objects.
    :param data: the host's ``input/data`` directory.
    :param channel: the channel's request entry (name, CompressionType, RecordWrapperType).
    """

    def __init__(self, source: Path, data: Path, channel: dict) -> None:
        self.source = source
        self.data = data
        self.name = channel["ChannelName"]
        self.gzip = channel.get("CompressionType") == "Gzip"
        self.recordio = channel.get("RecordWrapperType") == "RecordIO"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, name=f"pipe-{self.name}", daemon=True)
        self._fifo(0)  # the first epoch's pipe exists before the script starts

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _fifo(self, epoch: int) -> Path:
        path = self.data / f"{self.name}_{epoch}"
        if not path.exists():
            os.mkfifo(path, 0o600)
        return path

    def _objects(self) -> list[Path]:
        return sorted(p for p in self.source.rglob("*") if p.is_file())

    def _feed(self) -> None:
        epoch = 0
        while not self._stop.is_set():
            fd = self._open_writer(self._fifo(epoch))
            if fd is None:
                return
            self._fifo(epoch + 1)  # the next epoch's pipe exists as soon as this one is read
            try:
                with os.fdopen(fd, "wb", buffering=0) as pipe:
                    for path in self._objects():
                        payload = path.read_bytes()
                        if self.gzip:
                            payload = gzip.decompress(payload)
                        self._write(pipe, recordio(payload) if self.recordio else payload)
            except BrokenPipeError:
                pass  # the script closed the pipe early: this epoch is over
            except OSError as err:
                log.warning("pipe %s_%d: %s", self.name, epoch, err)
                return
            epoch += 1

    def _write(self, pipe: object, payload: bytes) -> None:
        for start in range(0, len(payload), CHUNK):
            if self._stop.is_set():
                raise BrokenPipeError
            pipe.write(payload[start : start + CHUNK])  # type: ignore[attr-defined]

    def _open_writer(self, path: Path) -> int | None:
        """Wait for the script to open the pipe (polling, so ``stop()`` is never blocked)."""
        while not self._stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as err:
                if err.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                self._stop.wait(0.05)
                continue
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
            return fd
        return None
