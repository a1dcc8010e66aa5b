"""The worker app (`/app`, docs/worker-app.md): a phone-sized page of static ES modules
(market/browser/static/app/) that uses the public API only, and its service worker.

Decisions and their reasons:

- **The page is static HTML with versioned asset URLs** (`assets.page`, as /supervise): no build
  step, and a phone keeps the scripts for a year until they change.
- **The service worker is served at `/app/sw.js`, not under `/static/`**: a service worker
  controls only URLs under its own script's directory, and `/static/app/sw.js` could never control
  `/app`. Its `Service-Worker-Allowed: /app` header lets it take the scope `/app` (the page itself,
  which `/app/` would not cover). It is revalidated on every update check (`no-cache`), as browsers
  expect of a service worker's script.
- **CSP `script-src 'self'`**, no inline script or style: the same policy as the dashboard; the
  service worker and the manifest are same-origin, allowed by `default-src 'self'`.
"""
from __future__ import annotations

from importlib import resources

from aiohttp import web

from market.browser import assets
from market.web.endpoint import ANYONE, endpoint

TAG = "pages"
SCOPE = "/app"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'")


@endpoint(roles=ANYONE, tag=TAG, produces="text/html",
          summary="The worker app (Chinese, phone-sized, installable): sign up, profile, feed, bids, offers, shifts, pay slips")
async def worker_app(request: web.Request) -> web.Response:
    return web.Response(text=assets.page("app/app.html"), content_type="text/html", headers={
        "Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})


@endpoint(roles=ANYONE, tag=TAG, produces="text/javascript",
          summary="The worker app's service worker (caches the app's shell and the last feed for offline use)")
async def service_worker(request: web.Request) -> web.Response:
    script = resources.files("market.browser").joinpath("static", "app", "sw.js").read_text(encoding="utf-8")
    return web.Response(text=script, content_type="text/javascript", headers={
        "Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def setup(app: web.Application) -> None:
    app.router.add_get("/app", worker_app)
    app.router.add_get("/app/sw.js", service_worker)
