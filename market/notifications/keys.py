"""The notifications package's application key."""
from __future__ import annotations

from aiohttp import web

from market.notifications.service import Notifications

NOTIFICATIONS = web.AppKey("notifications", Notifications)
