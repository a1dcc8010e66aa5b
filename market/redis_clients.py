"""Redis clients for one server or a Redis Cluster, chosen by the URL.

    redis://host:6379/0, rediss://…, unix:///run/redis.sock   one server (redis-py's from_url)
    redis+cluster://host:7000,host:7001,host:7002             a Redis Cluster (rediss+cluster:// for TLS)

A cluster URL names one or more of its nodes; the client asks them for the slot map and finds the
rest. It takes a user and password (`redis+cluster://user:secret@host:7000`) and query options like
redis-py's URLs, but no database number: a cluster has database 0 only. The scheme is the one the
`limits` library uses for its cluster storage, so a rate-limit storage URL reads the same way.

Every key the service writes carries a hash tag (`{w:<worker id>}`, `{d:<district>}`) so what one
command touches sits on one slot; docs/scaling.md has the key map.
"""
from __future__ import annotations

from typing import Any, TypeAlias
from urllib.parse import unquote, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster

# A client of either kind: RedisCluster speaks the same commands (multi-key ones only within a slot).
AnyRedis: TypeAlias = "aioredis.Redis | RedisCluster"

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in CLUSTER_SCHEMES


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)


def connect(url: str, **options: Any) -> AnyRedis:
    """A client for `url`; `options` (timeouts, retry) apply to every connection, in a cluster to each node's."""
    if not is_cluster_url(url):
        return aioredis.from_url(url, **options)
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    nodes = [_node(address) for address in hosts.split(",") if address.strip()]
    if not nodes:
        raise ValueError(f"a Redis Cluster URL names at least one node: {url!r}")
    if parts.path.strip("/") not in ("", "0"):
        raise ValueError(f"a Redis Cluster has database 0 only: {url!r}")
    # The first node through redis-py's own URL parser (credentials, TLS, query options), the rest as extra seeds.
    (first_host, first_port), others = nodes[0], nodes[1:]
    netloc = (userinfo + "@" if userinfo else "") + _host_port(first_host, first_port)
    single = urlunsplit((CLUSTER_SCHEMES[parts.scheme.lower()], netloc, "", parts.query, ""))
    return RedisCluster.from_url(single, startup_nodes=[ClusterNode(host, port) for host, port in others], **options)


def _node(address: str) -> tuple[str, int]:
    parsed = urlsplit("//" + address.strip())
    if parsed.hostname is None:
        raise ValueError(f"not a host:port in a Redis Cluster URL: {address!r}")
    return unquote(parsed.hostname), parsed.port or 6379


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
