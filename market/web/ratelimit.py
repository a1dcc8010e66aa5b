"""Rate limits on sign-in, registration and writes, counted in Redis by the `limits` library.

Which requests count, against what (docs/limits.md has the defaults and the reasons):

| requests | counted per |
|---|---|
| sign-in (`POST /v1/auth/tokens`) | login name (keyed hash, never the name itself), client IP |
| registration (`POST /v1/auth/register/…`) | client IP |
| every other POST, PUT, PATCH, DELETE | account (when a token was sent), client IP |
| GET, HEAD, OPTIONS | nothing |

Counts use the moving-window strategy (exact: no double burst at a window edge, and an exact
Retry-After) and live in Redis, so every process of the service shares them. A request over a
limit is a 429 problem with Retry-After in seconds.

All the windows a request is counted in go to Redis in one round trip (`ACQUIRE_MOVING_WINDOWS`,
the library's own moving-window step applied to each window in turn, on the library's keys), on
one Redis server; a Redis Cluster counts window by window (the keys are on different slots).

When Redis cannot be reached the marketplace keeps working: writes are not throttled (an outage of
the limiter must not stop employers posting orders or workers bidding), while sign-in and
registration are counted in this process's memory, so password guessing stays throttled, at worst
by the number of processes times the limit. The outage is logged when it starts and when it ends,
and Redis is tried again every few seconds rather than on every request.
"""
from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable, Literal, Sequence

from aiohttp import web
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisClusterStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from pydantic import BaseModel, ValidationError
from redis.commands.core import AsyncScript
from redis.exceptions import RedisClusterException, RedisError

from market import redis_clients
from market.config import Settings
from market.errors import TooManyRequests
from market.web.auth import AUTHENTICATOR
from market.web.keys import PRINCIPAL, SETTINGS

log = logging.getLogger(__name__)

# Every key starts with this; the library appends the rule, the identity and the window.
KEY_PREFIX = "market:ratelimit"
# After Redis fails, this long passes before it is tried again (requests meanwhile use the fallback).
RETRY_STORAGE_AFTER_SECONDS = 5.0
# The limiter's own connections fail fast: a request should not wait on a limiter in trouble.
STORAGE_TIMEOUT_SECONDS = 0.5

SIGN_IN = ("POST", "/v1/auth/tokens")
REGISTRATION = {("POST", "/v1/auth/register/employer"), ("POST", "/v1/auth/register/worker")}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Count one request in several moving windows at once: KEYS are the windows' keys (as the library
# names them), ARGV the time, then each window's limit and length in seconds. Each window is the
# library's acquire_moving_window.lua with amount 1: full (its limit-th newest entry is inside the
# window) → stop and return its 1-based index; else record the request. Windows before a full one
# stay counted, as when the library is called window by window. 0: every window took the request.
ACQUIRE_MOVING_WINDOWS = """
local timestamp = tonumber(ARGV[1])
for i = 1, #KEYS do
    local limit = tonumber(ARGV[2 * i])
    local expiry = tonumber(ARGV[2 * i + 1])
    if limit < 1 then
        return i
    end
    local entry = redis.call('lindex', KEYS[i], limit - 1)
    if entry and tonumber(entry) >= timestamp - expiry then
        return i
    end
    redis.call('lpush', KEYS[i], timestamp)
    redis.call('ltrim', KEYS[i], 0, limit - 1)
    redis.call('expire', KEYS[i], expiry)
end
return 0
"""
# What a failing shared storage raises: the library's wrapper, redis-py's errors (the one-round-trip
# script), and a cluster that cannot be reached at all (outside RedisError).
STORAGE_ERRORS = (StorageError, RedisError, RedisClusterException)


@dataclass(frozen=True)
class Rule:
    name: str
    # What is being counted, for the problem detail: "sign-in attempts for this login".
    counted: str
    items: tuple[RateLimitItem, ...]
    # With Redis down: "open" lets everything through; "local" counts in this process.
    when_storage_down: Literal["open", "local"]


def _rule(name: str, counted: str, notation: str, when_storage_down: Literal["open", "local"]) -> Rule:
    return Rule(name, counted, tuple(parse_many(notation)) if notation else (), when_storage_down)


@dataclass(frozen=True)
class Rules:
    sign_in_per_login: Rule
    sign_in_per_ip: Rule
    registration_per_ip: Rule
    writes_per_account: Rule
    writes_per_ip: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            _rule("sign-in-login", "sign-in attempts for this login", settings.rate_limit_sign_in_per_login, "local"),
            _rule("sign-in-ip", "sign-in attempts from this address", settings.rate_limit_sign_in_per_ip, "local"),
            _rule("registration-ip", "registrations from this address", settings.rate_limit_registration_per_ip,
                  "local"),
            _rule("writes-account", "changes by this account", settings.rate_limit_writes_per_account, "open"),
            _rule("writes-ip", "changes from this address", settings.rate_limit_writes_per_ip, "open"),
        )


class RateLimits:
    """The app's limiter: Redis first, this process's memory when Redis is down."""

    def __init__(self, rules: Rules, shared: Storage, acquire_windows: AsyncScript | None = None) -> None:
        self.rules = rules
        self._shared = MovingWindowRateLimiter(shared)
        # ACQUIRE_MOVING_WINDOWS on the shared Redis (one server), or None: window by window.
        self._acquire_windows = acquire_windows
        self._local_storage = MemoryStorage()
        self._local = MovingWindowRateLimiter(self._local_storage)
        # While Redis is failing: when the outage began, and when to try Redis again (until then
        # requests go straight to the fallback instead of each waiting on a dead connection).
        self._outage_since: float | None = None
        self._retry_shared_at = 0.0

    async def check(self, rule: Rule, identity: str) -> None:
        """Count one request of `identity` against `rule`; TooManyRequests if that is one too many."""
        await self.check_all([(rule, identity)])

    async def check_all(self, checks: Sequence[tuple[Rule, str]]) -> None:
        """Count one request against each (rule, identity) in turn, as `check` would one after the
        other, but in one Redis round trip; TooManyRequests for the first that is one too many."""
        checks = [(rule, identity) for rule, identity in checks if rule.items]
        if not checks:
            return
        if self._acquire_windows is None:
            for rule, identity in checks:
                limiter, exhausted = await self._count(rule, identity)
                if limiter is not None and exhausted is not None:
                    await self._refuse(limiter, rule, identity, exhausted)
            return
        if time.monotonic() >= self._retry_shared_at:
            windows = [(rule, identity, item) for rule, identity in checks for item in rule.items]
            arguments: list[float | int] = [time.time()]
            for _, _, item in windows:
                arguments += [item.amount, item.get_expiry()]
            try:
                full = await self._acquire_windows(
                    keys=[f"{KEY_PREFIX}:{item.key_for(rule.name, identity)}" for rule, identity, item in windows],
                    args=arguments)
            except STORAGE_ERRORS as error:
                self._shared_failed(error)
            else:
                self._shared_answered()
                if full:
                    rule, identity, item = windows[int(full) - 1]
                    await self._refuse(self._shared, rule, identity, item)
                return
        for rule, identity in checks:
            local = self._fallback(rule)
            if local is not None and (exhausted := await self._hit(local, rule, identity)) is not None:
                await self._refuse(local, rule, identity, exhausted)

    async def _refuse(self, limiter: MovingWindowRateLimiter, rule: Rule, identity: str,
                      exhausted: RateLimitItem) -> None:
        try:
            stats = await limiter.get_window_stats(exhausted, rule.name, identity)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        except STORAGE_ERRORS:
            retry_after = exhausted.get_expiry()  # the longest it can be
        raise TooManyRequests(
            f"too many {rule.counted}: at most {exhausted}; try again in {retry_after} seconds",
            retry_after=retry_after, limit=str(exhausted))

    async def _count(self, rule: Rule, identity: str) -> tuple[MovingWindowRateLimiter | None, RateLimitItem | None]:
        """Count in Redis, or in the fallback when Redis fails: the limiter used and the first full
        window (None: the request is within the limits, or not counted at all)."""
        if time.monotonic() >= self._retry_shared_at:
            try:
                exhausted = await self._hit(self._shared, rule, identity)
            except STORAGE_ERRORS as error:
                self._shared_failed(error)
            else:
                self._shared_answered()
                return self._shared, exhausted
        local = self._fallback(rule)
        if local is None:
            return None, None
        return local, await self._hit(local, rule, identity)

    def _fallback(self, rule: Rule) -> MovingWindowRateLimiter | None:
        return self._local if rule.when_storage_down == "local" else None

    async def _hit(self, limiter: MovingWindowRateLimiter, rule: Rule, identity: str) -> RateLimitItem | None:
        """Count against each of the rule's windows; the first one that is full, or None."""
        for item in rule.items:
            if not await limiter.hit(item, rule.name, identity):
                return item
        return None

    def _shared_failed(self, error: Exception) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning("rate limit storage unreachable: writes are not throttled and sign-in and "
                        "registration are counted per process until it is back",
                        extra={"error": repr(getattr(error, "storage_error", error))})
        self._retry_shared_at = time.monotonic() + RETRY_STORAGE_AFTER_SECONDS

    def _shared_answered(self) -> None:
        if self._outage_since is not None:
            log.info("rate limit storage is back", extra={"outage_seconds": round(
                time.monotonic() - self._outage_since, 1)})
            self._outage_since = None

    async def close(self) -> None:
        # The memory storage sweeps expired entries in a task of its own; do not leave it pending.
        timer = getattr(self._local_storage, "timer", None)
        if timer is not None and not timer.done():
            timer.cancel()


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


def client_ip(request: web.Request, trusted_proxy_count: int) -> str:
    """The client's address: the peer, or the entry the nearest trusted proxy added to
    X-Forwarded-For. An IPv6 client is counted by its /64, the block one subscriber gets."""
    address = request.remote or "unknown"
    if trusted_proxy_count:
        forwarded = [part.strip() for part in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= trusted_proxy_count:
            address = forwarded[-trusted_proxy_count]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class _SignInLogin(BaseModel):
    login: str


async def _login_of(request: web.Request) -> str | None:
    """The login named in a sign-in body, or None when the body has none (the handler answers 422).
    Parsed as the handler parses it (pydantic, which bounds nesting depth, unlike json.loads)."""
    try:
        login = _SignInLogin.model_validate_json(await request.read()).login
    except ValidationError:
        return None
    return login if login.strip() else None


@web.middleware
async def rate_limit_middleware(request: web.Request, handler) -> web.StreamResponse:
    if request.method not in WRITE_METHODS:
        return await handler(request)
    limits = request.app[RATE_LIMITS]
    rules = limits.rules
    ip = client_ip(request, request.app[SETTINGS].trusted_proxy_count)
    route = request.match_info.route.resource
    key = (request.method, route.canonical if route is not None else "")
    try:
        if key == SIGN_IN:
            checks = [(rules.sign_in_per_ip, ip)]
            login = await _login_of(request)
            if login is not None:
                # Counted per skeleton and keyed like stored logins (the accounts package's
                # Authenticator): Redis never holds a phone number or an e-mail address.
                checks.append((rules.sign_in_per_login, request.app[AUTHENTICATOR].sign_in_identity(login)))
            await limits.check_all(checks)
        elif key in REGISTRATION:
            await limits.check(rules.registration_per_ip, ip)
        else:
            principal = request.get(PRINCIPAL)
            checks = [(rules.writes_per_account, principal.caller_key)] if principal is not None else []
            await limits.check_all(checks + [(rules.writes_per_ip, ip)])
    except TooManyRequests as refused:
        log.info("rate limited", extra={"limit": refused.extra.get("limit"), "route": key[1], "client_ip": ip})
        raise
    return await handler(request)


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_rate_limits)


async def _rate_limits(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    storage, close_storage, acquire_windows = _redis_storage(settings.rate_limit_storage_url or settings.redis_url)
    limits = RateLimits(Rules.from_settings(settings), storage, acquire_windows)
    app[RATE_LIMITS] = limits
    yield
    await limits.close()
    await close_storage()


def _redis_storage(url: str) -> tuple[Storage, Callable[[], Awaitable[None]], AsyncScript | None]:
    """The library's Redis storage over redis-py (the client the service already uses), for one
    server or a Redis Cluster (market/redis_clients.py), how to close it, and on one server the
    script that counts several windows in one round trip."""
    options = {"socket_connect_timeout": STORAGE_TIMEOUT_SECONDS, "socket_timeout": STORAGE_TIMEOUT_SECONDS}
    if redis_clients.is_cluster_url(url):
        # Each window is one key, run as a single-key script: no hash tags needed in a cluster.
        scheme, _, rest = url.partition("://")
        tls = {"ssl": True} if scheme.lower().startswith("rediss") else {}
        cluster = RedisClusterStorage("async+redis+cluster://" + rest, implementation="redispy",
                                      wrap_exceptions=True, key_prefix=KEY_PREFIX, **options, **tls)
        # The library has no close; its redis-py RedisCluster client does.
        return cluster, cluster.bridge.storage.aclose, None
    client = redis_clients.connect(url, **options)
    # The client's pool carries the address; the URI only picks the library's Redis storage.
    single = RedisStorage("async+redis://", implementation="redispy", connection_pool=client.connection_pool,
                          wrap_exceptions=True, key_prefix=KEY_PREFIX)
    return single, client.aclose, client.register_script(ACQUIRE_MOVING_WINDOWS)
