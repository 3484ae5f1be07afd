"""Host names the backend answers (DNS-rebinding defence): bound address, loopback, configured."""

from __future__ import annotations

import pytest

from airflow_sm_provider.local.hosts import AllowedHosts, split_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("localhost:8080", ("localhost", 8080)),
        ("LocalHost:8080", ("localhost", 8080)),
        ("localhost", ("localhost", 80)),
        ("[::1]:8080", ("::1", 8080)),
        ("[0:0:0:0:0:0:0:1]:8080", ("::1", 8080)),
        ("[::1]", ("::1", 80)),
        (" 127.0.0.1:8080 ", ("127.0.0.1", 8080)),
        ("::1", None),  # IPv6 in a Host header needs brackets
        ("localhost:", None),
        ("localhost:http", None),
        ("localhost:0", None),
        ("localhost:70000", None),
        ("[::1", None),
        ("[::1]x", None),
        (":8080", None),
    ],
)
def test_host_headers_are_parsed_strictly(value, expected):
    assert split_host(value, default_port=80) == expected


@pytest.mark.parametrize(
    ("bound", "accepted", "refused"),
    [
        ("127.0.0.1", ["127.0.0.1:9000", "localhost:9000"], ["[::1]:9000", "127.0.0.1:9001", "127.0.0.1"]),
        ("::1", ["[::1]:9000", "localhost:9000"], ["127.0.0.1:9000"]),
        ("localhost", ["localhost:9000", "127.0.0.1:9000", "[::1]:9000"], ["example.com:9000"]),
        ("0.0.0.0", ["localhost:9000", "127.0.0.1:9000", "[::1]:9000"], ["0.0.0.0:9000", "10.1.2.3:9000"]),
        ("::", ["localhost:9000", "[::1]:9000"], ["[::]:9000"]),
        ("10.1.2.3", ["10.1.2.3:9000"], ["localhost:9000", "127.0.0.1:9000"]),
    ],
)
def test_the_bound_address_and_its_loopback_names_on_the_listening_port(bound, accepted, refused):
    hosts = AllowedHosts(bound, 9000)

    assert [hosts.allows(value) for value in accepted] == [True] * len(accepted)
    assert [hosts.allows(value) for value in refused] == [False] * len(refused)


@pytest.mark.parametrize(
    "header", [None, "", "attacker.example:9000", "attacker.example", "localhost.attacker.example:9000"]
)
def test_a_rebinding_name_or_no_host_is_refused(header):
    assert not AllowedHosts("127.0.0.1", 9000).allows(header)


def test_configured_names_take_the_listening_port_unless_they_name_one():
    hosts = AllowedHosts("0.0.0.0", 8081, ["sagemaker-local", "localhost:18081", "[fd00::1]:443"])

    assert hosts.allows("sagemaker-local:8081")
    assert not hosts.allows("sagemaker-local:18081")
    assert hosts.allows("localhost:18081") and hosts.allows("localhost:8081")
    assert hosts.allows("[fd00::1]:443")
    assert list(hosts) == sorted(list(hosts), key=str) and "sagemaker-local:8081" in list(hosts)


@pytest.mark.parametrize("name", ["", "host:port", "[::1", "a:b:c:d:"])
def test_a_malformed_configured_name_is_an_error(name):
    with pytest.raises(ValueError, match="not a host name"):
        AllowedHosts("127.0.0.1", 9000, [name])
