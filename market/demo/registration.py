"""Signing up the demo's thousands of parties quickly, by the same rules as `Accounts`.

`Accounts.register_worker` hashes each password with argon2id (tens of ms, deliberately), so three
thousand sign-ups would take minutes on two cores. Every demo account has the same password, so
this module hashes it once and stores that one hash for all of them: argon2 hashes carry their
own salt, and a shared hash verifies for each account exactly as a per-account one would. All
else is what `Accounts` does: the same checksum validation (GB 32100, GB 11643), the same keyed
hashes and masks, the same `accounts.queries` inserts, in batched transactions.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import asyncpg

from market.accounts import logins, model, queries
from market.kernel.principal import Principal
from market.accounts.service import PASSWORD_HASHER
from market.demo.plan import PASSWORD, EmployerPlan, WorkerPlan
from market.sealing import Keyring, worker_id_number_aad

BATCH = 500


class InvalidIdentity(ValueError):
    """A generated identity failed its checksum: a bug in the generator, never data."""


async def password_hash() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, PASSWORD_HASHER.hash, PASSWORD)


async def register_employers(pool: asyncpg.Pool, hash_key: bytes, employers: Sequence[EmployerPlan],
                             hashed: str) -> list[Principal]:
    principals = []
    for start in range(0, len(employers), BATCH):
        async with pool.acquire() as conn, conn.transaction():
            for plan in employers[start:start + BATCH]:
                if problem := model.credit_code_problem(plan.credit_code):
                    raise InvalidIdentity(f"{plan.credit_code}: {problem}")
                account_id = await _insert_account(conn, hash_key, "employer", plan.login, hashed, plan.name)
                organisation = await queries.insert_organisation(conn, account_id, plan.name, plan.credit_code,
                                                                 plan.district)
                principals.append(Principal(account_id, "employer", plan.name, organisation_id=organisation.id))
    return principals


async def register_workers(pool: asyncpg.Pool, hash_key: bytes, keyring: Keyring, workers: Sequence[WorkerPlan],
                           hashed: str) -> list[Principal]:
    principals = []
    for start in range(0, len(workers), BATCH):
        async with pool.acquire() as conn, conn.transaction():
            for plan in workers[start:start + BATCH]:
                number = model.normalise_resident_id(plan.id_number)
                if problem := model.resident_id_problem(number):
                    raise InvalidIdentity(f"{model.mask_resident_id(number)}: {problem}")
                account_id = await _insert_account(conn, hash_key, "worker", plan.phone, hashed, plan.name)
                worker = await queries.insert_worker(conn, account_id, plan.name, model.keyed_hash(hash_key, number),
                                                     model.mask_resident_id(number), plan.district,
                                                     keyring.seal(number, worker_id_number_aad(account_id)))
                principals.append(Principal(account_id, "worker", plan.name, worker_id=worker.id))
    return principals


async def _insert_account(conn: asyncpg.Connection, hash_key: bytes, role: str, login_text: str, hashed: str,
                          name: str) -> uuid.UUID:
    login = logins.of(login_text)  # the same forms `Accounts` stores: normalised and skeleton, keyed
    return await queries.insert_account(conn, role, model.keyed_hash(hash_key, login.normalised),
                                        model.keyed_hash(hash_key, login.skeleton), model.mask_login(login.normalised),
                                        hashed, name)


def worker_ids(principals: Sequence[Principal]) -> list[uuid.UUID]:
    return [p.worker_id for p in principals if p.worker_id is not None]
