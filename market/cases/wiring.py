"""The cases package wires itself (scaffold: its service and routes are added by the work on issue 17)."""
from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Nothing wired yet."""
