from __future__ import annotations

import json

import pytest

from airflow_sm_provider import logtail
from airflow_sm_provider.logtail import LogCursor, TailRun


def event(i, stamp, stream="job/algo-1-1700000000", message=None):
    return {
        "eventId": f"e{i}",
        "timestamp": stamp,
        "logStreamName": stream,
        "message": message or f"line {i}",
    }


def poll(cursor, pages):
    """Run one poll over canned pages; the requests it made and the batch."""
    run, requests, answers = TailRun(cursor), [], iter(pages)
    while (request := run.next_request()) is not None:
        requests.append(request)
        run.feed(next(answers))
    return requests, run.batch


def test_lines_come_in_order_prefixed_with_their_instance_and_each_only_once():
    cursor = LogCursor("job")
    _, first = poll(cursor, [{"events": [event(2, 30_000, "job/algo-2-1700000000"), event(1, 20_000)]}])
    assert first.lines == ["[algo-1] line 1", "[algo-2] line 2"]
    # each stream reads on from its own last line (a stream not known yet: from LATE_MS before
    # the newest line); the service returns events at that very timestamp again (startTime is
    # inclusive)
    requests, second = poll(
        cursor, [{"events": [event(1, 20_000), event(2, 30_000, "job/algo-2-1700000000"), event(3, 30_000)]}]
    )
    assert requests[0]["startTime"] == 20_000 and requests[0]["logStreamNamePrefix"] == "job/"
    assert second.lines == ["[algo-1] line 3"]


def test_a_chatty_poll_shows_the_cap_and_says_how_many_lines_were_skipped(monkeypatch):
    monkeypatch.setattr(logtail, "MAX_LINES_PER_POLL", 3)
    _, batch = poll(LogCursor("job"), [{"events": [event(i, i) for i in range(10)]}])
    assert batch.lines == ["[algo-1] line 0", "[algo-1] line 1", "[algo-1] line 2"]
    assert batch.skipped == 7
    assert batch.report()[-1].startswith("... 7 lines skipped")


def test_a_poll_reads_a_bounded_number_of_pages_and_the_next_one_goes_on(monkeypatch):
    monkeypatch.setattr(logtail, "MAX_PAGES_PER_POLL", 2)
    cursor = LogCursor("job")
    pages = [{"events": [event(i, i)], "nextToken": f"t{i}"} for i in range(5)]
    requests, batch = poll(cursor, pages[:2])
    assert len(requests) == 2 and requests[1]["nextToken"] == "t0"
    assert batch.lines == ["[algo-1] line 0", "[algo-1] line 1"]
    assert cursor.start_ms() == 1  # the next poll starts after what was shown


def test_the_cursor_round_trips_through_json():
    cursor = LogCursor("job", after_ms=5, streams={"job/algo-1-1": (7, frozenset({"a", "b"}))})
    assert LogCursor.from_dict(json.loads(json.dumps(cursor.to_dict()))) == cursor


def test_a_stream_found_after_the_first_one_moved_on_still_shows_its_older_lines():
    cursor = LogCursor("job")
    second = "job/algo-2-1700000000"
    _, batch = poll_streams(cursor, ["job/algo-1-1700000000"], [{"events": [event(1, 10), event(3, 30)]}])
    assert batch.lines == ["[algo-1] line 1", "[algo-1] line 3"]
    # algo-2 printed at 20 too, but its stream was not known yet; once it is, the read starts
    # from the job's start for it, and algo-1's lines are not shown again
    streams = ["job/algo-1-1700000000", second]
    requests, batch = poll_streams(
        cursor,
        streams,
        [{"events": [event(1, 10), event(2, 20, second), event(3, 30), event(4, 40, second)]}],
    )
    assert requests[0]["startTime"] == 0
    assert batch.lines == ["[algo-2] line 2", "[algo-2] line 4"]


def test_a_quiet_stream_does_not_hold_every_read_back(monkeypatch):
    monkeypatch.setattr(logtail, "LATE_MS", 100)
    cursor = LogCursor("job")
    quiet = "job/algo-2-1700000000"
    poll(cursor, [{"events": [event(1, 10, quiet), event(2, 1_000)]}])
    requests, _ = poll(cursor, [{"events": [event(3, 5_000)]}])
    assert requests[0]["startTime"] == 900  # settled: 100 ms before the newest line read
    requests, batch = poll(cursor, [{"events": [event(3, 5_000), event(4, 4_950, quiet)]}])
    assert requests[0]["startTime"] == 4_900
    assert batch.lines == ["[algo-2] line 4"]  # a late line of the quiet stream still shows


def poll_streams(cursor, streams, pages):
    run, requests, answers = TailRun(cursor, stream_names=streams), [], iter(pages)
    while (request := run.next_request()) is not None:
        requests.append(request)
        run.feed(next(answers))
    return requests, run.batch


@pytest.mark.parametrize(
    ("stream", "instance"),
    [("job/algo-1-1700000000", "algo-1"), ("job/algo-12-1700000000", "algo-12"), ("job/odd", "odd")],
)
def test_instance_names_come_from_sagemakers_stream_names(stream, instance):
    assert logtail.instance_of(stream, "job") == instance
