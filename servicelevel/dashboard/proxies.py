"""Which peers are our reverse proxies, and so whose headers we believe.

A header such as ``X-Forwarded-User`` (single sign-on) or ``X-Forwarded-For`` (the client's
address) is only as good as whoever set it: any client that reaches the port can send it. So
they are read only from a peer whose address is in ``$SERVICELEVEL_TRUSTED_PROXIES``
(comma-separated IP addresses or CIDR networks, e.g. ``127.0.0.1, 10.0.0.0/8``). The default is
no proxy at all: the headers are ignored until the variable is set.
"""

from __future__ import annotations

import ipaddress

PROXIES_ENV = "SERVICELEVEL_TRUSTED_PROXIES"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_proxies(text: str | None) -> tuple[Network, ...]:
    """The networks in ``text``; a wrong entry is an error at start, not a silent no-proxy."""
    networks = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{PROXIES_ENV}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _address(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(peer: str | None, proxies: tuple[Network, ...]) -> bool:
    address = _address(peer)
    return address is not None and any(address in network for network in proxies)


def client_address(
    peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]
) -> str:
    """The client's address: the peer's own, unless the peer is a trusted proxy; then the
    nearest hop of ``X-Forwarded-For`` that is not one of our proxies (hops further left
    were written by the client and prove nothing)."""
    if not is_trusted(peer, proxies) or not forwarded_for:
        return peer or ""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer or ""
