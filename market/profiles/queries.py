"""SQL of the profiles package. Functions take a connection and return domain objects.

Times of day travel as minutes since midnight: Python's `datetime.time` cannot hold PostgreSQL's
'24:00', which an availability window may end at, so the SQL converts in both directions.
"""
from __future__ import annotations

import uuid
from collections import defaultdict

import asyncpg

from market.certificates.queries import SKILL_VALID_UNTIL
from market.kernel.relationships import RelationshipType
from market.orders.model import WorkerSkill
from market.profiles.model import Availability, AvailabilityException, Home, WeeklyWindow, WorkerProfile

PROFILE_COLUMNS = """
w.id, w.account_id, w.name, w.id_number_masked, w.district_code, w.home_lat, w.home_lon, w.max_travel_m,
w.accepts_auto_allocation, w.relationship_types, w.reliability
"""
PROFILES_BY_ID = "SELECT " + PROFILE_COLUMNS + " FROM workers w WHERE w.id = ANY($1::uuid[])"
# Taken first by every profile update, so that concurrent updates of one worker run one after another
# (two replacing the same list would otherwise both delete the old rows and collide inserting).
LOCK_PROFILE = "SELECT " + PROFILE_COLUMNS + " FROM workers w WHERE w.id = $1 FOR UPDATE"
SKILLS_OF_WORKERS = """
SELECT worker_id, skill_code, level,
       """ + SKILL_VALID_UNTIL.format(worker="worker_id", skill="skill_code") + """ AS certificate_valid_until
FROM worker_skills
WHERE worker_id = ANY($1::uuid[]) ORDER BY worker_id, skill_code
"""
WEEKLY_OF_WORKERS = """
SELECT worker_id, weekday, (extract(epoch FROM start_time) / 60)::int AS start_minute,
       (extract(epoch FROM end_time) / 60)::int AS end_minute
FROM worker_availability WHERE worker_id = ANY($1::uuid[]) ORDER BY worker_id, weekday, start_time
"""
EXCEPTIONS_OF_WORKERS = """
SELECT worker_id, day, (extract(epoch FROM start_time) / 60)::int AS start_minute,
       (extract(epoch FROM end_time) / 60)::int AS end_minute
FROM worker_availability_exceptions WHERE worker_id = ANY($1::uuid[]) ORDER BY worker_id, day
"""
UPDATE_PROFILE = """
UPDATE workers SET district_code = $2, home_lat = $3, home_lon = $4, max_travel_m = $5,
                   accepts_auto_allocation = $6, relationship_types = $7
WHERE id = $1
"""
DELETE_SKILLS = "DELETE FROM worker_skills WHERE worker_id = $1"
INSERT_SKILLS = """
INSERT INTO worker_skills (worker_id, skill_code, level)
SELECT $1, code, level FROM unnest($2::text[], $3::smallint[]) AS s(code, level)
"""
DELETE_WEEKLY = "DELETE FROM worker_availability WHERE worker_id = $1"
INSERT_WEEKLY = """
INSERT INTO worker_availability (worker_id, weekday, start_time, end_time)
SELECT $1, weekday, make_time(start_minute / 60, start_minute % 60, 0),
       make_time(end_minute / 60, end_minute % 60, 0)
FROM unnest($2::smallint[], $3::int[], $4::int[]) AS w(weekday, start_minute, end_minute)
"""
DELETE_EXCEPTIONS = "DELETE FROM worker_availability_exceptions WHERE worker_id = $1"
INSERT_EXCEPTIONS = """
INSERT INTO worker_availability_exceptions (worker_id, day, start_time, end_time)
SELECT $1, day, make_time(start_minute / 60, start_minute % 60, 0),
       make_time(end_minute / 60, end_minute % 60, 0)
FROM unnest($2::date[], $3::int[], $4::int[]) AS e(day, start_minute, end_minute)
"""


async def profiles(conn: asyncpg.Connection, worker_ids: list[uuid.UUID]) -> dict[uuid.UUID, WorkerProfile]:
    """The full profiles of `worker_ids` (unknown ids are absent), in four queries whatever the count."""
    rows = await conn.fetch(PROFILES_BY_ID, worker_ids)
    return await _with_lists(conn, rows)


async def lock_profile(conn: asyncpg.Connection, worker_id: uuid.UUID) -> WorkerProfile | None:
    row = await conn.fetchrow(LOCK_PROFILE, worker_id)
    if row is None:
        return None
    return (await _with_lists(conn, [row]))[worker_id]


async def update_profile(conn: asyncpg.Connection, profile: WorkerProfile) -> None:
    home = profile.home
    await conn.execute(UPDATE_PROFILE, profile.id, profile.district_code, home.lat if home else None,
                       home.lon if home else None, profile.max_travel_m, profile.accepts_auto_allocation,
                       sorted(profile.relationship_types))


async def replace_skills(conn: asyncpg.Connection, worker_id: uuid.UUID, skills: tuple[WorkerSkill, ...]) -> None:
    await conn.execute(DELETE_SKILLS, worker_id)
    await conn.execute(INSERT_SKILLS, worker_id, [s.skill_code for s in skills], [s.level for s in skills])


async def replace_weekly(conn: asyncpg.Connection, worker_id: uuid.UUID, windows: tuple[WeeklyWindow, ...]) -> None:
    await conn.execute(DELETE_WEEKLY, worker_id)
    await conn.execute(INSERT_WEEKLY, worker_id, [w.weekday for w in windows], [w.start for w in windows],
                       [w.end for w in windows])


async def replace_exceptions(conn: asyncpg.Connection, worker_id: uuid.UUID,
                             exceptions: tuple[AvailabilityException, ...]) -> None:
    await conn.execute(DELETE_EXCEPTIONS, worker_id)
    await conn.execute(INSERT_EXCEPTIONS, worker_id, [e.day for e in exceptions], [e.start for e in exceptions],
                       [e.end for e in exceptions])


async def _with_lists(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> dict[uuid.UUID, WorkerProfile]:
    ids = [row["id"] for row in rows]
    skills: dict[uuid.UUID, list[WorkerSkill]] = defaultdict(list)
    for row in await conn.fetch(SKILLS_OF_WORKERS, ids):
        skills[row["worker_id"]].append(WorkerSkill(row["skill_code"], row["level"],
                                                             row["certificate_valid_until"]))
    weekly: dict[uuid.UUID, list[WeeklyWindow]] = defaultdict(list)
    for row in await conn.fetch(WEEKLY_OF_WORKERS, ids):
        weekly[row["worker_id"]].append(WeeklyWindow(row["weekday"], row["start_minute"], row["end_minute"]))
    exceptions: dict[uuid.UUID, list[AvailabilityException]] = defaultdict(list)
    for row in await conn.fetch(EXCEPTIONS_OF_WORKERS, ids):
        exceptions[row["worker_id"]].append(
            AvailabilityException(row["day"], row["start_minute"], row["end_minute"]))
    return {
        row["id"]: WorkerProfile(
            id=row["id"], account_id=row["account_id"], name=row["name"],
            id_number_masked=row["id_number_masked"], district_code=row["district_code"],
            home=Home(row["home_lat"], row["home_lon"]) if row["home_lat"] is not None else None,
            max_travel_m=row["max_travel_m"], accepts_auto_allocation=row["accepts_auto_allocation"],
            relationship_types=frozenset(RelationshipType(t) for t in row["relationship_types"]),
            skills=tuple(skills[row["id"]]),
            availability=Availability(tuple(weekly[row["id"]]), tuple(exceptions[row["id"]])),
            reliability=row["reliability"],
        )
        for row in rows
    }
