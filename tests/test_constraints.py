"""The constraints the code reacts to are named in the schema, and their violations are read by
name (market/constraints.py): raced by concurrent database clients, the headcount CHECK refuses
every seat past the last one as "every seat is taken", and a CHECK that is not about seats is not
mistaken for one."""
from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from market.allocation.service import SeatTaken, hold_seat
from market.constraints import Constraint, violated, violation_of
from tests import factories
from tests.factories import at, gig_order_body, post_order

CONSTRAINT_KINDS = {asyncpg.CheckViolationError: "c", asyncpg.ExclusionViolationError: "x",
                    asyncpg.UniqueViolationError: "u"}


async def test_every_constraint_the_code_reacts_to_is_in_the_schema_by_its_name_and_kind(conn):
    for constraint in Constraint:
        kind = await conn.fetchval("SELECT contype::text FROM pg_constraint WHERE conname = $1",
                                   constraint.constraint_name)
        if kind is None:  # a unique index (a partial one: no constraint of its own) reports by its name
            assert constraint.violation is asyncpg.UniqueViolationError, constraint
            assert await conn.fetchval("SELECT indisunique FROM pg_index WHERE indexrelid = to_regclass($1)",
                                       constraint.constraint_name), constraint
        else:
            assert kind == CONSTRAINT_KINDS[constraint.violation], constraint


async def shift_of(client, employer, headcount: int) -> uuid.UUID:
    order = await post_order(client, employer, gig_order_body(
        shifts=[{"start": at(2, 9), "end": at(2, 13), "headcount": headcount}]))
    return uuid.UUID(order["shifts"][0]["id"])


async def test_twelve_clients_seating_workers_on_a_three_seat_shift_at_once_seat_three_and_refuse_nine_by_name(
        client, conn, database):
    employer = await factories.employer(client)
    shift_id = await shift_of(client, employer, headcount=3)
    workers = [uuid.UUID((await factories.worker(client, id_number=factories.resident_id(born=f"198802{day:02d}"))).id)
               for day in range(1, 13)]
    clients = [await asyncpg.connect(database) for _ in workers]
    try:
        # No order lock taken (acceptance takes one): only the database stands between them.
        outcomes = await asyncio.gather(*(hold_seat(c, shift_id=shift_id, worker_id=w, rate_fen=3000)
                                          for c, w in zip(clients, workers)), return_exceptions=True)
    finally:
        for c in clients:
            await c.close()
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(outcomes) - len(refused) == 3
    assert all(isinstance(o, SeatTaken) and o.extra["reason"] == "seat_taken" for o in refused), refused
    assert await conn.fetchval("SELECT filled FROM shifts WHERE id = $1", shift_id) == 3
    assert await conn.fetchval("SELECT count(*) FROM assignments WHERE shift_id = $1", shift_id) == 3


async def test_a_check_that_is_not_the_headcount_is_not_reported_as_a_taken_seat(client, conn):
    employer = await factories.employer(client)
    shift_id = await shift_of(client, employer, headcount=3)
    worker = await factories.worker(client)
    with pytest.raises(asyncpg.CheckViolationError) as refused:  # assignments.rate_fen > 0
        await hold_seat(conn, shift_id=shift_id, worker_id=uuid.UUID(worker.id), rate_fen=0)
    assert refused.value.constraint_name == "assignments_rate_fen_check"
    assert violation_of(refused.value) is None
    with pytest.raises(asyncpg.CheckViolationError):
        violated(refused.value, Constraint.SHIFT_HEADCOUNT)  # re-raised as it is
