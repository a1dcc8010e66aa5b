"""The notifications' objects in the security world: the worker's Web Push subscription (which no
one else may remove) and a notification in the worker's delivery log (which no one else sees)."""
from __future__ import annotations

import uuid

from tests import factories

P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"


async def build(client, conn, ids: dict[str, str], worker: factories.Party) -> None:
    ids["push_endpoint"] = f"https://push.example.com/send/{uuid.uuid4()}"
    response = await client.post("/v1/notifications/web-push/subscriptions", headers=worker.auth, json={
        "endpoint": ids["push_endpoint"], "keys": {"p256dh": P256DH, "auth": AUTH}})
    assert response.status == 201, await response.text()
    await conn.execute(
        "INSERT INTO notifications (event_key, account_id, channel, kind, message, state, next_attempt_at, sent_at) "
        "VALUES ('offer.expiring:world', $1, 'log', 'offer.expiring', $2::text::jsonb, 'sent', NULL, now())",
        uuid.UUID(worker.account_id), '{"title": "工作邀请即将过期", "body": "world", "data": {}}')
