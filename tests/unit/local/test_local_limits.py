"""Request bounds: Content-Length validation, connection slots."""

from __future__ import annotations

import pytest

from airflow_sm_provider.local import limits
from airflow_sm_provider.local.errors import ValidationError


@pytest.mark.parametrize(("header", "length"), [(None, 0), ("", 0), ("0", 0), ("17", 17), (" 5 ", 5)])
def test_a_valid_content_length_is_read(header, length):
    assert limits.read_length(header) == length


@pytest.mark.parametrize("header", ["-1", "abc", "1e6", "1.5", "+3", "0x10"])
def test_a_malformed_content_length_is_a_validation_error(header):
    with pytest.raises(ValidationError):
        limits.read_length(header)


def test_a_content_length_above_the_maximum_is_413():
    with pytest.raises(limits.RequestTooLarge) as raised:
        limits.read_length(str(limits.MAX_REQUEST_BYTES + 1))

    assert raised.value.status == 413
    assert raised.value.to_body()["__type"] == "RequestEntityTooLarge"


def test_connection_slots_are_bounded_and_given_back():
    slots = limits.ConnectionSlots(2)
    assert slots.take() and slots.take()
    assert not slots.take()
    slots.give()
    assert slots.take()
