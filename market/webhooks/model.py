"""Webhook rules: which events, how they are signed, how retries back off, which targets are
refused. Pure, no I/O."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

# Outbox kinds an employer can subscribe to (each is emitted with the organisation among its
# audience). Names are the outbox kinds themselves.
EVENT_KINDS = (
    "order.posted", "order.filled", "order.cancelled", "seat.filled", "bid.placed", "offer.accepted",
    "offer.declined", "assignment.checked_in", "assignment.checked_out", "assignment.no_show",
    "timesheet.approved", "timesheet.auto_approved", "timesheet.disputed", "assignment.cancelled",
    "settlement.posted", "arrears.recorded", "deposit.confirmed",
)
SIGNATURE_HEADER = "Market-Signature"
EVENT_ID_HEADER = "Market-Event-Id"
EVENT_KIND_HEADER = "Market-Event"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: the receiver recomputes it with the secret and
    refuses old timestamps (replays)."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (used by the tests and shown in docs/webhooks.md)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        expected = signature(secret, int(parts["t"]), body)
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(attempts: int, first: timedelta, cap: timedelta) -> timedelta:
    """The wait after the n-th failed attempt: first, 2×first, 4×first, … at most cap."""
    return min(cap, first * (2 ** max(0, attempts - 1)))


def url_problem(url: str, allow_loopback: bool) -> str | None:
    """Why `url` cannot be a webhook target by its form alone (addresses are checked once resolved)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a bad port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.scheme == "http" and not allow_loopback:
        return "must be an https:// URL"
    return None


# RFC 6052's well-known NAT64 prefix: the last 32 bits are the IPv4 address a translator reaches.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


def address_problem(address: str, allow_loopback: bool) -> str | None:
    """Why a resolved address may not be called (SSRF): private, link-local (cloud metadata),
    multicast, reserved, unspecified; loopback unless allowed. An IPv6 address that carries an
    IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by each address it carries too, so
    `[2002:7f00:1::]` is the loopback it embeds."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    carried = embedded_ipv4(ip)
    if ip.is_loopback or any(inner.is_loopback for inner in carried):
        return None if allow_loopback else "resolves to a loopback address"
    for candidate in (*carried, ip):
        if candidate.is_link_local:
            return "resolves to a link-local address"
        if candidate.is_multicast:
            return "resolves to a multicast address"
        if candidate.is_private or candidate.is_reserved or candidate.is_unspecified or not candidate.is_global:
            return "resolves to a private or reserved address"
    return None


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped (::ffff:a.b.c.d), 6to4 (2002::/16,
    bits 16-48), Teredo (2001::/32: its server and its client), NAT64 (64:ff9b::/96)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
    return [address for address in found if address is not None]


def http_allowed(scheme: str, addresses: list[str]) -> bool:
    """Plain http only to loopback (tests, local development)."""
    return scheme == "https" or all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
