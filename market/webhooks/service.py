"""Webhook subscriptions (owner-scoped: another employer's webhook is a 404) and the delivery
worker that turns outbox events into signed POSTs with retries."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from aiohttp.resolver import ThreadedResolver

from market.kernel import clock
from market.kernel.clock import SHANGHAI
from market.kernel.principal import Principal
from market.config import Settings
from market.errors import FieldError, NotFound, ValidationFailed
from market.webhooks import model, queries

log = logging.getLogger(__name__)
CLAIM_BATCH = 20


class Refused(Exception):
    pass


async def resolve_checked(url: str, allow_loopback: bool) -> list[str]:
    """The addresses `url`'s host resolves to, or Refused naming why it may not be called."""
    if problem := model.url_problem(url, allow_loopback):
        raise Refused(problem)
    parts = urlsplit(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                             type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise Refused("host does not resolve") from None
    addresses = sorted({info[4][0] for info in infos})
    for address in addresses:
        if problem := model.address_problem(address, allow_loopback):
            raise Refused(problem)
    if not model.http_allowed(parts.scheme, addresses):
        raise Refused("must be an https:// URL")
    return addresses


class CheckedResolver(ThreadedResolver):
    """Checks every address at connection time too, so a name that re-resolves to a private
    address after the check (DNS rebinding) is still refused."""

    def __init__(self, allow_loopback: bool) -> None:
        super().__init__()
        self.allow_loopback = allow_loopback

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        results = await super().resolve(host, port, family)
        for result in results:
            if problem := model.address_problem(result["host"], self.allow_loopback):
                raise OSError(f"webhook target refused: {problem}")
        return results


class Webhooks:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings

    async def create(self, caller: Principal, url: str, events: list[str]) -> tuple[queries.Webhook, str]:
        errors = [FieldError(("events", i), f"not an event you can subscribe to: {kind}")
                  for i, kind in enumerate(events) if kind not in model.EVENT_KINDS]
        try:
            await resolve_checked(url, self.settings.webhooks_allow_loopback)
        except Refused as refused:
            errors.insert(0, FieldError(("url",), str(refused)))
        if errors:
            raise ValidationFailed(errors)
        secret = model.new_secret(secrets.token_bytes(model.SECRET_BYTES))
        async with self.pool.acquire() as conn:
            webhook = await queries.insert_webhook(conn, caller.organisation_id, url, sorted(set(events)), secret)
        return webhook, secret

    async def list(self, caller: Principal) -> list[queries.Webhook]:
        async with self.pool.acquire() as conn:
            return await queries.webhooks_of(conn, caller.organisation_id)

    async def delete(self, caller: Principal, webhook_id: uuid.UUID) -> None:
        async with self.pool.acquire() as conn:
            if not await queries.delete_webhook(conn, webhook_id, caller.organisation_id):
                raise NotFound("no such webhook")

    async def deliveries(self, caller: Principal, webhook_id: uuid.UUID, after: list | None,
                         limit: int) -> list[queries.Delivery]:
        cursor = (datetime.fromisoformat(after[0]), uuid.UUID(after[1])) if after else None
        async with self.pool.acquire() as conn:
            await self._own(conn, caller, webhook_id)
            return await queries.deliveries_of(conn, webhook_id, cursor, limit + 1)

    async def retry(self, caller: Principal, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> queries.Delivery:
        async with self.pool.acquire() as conn:
            await self._own(conn, caller, webhook_id)
            delivery = await queries.retry_delivery(conn, delivery_id, webhook_id)
        if delivery is None:
            raise NotFound("no such delivery")
        return delivery

    @staticmethod
    async def _own(conn: asyncpg.Connection, caller: Principal, webhook_id: uuid.UUID) -> None:
        if not await queries.owns_webhook(conn, webhook_id, caller.organisation_id):
            raise NotFound("no such webhook")

    # The delivery worker ------------------------------------------------------------------------
    async def enqueue(self) -> int:
        """A delivery row for each new event each subscription wants."""
        added = 0
        async with self.pool.acquire() as conn, conn.transaction():
            hooks = await queries.active_webhooks_for_update(conn)
            newest = await queries.newest_seq(conn)
            for hook in hooks:
                if hook.after_seq < newest:
                    added += await queries.enqueue(conn, hook, newest)
        return added

    async def deliver_due(self, session: aiohttp.ClientSession) -> int:
        lease = self.settings.webhooks_timeout + timedelta(seconds=5)
        async with self.pool.acquire() as conn:
            claimed = await queries.claim_due(conn, CLAIM_BATCH, lease)
        await asyncio.gather(*(self._deliver(session, row) for row in claimed))
        return len(claimed)

    async def _deliver(self, session: aiohttp.ClientSession, row: queries.DueDelivery) -> None:
        body = json.dumps({"id": row.event_id, "kind": row.kind,
                           "created_at": row.event_created_at.astimezone(SHANGHAI).isoformat(),
                           "data": row.payload}, ensure_ascii=False, separators=(",", ":")).encode()
        # The message id is the event's: the same on every attempt and on a manual retry.
        headers = {"Content-Type": "application/json",
                   **model.signed_headers(row.secret, str(row.event_id), int(time.time()), body)}
        status, error = None, None
        try:
            if row.deleted_at is not None:
                raise Refused("the webhook was deleted")
            await resolve_checked(row.url, self.settings.webhooks_allow_loopback)
            timeout = aiohttp.ClientTimeout(total=self.settings.webhooks_timeout.total_seconds())
            async with session.post(row.url, data=body, headers=headers, timeout=timeout,
                                    allow_redirects=False) as response:
                status = response.status
                await response.read()
        except (Refused, aiohttp.ClientError, TimeoutError, OSError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        async with self.pool.acquire() as conn:
            if status is not None and 200 <= status < 300:
                await queries.delivered(conn, row.id, status)
                return
            now = clock.now()
            wait = model.backoff(row.attempts, self.settings.webhooks_retry_first, self.settings.webhooks_retry_cap)
            gives_up = row.deleted_at is not None or now + wait > row.created_at + self.settings.webhooks_retry_for
            await queries.failed_attempt(conn, row.id, gives_up, now + wait, status, error or f"HTTP {status}")

    async def run(self) -> None:
        """The delivery worker of serve: forever, enqueue new events and deliver due ones."""
        connector = aiohttp.TCPConnector(resolver=CheckedResolver(self.settings.webhooks_allow_loopback),
                                         limit_per_host=4)
        async with aiohttp.ClientSession(connector=connector) as session:
            while True:
                try:
                    await self.enqueue()
                    while await self.deliver_due(session) == CLAIM_BATCH:
                        pass
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("webhook delivery pass failed", extra={"error": repr(error)})
                await asyncio.sleep(self.settings.webhooks_poll_interval.total_seconds())
