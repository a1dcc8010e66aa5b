"""Registering, confirming and ending employment records. Owns its transactions and decides who
may touch which record: the employer that registered it and the worker it names; anyone else is
told it does not exist (404).

A record names its employee by the keyed hash of the resident ID number, registered or not, and
shows the employer no one until the worker confirms: registering a stranger's number tells nothing
about them, not even whether they have signed up (the same answer, the same statements run)."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.accounts import model as accounts_model
from market.kernel.principal import Principal
from market.catalogue.model import MinimumWageTable
from market.catalogue.service import Catalogue
from market.employment import model, queries
from market.employment.model import Employment, EmploymentAction, EmploymentState, NewEmployment
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.kernel import clock

NO_SUCH_WORKER = "no worker with this id; name the employee by id_number if they have not signed up yet"
WORKER_ACTIONS = frozenset({EmploymentAction.confirm, EmploymentAction.decline})


class Employments:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue, hash_key: bytes) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.hash_key = hash_key

    async def register(self, caller: Principal, new: NewEmployment, *, now: datetime | None = None) -> Employment:
        """Register one of the caller's employees; the record is pending until the worker confirms."""
        organisation_id = _organisation_id(caller)
        now = clock.now(now)
        today = clock.local_date(now)
        data = await self.catalogue.data()
        async with self.pool.acquire() as conn, conn.transaction():
            errors: list[FieldError] = []
            person, field = await self._person(conn, new, errors)
            district = data.district(await queries.organisation_district(conn, organisation_id) or "")
            if district is not None:
                minimum = MinimumWageTable(data.minimum_wages).standard_on(district.tier, today)
                if problem := model.wage_problem(new.agreed_hourly_wage_fen, minimum, district.name, today):
                    errors.append(problem)
            if errors:
                raise ValidationFailed(errors)
            assert person is not None
            id_number_hash, given_mask = person
            employment_id = await queries.insert_employment(conn, organisation_id, id_number_hash, given_mask,
                                                            new.job_title, new.agreed_hourly_wage_fen, now)
            if employment_id is None:
                current = await queries.current_employment(conn, organisation_id, id_number_hash)
                extra = {"employment_id": str(current[0]), "current_state": current[1].value} if current else {}
                raise Conflict("this employee already has a pending or active employment record with you",
                               field=field, **extra)
            employment = await queries.employment_for_employer(conn, employment_id)
            assert employment is not None
            return employment

    async def confirm(self, caller: Principal, employment_id: uuid.UUID, *, now: datetime | None = None) -> Employment:
        return await self._transition(caller, employment_id, EmploymentAction.confirm, now)

    async def decline(self, caller: Principal, employment_id: uuid.UUID) -> Employment:
        return await self._transition(caller, employment_id, EmploymentAction.decline)

    async def end(self, caller: Principal, employment_id: uuid.UUID) -> Employment:
        return await self._transition(caller, employment_id, EmploymentAction.end)

    async def of_employer(self, caller: Principal, *, state: EmploymentState | None,
                          after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Employment]:
        """The caller's employees, newest first; fetch limit + 1 to learn whether a next page exists."""
        async with self.pool.acquire() as conn:
            return await queries.employments_of_organisation(conn, _organisation_id(caller),
                                                             state.value if state else None, after, limit)

    async def of_worker(self, caller: Principal, *, state: EmploymentState | None,
                        after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Employment]:
        """The caller's own employment records, newest first."""
        if caller.worker_id is None:
            raise NotFound("no worker profile for this account")
        async with self.pool.acquire() as conn:
            return await queries.employments_of_worker(conn, caller.worker_id, state.value if state else None,
                                                       after, limit)

    async def _person(self, conn: asyncpg.Connection, new: NewEmployment,
                      errors: list[FieldError]) -> tuple[tuple[bytes, str | None] | None, str]:
        """The person the registration names — the keyed hash of their ID number, and the mask of
        the number when the employer gave one — and the request field that named them."""
        if new.worker_id is not None:
            # A worker id is the platform's own random name for an account, not a person's number:
            # an unknown one is simply wrong, and saying so tells nothing about anyone.
            id_number_hash = await queries.worker_id_number_hash(conn, new.worker_id)
            if id_number_hash is None:
                errors.append(FieldError(("worker_id",), NO_SUCH_WORKER))
                return None, "worker_id"
            return (id_number_hash, None), "worker_id"
        number = accounts_model.normalise_resident_id(new.id_number or "")
        if problem := accounts_model.resident_id_problem(number):
            errors.append(FieldError(("id_number",), problem))
            return None, "id_number"
        # Not looked up: whether anyone with this number has signed up changes nothing here, so the
        # answer (and its time) cannot tell. The worker finds the record under their number.
        return (accounts_model.keyed_hash(self.hash_key, number), accounts_model.mask_resident_id(number)), "id_number"

    async def _transition(self, caller: Principal, employment_id: uuid.UUID, action: EmploymentAction,
                          now: datetime | None = None) -> Employment:
        now = clock.now(now)
        # Worker actions are for the named worker only, ending for the registering employer only.
        if action in WORKER_ACTIONS:
            worker_id, organisation_id = caller.worker_id, None
        else:
            worker_id, organisation_id = None, caller.organisation_id
        async with self.pool.acquire() as conn, conn.transaction():
            current = await queries.lock_employment_of_party(conn, employment_id, worker_id, organisation_id)
            if current is None:
                raise NotFound("no such employment")
            new_state = model.next_state(current, action)
            decided_at = now if action in WORKER_ACTIONS else None
            await queries.set_state(conn, employment_id, new_state, decided_at, worker_id, now)
            if action in WORKER_ACTIONS:
                employment = await queries.employment_for_worker(conn, employment_id)
            else:
                employment = await queries.employment_for_employer(conn, employment_id)
            assert employment is not None
            return employment


def _organisation_id(caller: Principal) -> uuid.UUID:
    if caller.organisation_id is None:
        raise NotFound("no organisation for this account")
    return caller.organisation_id
