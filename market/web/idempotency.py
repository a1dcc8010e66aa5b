"""`Idempotency-Key` on POST: the same key and body replay the first response; the same key with
another body is a 422; concurrent duplicates run once.

A key is claimed by inserting its row (the primary key makes exactly one claimant win). The winner
runs the handler and stores the response; the others wait for it and replay it. A claim whose
process died is taken over after `idempotency_lock_timeout`. Responses of 5xx and unhandled errors
are not stored (the row is released), so a retry after a failure on our side runs again. Keys are
scoped to the caller (the account; for an anonymous caller, the request itself) and expire after
`idempotency_ttl`; a background task purges expired rows.

No secret is ever stored. An endpoint whose response carries one declares it (`@endpoint(secret=)`):
if the request is harmless to repeat (`repeatable`: a sign-in) its key is not recorded and every
request runs; otherwise (a webhook's signing secret) the record keeps, instead of the response, a
409 that carries the first response without its secret.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time

from aiohttp import web

from market.background import raise_if_cancelled

from market.errors import Conflict, FieldError, MarketError, ValidationFailed
from market.web import queries
from market.web.endpoint import Endpoint, endpoint_of
from market.web.keys import DB, HASH_KEY, PRINCIPAL, SETTINGS
from market.web.problems import from_market_error, problem_response

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# How long a duplicate waits for the first request to finish before answering 409.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05


def _caller(request: web.Request, request_hash: bytes) -> str:
    principal = request.get(PRINCIPAL)
    if principal is not None:
        return principal.caller_key
    # Sign-up has no account to scope a key by, and one namespace shared by every anonymous caller
    # let a stranger's key fail someone else's request. The request is the scope: a key meets only
    # the identical request, whose replay tells its sender nothing they did not send.
    return "anonymous:" + request_hash.hex()


def _replay_record(meta: Endpoint | None, response: web.Response) -> tuple[int, bytes, str]:
    """What a replay will answer: the response itself, or, when it carries a secret, a 409 with the
    response less that secret (which a client needs to find what the first request made)."""
    if meta is None or meta.secret is None or not 200 <= response.status < 300:
        return response.status, response.body or b"", response.content_type
    first = json.loads(response.body or b"{}")
    first.pop(meta.secret, None)
    problem = problem_response(
        409, "secret-not-replayed", "Not replayed: the response carried a secret",
        f"the first request with this Idempotency-Key succeeded; its `{meta.secret}` was shown once and is "
        f"not kept, so the response cannot be replayed", extra={"first_status": response.status,
                                                                "first_response": first})
    return problem.status, problem.body, problem.content_type


@web.middleware
async def idempotency_middleware(request: web.Request, handler) -> web.StreamResponse:
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return await handler(request)
    if not 1 <= len(key) <= 255:
        raise ValidationFailed([FieldError(("header", HEADER), "must be 1 to 255 characters")])
    meta = endpoint_of(request.match_info.handler)
    if meta is not None and meta.secret is not None and meta.repeatable:
        return await handler(request)
    if meta is not None and meta.form is not None:
        # An upload is streamed under its own limit (market/uploads.py), never read whole here; the
        # route answers a retried upload itself (the same file of the same kind: the first result).
        return await handler(request)
    settings = request.app[SETTINGS]
    pool = request.app[DB]
    body = await request.read()
    # Keyed, like every other stored hash: a body may carry an ID number or a password, and a plain
    # digest of a structured 18-digit number can be reversed by trying them all.
    request_hash = hmac.new(request.app[HASH_KEY], f"{request.method} {request.rel_url}\n".encode() + body,
                            hashlib.sha256).digest()
    caller = _caller(request, request_hash)

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        async with pool.acquire() as conn:
            if await queries.claim_key(conn, caller, key, request_hash, settings.idempotency_ttl):
                break
            stored = await queries.read_key(conn, caller, key, settings.idempotency_lock_timeout)
            if stored is None:
                continue  # released between our insert and read: claim again
            if stored.expired:
                await queries.drop_expired_key(conn, caller, key)
                continue
            if stored.request_hash != request_hash:
                raise ValidationFailed([FieldError(
                    ("header", HEADER), "this key was already used with a different request; use a new key")])
            if stored.response_status is not None:
                return web.Response(status=stored.response_status, body=stored.response_body,
                                    content_type=stored.response_type, headers={"Idempotent-Replayed": "true"})
            if stored.stale and await queries.take_over_stale_key(conn, caller, key,
                                                                   settings.idempotency_lock_timeout):
                break
        if time.monotonic() > deadline:
            raise Conflict("a request with this Idempotency-Key is still being processed; retry later")
        await asyncio.sleep(POLL_SECONDS)

    try:
        response = await handler(request)
    except MarketError as error:
        response = from_market_error(error)
    except BaseException:
        async with pool.acquire() as conn:
            await queries.release_key(conn, caller, key)
        raise
    async with pool.acquire() as conn:
        if response.status >= 500 or not isinstance(response, web.Response):
            await queries.release_key(conn, caller, key)
        else:
            await queries.finish_key(conn, caller, key, *_replay_record(meta, response))
    return response


async def purge_expired_keys(app: web.Application, every_seconds: float = 3600.0) -> None:
    """Background task: delete expired keys once an hour."""
    while True:
        try:
            async with app[DB].acquire() as conn:
                removed = await queries.purge_expired_keys(conn)
            if removed:
                log.info("purged expired idempotency keys", extra={"count": removed})
        except Exception as error:  # a database outage must not end the task
            raise_if_cancelled(error)
            log.warning("idempotency purge failed", extra={"error": repr(error)})
        await asyncio.sleep(every_seconds)
