"""Workers' own profiles. Owns its transactions; a worker reads and changes only their own."""
from __future__ import annotations

import uuid

import asyncpg

from market.kernel.principal import Principal
from market.catalogue.service import Catalogue
from market.errors import NotFound, ValidationFailed
from market.profiles import model, queries
from market.profiles.model import ProfileChanges, WorkerProfile


class WorkerProfiles:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue) -> None:
        self.pool = pool
        self.catalogue = catalogue

    async def own(self, caller: Principal) -> WorkerProfile:
        profile = (await self.profiles([_worker_id(caller)])).get(_worker_id(caller))
        if profile is None:
            raise NotFound("no worker profile for this account")
        return profile

    async def profiles(self, worker_ids: list[uuid.UUID]) -> dict[uuid.UUID, WorkerProfile]:
        """Profiles by worker id, for other packages (feed, allocation); unknown ids are absent.
        Inside a transaction of your own, call `market.profiles.queries.profiles(conn, ids)` instead."""
        async with self.pool.acquire() as conn:
            return await queries.profiles(conn, worker_ids)

    async def update_own(self, caller: Principal, changes: ProfileChanges) -> WorkerProfile:
        """Apply a partial update in one transaction and return the whole profile."""
        data = await self.catalogue.data()
        catalogues = model.Catalogues(
            skill_codes=frozenset(s.code for s in data.skills),
            active_district_codes=frozenset(d.code for d in data.districts if d.active),
        )
        if errors := model.change_problems(changes, catalogues):
            raise ValidationFailed(errors)
        worker_id = _worker_id(caller)
        given = changes.given()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await queries.lock_profile(conn, worker_id)
            if current is None:
                raise NotFound("no worker profile for this account")
            updated = model.apply(current, changes)
            await queries.update_profile(conn, updated)
            if "skills" in given:
                await queries.replace_skills(conn, worker_id, updated.skills)
            if "weekly" in given:
                await queries.replace_weekly(conn, worker_id, updated.availability.weekly)
            if "exceptions" in given:
                await queries.replace_exceptions(conn, worker_id, updated.availability.exceptions)
            if "skills" in given:  # each skill's certificate is the platform's to say: read it back
                return (await queries.profiles(conn, [worker_id]))[worker_id]
            return updated


def _worker_id(caller: Principal) -> uuid.UUID:
    if caller.worker_id is None:
        raise NotFound("no worker profile for this account")
    return caller.worker_id
