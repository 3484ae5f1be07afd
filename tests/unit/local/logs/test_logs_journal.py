"""The journal file: what the writer records and what bounded reads find in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_sm_provider.local.logs import journal
from airflow_sm_provider.local.logs.journal import JournalReader, JournalWriter, path_for


def write(path: Path, records: list[tuple[int, str]], tail: bytes = b"") -> JournalReader:
    path.write_bytes(b"".join(b"%d\t%s\n" % (ts, msg.encode()) for ts, msg in records) + tail)
    return JournalReader(path)


def test_writer_records_each_line_with_a_time_that_never_goes_back(tmp_path, monkeypatch):
    clock = iter([5_000_000, 4_000_000, 6_000_000])  # ns -> ms: 5, 4 (the clock went back), 6
    monkeypatch.setattr(journal.time, "time_ns", lambda: next(clock) * 1000)
    writer = JournalWriter(path_for(tmp_path))
    for line in (b"first\n", b"second\r\n", b"third"):
        writer.append(line)
    writer.close()
    events, _ = JournalReader(path_for(tmp_path)).records(0, 4096)
    assert [(e.timestamp, e.text) for e in events] == [(5000, "first"), (5000, "second"), (6000, "third")]
    assert path_for(tmp_path).stat().st_mode & 0o777 == 0o600


def test_a_reopened_journal_continues_after_its_last_time(tmp_path, monkeypatch):
    reader = write(path_for(tmp_path), [(9_000, "before the restart")])
    monkeypatch.setattr(journal.time, "time_ns", lambda: 1_000 * 1_000_000)  # a clock behind the file
    writer = JournalWriter(reader.path)
    writer.append(b"after")
    writer.close()
    assert reader.last() is not None and (reader.last().text, reader.last().timestamp) == ("after", 9_000)


def test_a_line_longer_than_a_cloudwatch_event_is_cut(tmp_path):
    writer = JournalWriter(path_for(tmp_path))
    writer.append(b"x" * (journal.MAX_MESSAGE_BYTES + 100) + b"\n")
    writer.close()
    (event,), _ = JournalReader(path_for(tmp_path)).records(0, 4096)
    assert len(event.message) == journal.MAX_MESSAGE_BYTES


def test_a_line_still_being_written_is_not_read(tmp_path):
    reader = write(tmp_path / "j", [(1, "done")], tail=b"2\tpartial")
    events, after = reader.records(0, 4096)
    assert [e.text for e in events] == ["done"]
    assert after == reader.end() == len(b"1\tdone\n")
    assert reader.last() is not None and reader.last().text == "done"


def test_offsets_are_boundaries_only_where_records_start(tmp_path):
    reader = write(tmp_path / "j", [(1, "a"), (2, "b")])
    assert reader.is_boundary(0) and reader.is_boundary(4) and reader.is_boundary(8)
    assert not reader.is_boundary(1)
    assert not reader.is_boundary(9)  # past the end


@pytest.mark.parametrize("target", [0, 1, 999, 1000, 1001, 25_000, 49_999, 50_000])
def test_seek_time_finds_the_first_record_at_or_after_a_time(tmp_path, target):
    # 3 records per millisecond over 0..49,999 ms with ~1.5 MB of file: bisection, not a scan
    records = [(ms, f"line {ms}-{k}") for ms in range(0, 50_000, 3) for k in range(3)]
    reader = write(tmp_path / "j", records)
    offset = reader.seek_time(target)
    if target > records[-1][0]:
        assert offset == reader.end()
        return
    (first, *_), _ = reader.records(offset, 4096)
    expected = next(r for r in records if r[0] >= target)
    assert (first.timestamp, first.text) == expected


def test_records_before_reads_back_from_an_offset(tmp_path):
    reader = write(tmp_path / "j", [(i, f"m{i}") for i in range(100)])
    end = reader.seek_time(50)
    events = reader.records_before(end, 64)
    assert events and events[-1].text == "m49"
    assert all(e.end <= end for e in events)
    assert reader.records_before(0, 64) == []


def test_a_missing_journal_reads_as_empty(tmp_path):
    reader = JournalReader(tmp_path / "absent")
    assert not reader.exists() and reader.size() == 0 and reader.end() == 0
    assert reader.first() is None and reader.last() is None and reader.seek_time(5) == 0
