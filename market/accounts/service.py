"""Sign-up, sign-in and who-is-calling. Owns its transactions."""
from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from market.accounts import model, queries
from market.accounts.model import IssuedToken, Organisation, Principal, Worker
from market.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed

# OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
TOKEN_PREFIX = "mkt_"
UNKNOWN_DISTRICT = "{!r} is not an active Chongqing district code (see GET /v1/districts)"


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class NewEmployer:
    name: str
    credit_code: str
    district_code: str
    login: str
    password: str


@dataclass(frozen=True)
class NewWorker:
    name: str
    id_number: str
    district_code: str
    phone: str
    password: str


# Unique constraints → which request field is the duplicate.
_DUPLICATE_FIELDS = {
    "accounts_login_hash_key": "login",
    "organisations_credit_code_key": "credit_code",
    "workers_id_number_hash_key": "id_number",
}


class Accounts:
    def __init__(self, pool: asyncpg.Pool, hash_key: bytes, token_ttl: timedelta) -> None:
        self.pool = pool
        self.hash_key = hash_key
        self.token_ttl = token_ttl
        # Verified against when a login is unknown, so that an unknown login costs as much time as
        # a wrong password and timing does not reveal which logins exist.
        self._dummy_hash = PASSWORD_HASHER.hash(secrets.token_hex(16))

    async def register_employer(self, new: NewEmployer) -> Organisation:
        credit_code = new.credit_code.strip().upper()
        errors = []
        if problem := model.credit_code_problem(credit_code):
            errors.append(FieldError(("credit_code",), problem))
        if await self._unknown_districts([new.district_code]):
            errors.append(FieldError(("district_code",), UNKNOWN_DISTRICT.format(new.district_code)))
        if errors:
            raise ValidationFailed(errors)
        login = model.normalise_login(new.login)
        password_hash = await _hash_password(new.password)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                account_id = await queries.insert_account(
                    conn, "employer", model.keyed_hash(self.hash_key, login), model.mask_login(login),
                    password_hash, new.name,
                )
                return await queries.insert_organisation(conn, account_id, new.name, credit_code, new.district_code)
            except asyncpg.UniqueViolationError as error:
                raise _duplicate(error) from None

    async def register_worker(self, new: NewWorker) -> Worker:
        id_number = model.normalise_resident_id(new.id_number)
        errors = []
        if problem := model.resident_id_problem(id_number):
            errors.append(FieldError(("id_number",), problem))
        if await self._unknown_districts([new.district_code]):
            errors.append(FieldError(("district_code",), UNKNOWN_DISTRICT.format(new.district_code)))
        if errors:
            raise ValidationFailed(errors)
        login = model.normalise_login(new.phone)
        password_hash = await _hash_password(new.password)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                account_id = await queries.insert_account(
                    conn, "worker", model.keyed_hash(self.hash_key, login), model.mask_login(login),
                    password_hash, new.name,
                )
                return await queries.insert_worker(
                    conn, account_id, new.name, model.keyed_hash(self.hash_key, id_number),
                    model.mask_resident_id(id_number), new.district_code,
                )
            except asyncpg.UniqueViolationError as error:
                raise _duplicate(error) from None

    async def create_staff(self, role: str, name: str, districts: list[str]) -> IssuedToken:
        """A supervisor (scoped to districts) or an admin; they sign in with the token printed once."""
        if role == "supervisor":
            if not districts:
                raise ValidationFailed([FieldError(("districts",), "a supervisor needs at least one district")])
            if unknown := await self._unknown_districts(districts):
                raise ValidationFailed([FieldError(("districts",), UNKNOWN_DISTRICT.format(code)) for code in unknown])
        async with self.pool.acquire() as conn, conn.transaction():
            account_id = await queries.insert_account(conn, role, None, None, None, name)
            if role == "supervisor":
                await queries.add_supervisor_districts(conn, account_id, sorted(set(districts)))
            return await self._issue_token(conn, account_id, role)

    async def sign_in(self, login: str, password: str) -> IssuedToken:
        login_hash = model.keyed_hash(self.hash_key, model.normalise_login(login))
        async with self.pool.acquire() as conn:
            account = await queries.account_for_login(conn, login_hash)
        stored = account["password_hash"] if account else self._dummy_hash
        if not await _verify_password(stored, password) or account is None:
            raise Unauthorized("login or password is wrong")
        async with self.pool.acquire() as conn, conn.transaction():
            if PASSWORD_HASHER.check_needs_rehash(stored):
                await queries.update_password_hash(conn, account["id"], await _hash_password(password))
            return await self._issue_token(conn, account["id"], account["role"])

    async def sign_out(self, token: str) -> None:
        async with self.pool.acquire() as conn:
            await queries.revoke_token(conn, token_hash(token))

    async def authenticate(self, authorization: str) -> Principal:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use Authorization: Bearer <token>")
        async with self.pool.acquire() as conn:
            principal = await queries.principal_for_token(conn, token_hash(token.strip()))
        if principal is None:
            raise Unauthorized("the token is unknown, expired or revoked")
        return principal

    async def own_organisation(self, principal: Principal) -> Organisation:
        if principal.organisation_id is None:
            raise NotFound("no organisation for this account")
        async with self.pool.acquire() as conn:
            organisation = await queries.organisation_by_id(conn, principal.organisation_id)
        if organisation is None:
            raise NotFound("no organisation for this account")
        return organisation

    async def _issue_token(self, conn: asyncpg.Connection, account_id: uuid.UUID, role: str) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = datetime.now(timezone.utc) + self.token_ttl
        await queries.insert_token(conn, token_hash(token), account_id, expires_at)
        return IssuedToken(token, account_id, role, expires_at)

    async def _unknown_districts(self, codes: list[str]) -> list[str]:
        async with self.pool.acquire() as conn:
            known = await queries.active_districts(conn, codes)
        return [code for code in codes if code not in known]


def _duplicate(error: asyncpg.UniqueViolationError) -> Conflict:
    field = _DUPLICATE_FIELDS.get(error.constraint_name or "", "request")
    return Conflict(f"an account with this {field} already exists", field=field)


async def _hash_password(password: str) -> str:
    # argon2 is deliberately slow (tens of ms): keep it off the event loop.
    return await asyncio.get_running_loop().run_in_executor(None, PASSWORD_HASHER.hash, password)


async def _verify_password(stored: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return PASSWORD_HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(None, verify)
