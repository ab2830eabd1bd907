"""Where a session's address is, in words a person understands, without any lookup service (nothing leaves the
machine): this computer, the local network, or the address itself."""

from __future__ import annotations

import ipaddress

THIS_COMPUTER = "This computer"
LOCAL_NETWORK = "Local network"
UNKNOWN = "Unknown place"
# The ranges a home or office network hands out (RFC 1918, carrier-grade NAT, link-local, IPv6 unique-local and
# link-local). Not `is_private`: that also counts documentation and reserved ranges, which are no one's network.
LOCAL_RANGES = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)


def place_of(ip: str | None) -> str:
    """ "This computer" for loopback, "Local network" for private, link-local and shared (CGNAT) ranges, otherwise the
    address as it is (a public address: where it is would need a geolocation database)."""
    if not ip:
        return UNKNOWN
    try:
        address = ipaddress.ip_address(ip.strip().split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return THIS_COMPUTER
    if any(address.version == net.version and address in net for net in LOCAL_RANGES):
        return LOCAL_NETWORK
    return str(address)
