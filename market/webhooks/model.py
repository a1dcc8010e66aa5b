"""Webhook rules: which events, how they are signed (Standard Webhooks), how retries back off,
which targets are refused. Pure, no I/O."""
from __future__ import annotations

import base64
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
    "settlement.posted", "arrears.recorded", "deposit.confirmed", "certificate.expiring",
    "agreement.ready", "agreement.signed", "case.moved", "organisation.colour_changed",
    "recurring.occurrence_refused", "agency.licence_reviewed", "mandate.granted", "mandate.revoked",
)
# Standard Webhooks 1.0 (docs/webhooks.md): three headers, a `whsec_` secret whose base64 is the key.
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes
SECRET_BYTES_RANGE = range(24, 65)


def new_secret(random_bytes: bytes) -> str:
    """`whsec_` + standard, padded base64 of the key: what every published verifier decodes."""
    if len(random_bytes) not in SECRET_BYTES_RANGE:
        raise ValueError("a signing key is 24 to 64 bytes")
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def signing_key(secret: str) -> bytes:
    """The key a secret stands for: the base64 after `whsec_`, decoded (strictly: the database only
    holds secrets of this form, constraint webhooks_secret_standard)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("not a whsec_ secret")
    key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    if len(key) not in SECRET_BYTES_RANGE:
        raise ValueError("a signing key is 24 to 64 bytes")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}". The id and the timestamp are
    ours, never the employer's, and hold no "." (an event id, Unix seconds)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt: `message_id` is the same on every attempt of a message (the
    receiver's idempotency key), `timestamp` is this attempt's (the receiver refuses old ones)."""
    return {ID_HEADER: message_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(signing_key(secret), message_id, timestamp, body)}


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
