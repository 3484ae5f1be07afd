from __future__ import annotations

import threading

import pytest

from airflow_sm_provider.plugins.cache import SingleFlightCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_requests_for_one_key_make_one_upstream_call():
    cache: SingleFlightCache[str] = SingleFlightCache()
    started = threading.Barrier(11)  # ten requests and this test
    release = threading.Event()
    calls = []

    def loader():
        calls.append(1)
        # the read is still going on when the other requests arrive
        release.wait(timeout=10)
        return "value", 60.0

    def request():
        started.wait(timeout=10)
        results.append(cache.get("job", loader))

    results: list[str] = []
    threads = [threading.Thread(target=request) for _ in range(10)]
    for thread in threads:
        thread.start()
    started.wait(timeout=10)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["value"] * 10
    assert len(calls) == 1


def test_a_value_is_loaded_again_once_its_ttl_has_passed():
    clock = Clock()
    cache: SingleFlightCache[int] = SingleFlightCache(clock=clock)
    loads = iter(range(10))
    loader = lambda: (next(loads), 5.0)  # noqa: E731
    assert cache.get("k", loader) == 0
    clock.now = 4.9
    assert cache.get("k", loader) == 0
    clock.now = 5.0
    assert cache.get("k", loader) == 1


def test_each_value_keeps_the_ttl_its_loader_gave():
    clock = Clock()
    cache: SingleFlightCache[str] = SingleFlightCache(clock=clock)
    cache.get("running", lambda: ("a", 5.0))
    cache.get("finished", lambda: ("b", 300.0))
    clock.now = 10.0
    assert cache.get("running", lambda: ("a2", 5.0)) == "a2"
    assert cache.get("finished", lambda: ("b2", 300.0)) == "b"


def test_a_failed_load_is_not_cached():
    cache: SingleFlightCache[str] = SingleFlightCache()

    def failing():
        raise RuntimeError("throttled")

    with pytest.raises(RuntimeError):
        cache.get("k", failing)
    assert cache.get("k", lambda: ("ok", 5.0)) == "ok"


def test_least_recently_used_entries_beyond_the_limit_are_dropped():
    cache: SingleFlightCache[str] = SingleFlightCache(max_entries=2)
    cache.get("a", lambda: ("a", 60.0))
    cache.get("b", lambda: ("b", 60.0))
    cache.get("a", lambda: ("never", 60.0))  # a is now the most recent
    cache.get("c", lambda: ("c", 60.0))
    assert cache.get("a", lambda: ("a2", 60.0)) == "a"
    assert cache.get("b", lambda: ("b2", 60.0)) == "b2"
