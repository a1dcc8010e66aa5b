"""Read access to the catalogues. They change only with `market db upgrade`, so each process
reads them once and keeps them; `refresh()` re-reads after an upgrade."""
from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from market.catalogue import queries
from market.catalogue.model import District, MinimumWage, Sector, Skill


@dataclass(frozen=True)
class CatalogueData:
    districts: list[District]
    minimum_wages: list[MinimumWage]
    skills: list[Skill]
    sectors: list[Sector]

    def district(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)


class Catalogue:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._data: CatalogueData | None = None

    async def data(self) -> CatalogueData:
        if self._data is None:
            await self.refresh()
        assert self._data is not None
        return self._data

    async def refresh(self) -> None:
        async with self.pool.acquire() as conn:
            self._data = CatalogueData(
                await queries.all_districts(conn), await queries.all_minimum_wages(conn),
                await queries.all_skills(conn), await queries.all_sectors(conn),
            )
