"""A small time-bounded cache that loads each key at most once at a time (single flight).

Ten browser tabs on one running tuning job ask for the same job every few seconds; the first
request of an interval reads SageMaker, the others wait for that read and share it. A value
says how long it stays fresh (a finished job longer than a running one), so the loader returns
``(value, ttl_seconds)``. A loader's exception is not cached: the next request tries again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SingleFlightCache(Generic[V]):
    """Thread-safe cache of up to ``max_entries`` values, each fresh for the TTL its loader gave.

    :param max_entries: Least recently used entries beyond this are dropped.
    :param clock: Monotonic seconds (injectable for tests).
    """

    def __init__(self, max_entries: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, loader: Callable[[], tuple[V, float]]) -> V:
        """The fresh value for ``key``, calling ``loader`` only if there is none."""
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh[0]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            # whoever held the lock before us may have loaded it meanwhile
            fresh = self._fresh(key)
            if fresh is not None:
                return fresh[0]
            value, ttl = loader()
            with self._lock:
                self._entries[key] = (self._clock() + ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max_entries:
                    dropped, _ = self._entries.popitem(last=False)
                    self._key_locks.pop(dropped, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._key_locks.clear()

    def _fresh(self, key: Hashable) -> tuple[V] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                return None
            self._entries.move_to_end(key)
            return (entry[1],)
