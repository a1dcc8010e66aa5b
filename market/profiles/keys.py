"""The worker profiles' application key."""
from __future__ import annotations

from aiohttp import web

from market.profiles.service import WorkerProfiles

WORKER_PROFILES = web.AppKey("worker_profiles", WorkerProfiles)
