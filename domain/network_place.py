"""Where a session's address is, in words a person understands, without any lookup service (nothing leaves the
machine): this computer, the local network, or the address itself."""

from __future__ import annotations

import ipaddress

THIS_COMPUTER = "This computer"
LOCAL_NETWORK = "Local network"
UNKNOWN = "Unknown place"


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
    if address.is_private or address.is_link_local or address in ipaddress.ip_network("100.64.0.0/10"):
        return LOCAL_NETWORK
    return str(address)
