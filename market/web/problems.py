"""RFC 9457 problem documents: the one place an error becomes a response."""
from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
from aiohttp import web

from market.errors import FieldError, MarketError, ValidationFailed
from market.logs import request_id_var

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "/problems/"


def problem_response(
    status: int, type_slug: str, title: str, detail: str, *, errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {"type": TYPE_BASE + type_slug, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = [{"loc": list(e.loc), "msg": e.msg, **({"ctx": e.ctx} if e.ctx else {})} for e in errors]
    if extra:
        body.update(extra)
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    return web.Response(
        status=status, body=json.dumps(body, ensure_ascii=False).encode(), content_type=PROBLEM_TYPE,
        headers=headers,
    )


def from_market_error(error: MarketError) -> web.Response:
    errors = error.errors if isinstance(error, ValidationFailed) else None
    headers = {"Retry-After": str(error.extra.pop("retry_after"))} if "retry_after" in error.extra else None
    return problem_response(error.status, error.type, error.title, error.detail, errors=errors,
                            extra=error.extra, headers=headers)


# A lost or refused database connection (a restart, a failover): a 503 the client can retry, not
# a 500 (PostgreSQL restarts are tested in tests/faults/test_postgres_restart.py).
DATABASE_UNAVAILABLE = (
    asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.InterfaceError,  # "the underlying connection is closed" mid-transaction
    OSError,  # refused, reset, or the socket file gone: the request path touches no files
)
RETRY_AFTER_SECONDS = 2

# aiohttp's own HTTP errors (unknown route, wrong method, body too large) as problems too.
_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}


@web.middleware
async def problems_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except MarketError as error:
        return from_market_error(error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        slug = _HTTP_SLUGS.get(exc.status, "http-error")
        return problem_response(exc.status, slug, exc.reason, exc.text or exc.reason,
                                headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"})
    except DATABASE_UNAVAILABLE as error:
        return _database_unavailable(request, error)
    except asyncpg.exceptions.InternalClientError as error:
        # "cannot switch to state …; another operation is in progress": asyncpg refuses to send on
        # a connection still busy with an operation the server never answered, because the server
        # went away mid-request (seen at COMMIT during a PostgreSQL restart). Nothing was sent, so
        # nothing was saved. Any other internal client error is ours: a 500 with its traceback.
        if "another operation" in str(error):
            log.warning("database connection broken mid-request", exc_info=True,
                        extra={"path": request.path, "method": request.method})
            return _database_unavailable(request, error)
        return _internal_error(request)
    except Exception:
        return _internal_error(request)


def _database_unavailable(request: web.Request, error: BaseException) -> web.Response:
    # The database is restarting or unreachable: the request did nothing (its transaction, if
    # any, died with the connection), and the client may simply try again shortly.
    log.warning("database unavailable", extra={"path": request.path, "method": request.method,
                                               "error": type(error).__name__})
    return problem_response(503, "unavailable", "Service temporarily unavailable",
                            "The database is not answering; nothing was saved. Try again in a few seconds.",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _internal_error(request: web.Request) -> web.Response:
    # Details go to the log with the request id, never to the client.
    log.exception("unhandled error", extra={"path": request.path, "method": request.method})
    return problem_response(500, "internal", "Internal server error",
                            "Something went wrong on our side; quote the request id when reporting it.")
