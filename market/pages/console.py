"""The employers' console (`/console`, docs/console.md): its HTML with content-hashed asset URLs
(market/browser/assets.py). The page calls the public API only, so this module serves nothing else."""
from __future__ import annotations

from aiohttp import web

from market.browser import assets
from market.web.endpoint import ANYONE, endpoint

# As the supervisors' dashboard: its own modules and styles only, no inline script, no eval; the
# API and the event stream are same-origin (connect-src 'self'); downloads are blob: URLs.
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'")


@endpoint(roles=ANYONE, tag="console", produces="text/html",
          summary="The employers' console (Chinese, English toggle); it signs in with the employer's password")
async def console_page(request: web.Request) -> web.Response:
    html = assets.page("console/console.html")
    return web.Response(text=html, content_type="text/html", headers={
        "Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})


def setup(app: web.Application) -> None:
    app.router.add_get("/console", console_page)
