"""`market notifications`: the notification worker on its own (fan-in, sweeps, delivery), for a
deployment that runs serve with MARKET_NOTIFICATIONS_IN_SERVE=false. Any number may run beside
serve: the cursor's row lock and the delivery leases keep them from sending anything twice."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from market import db
from market.config import Settings

log = logging.getLogger(__name__)


def cmd_notifications(settings: Settings, args: argparse.Namespace) -> int:
    from market.notifications import vapid
    from market.notifications.service import Notifications
    from market.sealing import keyring
    from market.servers import servers

    async def run(ready: Settings) -> None:
        assert ready.database_url is not None  # servers() fills it in
        pool = await db.create_pool(ready.database_url, min_size=1, max_size=4)
        try:
            async with pool.acquire() as conn:
                await db.upgrade(conn)
            log.info("notifications worker ready")
            await Notifications(pool, ready, keyring(ready), vapid.private_key(ready)).run()
        finally:
            await pool.close()

    with servers(settings) as ready, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(ready))
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("notifications", help="send notifications: fan-in, reminders, delivery (serve also runs "
                                         "this unless MARKET_NOTIFICATIONS_IN_SERVE=false)"
                   ).set_defaults(run=cmd_notifications)
