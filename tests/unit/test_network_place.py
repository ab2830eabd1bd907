"""Sessions say where they are in words, without a lookup service (issue 17, item 9)."""

from __future__ import annotations

import pytest

from domain.network_place import LOCAL_NETWORK, THIS_COMPUTER, UNKNOWN, place_of


@pytest.mark.parametrize(
    ("ip", "place"),
    [
        ("127.0.0.1", THIS_COMPUTER),
        ("::1", THIS_COMPUTER),
        ("::ffff:127.0.0.1", THIS_COMPUTER),
        ("10.1.2.3", LOCAL_NETWORK),
        ("172.20.0.5", LOCAL_NETWORK),
        ("192.168.1.20", LOCAL_NETWORK),
        ("fe80::1%eth0", LOCAL_NETWORK),
        ("fd00::7", LOCAL_NETWORK),
        ("100.72.1.1", LOCAL_NETWORK),
        ("8.8.8.8", "8.8.8.8"),
        ("2a00:1450:4007:80e::200e", "2a00:1450:4007:80e::200e"),
        (None, UNKNOWN),
        ("", UNKNOWN),
        ("testclient", "testclient"),
    ],
)
def test_place_of(ip: str | None, place: str) -> None:
    assert place_of(ip) == place
