"""Operational routes: liveness, readiness, metrics, the OpenAPI document and its docs page."""
from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market import __version__
from market.web.auth import METRICS_ROLE
from market.web.endpoint import ANYONE, endpoint
from market.web.keys import DB, REDIS
from market.web.metrics import METRICS
from market.web import queries
from market.web.openapi import build_openapi

OPENAPI = web.AppKey("openapi", dict)
CHECK_TIMEOUT_SECONDS = 2.0
DESCRIPTION = (
    "An asynchronous marketplace for short-term (零工) and shared (共享用工) labor in Chongqing's "
    "new-employment-form pilots. Money is integer fen; times are RFC 3339 with a time zone; errors are "
    "application/problem+json; every POST accepts an Idempotency-Key."
)


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    postgres: str
    redis: str


@endpoint(roles=ANYONE, tag="ops", summary="The process is alive", response=Health)
async def healthz(request: web.Request) -> Health:
    return Health(status="ok")


async def _check(probe) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe()
        return "ok"
    except Exception as error:  # any failure means "not ready"; the kind is enough for operators
        return f"down: {type(error).__name__}"


@endpoint(roles=ANYONE, tag="ops", summary="PostgreSQL and Redis are reachable (503 when not)",
          response=Readiness, errors=(503,))
async def readyz(request: web.Request) -> web.Response:
    pool, redis = request.app[DB], request.app[REDIS]
    postgres_state, redis_state = await asyncio.gather(_check(lambda: queries.ping(pool)), _check(redis.ping))
    ready = postgres_state == "ok" and redis_state == "ok"
    body = Readiness(status="ready" if ready else "not ready", postgres=postgres_state, redis=redis_state)
    return web.Response(status=200 if ready else 503, body=body.model_dump_json(), content_type="application/json")


@endpoint(roles={"admin", METRICS_ROLE}, tag="ops", produces="text/plain",
          summary="Prometheus metrics: for admins, and for the scraper holding MARKET_METRICS_TOKEN")
async def metrics(request: web.Request) -> web.Response:
    return request.app[METRICS].render()


class OpenAPIInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str
    version: str
    description: str | None = None


class OpenAPIDocument(BaseModel):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0#openapi-object): paths,
    webhooks and components as that specification defines them."""
    model_config = ConfigDict(extra="allow")
    openapi: str = Field(pattern=r"^3\.1\.\d+$")
    info: OpenAPIInfo
    paths: dict[str, dict[str, Any]]
    webhooks: dict[str, dict[str, Any]] | None = None
    components: dict[str, Any] | None = None


@endpoint(roles=ANYONE, tag="ops", summary="This OpenAPI 3.1 document", response=OpenAPIDocument)
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


@endpoint(roles=ANYONE, tag="ops", summary="Human-readable API documentation", produces="text/html")
async def docs_page(request: web.Request) -> web.Response:
    html = resources.files("market.browser").joinpath("static", "docs.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html")


@endpoint(roles=ANYONE, tag="ops", summary="The site icon (browsers ask for it on every page)", produces="image/x-icon")
async def favicon(request: web.Request) -> web.Response:
    icon = resources.files("market.browser").joinpath("static", "favicon.ico").read_bytes()
    return web.Response(body=icon, content_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


async def _build_openapi(app: web.Application) -> None:
    app[OPENAPI] = build_openapi(app, title="market", version=__version__, description=DESCRIPTION)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi_json)
    app.router.add_get("/docs", docs_page)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", Path(str(resources.files("market.browser").joinpath("static"))))
    app.on_startup.append(_build_openapi)
