"""Sign-up, sign-in and who-is-calling. Owns its transactions."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from market.accounts import logins, model, queries
from market.accounts.model import IssuedToken, Organisation, Worker
from market.kernel.principal import Principal
from market.constraints import Constraint, violated, violation_of
from market.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from market.kernel import clock
from market.sealing import Keyring, worker_id_number_aad

# OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
log = logging.getLogger(__name__)

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


# Unique constraints → which request field is the duplicate, and what to say.
_DUPLICATE_FIELDS = {
    Constraint.ACCOUNT_LOGIN: ("login", "an account with this login already exists"),
    Constraint.ACCOUNT_LOGIN_SKELETON: ("login", "this login looks like an existing one (it differs from it only by "
                                                 "look-alike characters); choose another"),
    Constraint.ORGANISATION_CREDIT_CODE: ("credit_code", "an account with this credit_code already exists"),
    Constraint.WORKER_ID_NUMBER: ("id_number", "an account with this id_number already exists"),
}


class TokenCache:
    """Principals of recently seen tokens, kept in this process for a few seconds.

    A request's token lookup is one PostgreSQL round trip, and a client sends the same token with
    every request; the cache answers repeats from memory. What that may get wrong, and why it is
    acceptable:

    - **Expiry is exact**: an entry never outlives its token's `expires_at`.
    - **Sign-out is exact in the process that served it**: `Accounts.sign_out` evicts the token,
      and a lookup that was already under way when it did is not cached (the eviction count
      changed meanwhile), so no later request here is answered from a stale entry.
    - **Another process** of the service (`serve --workers N`) may still accept a signed-out token
      for at most `ttl` (`MARKET_TOKEN_CACHE_TTL`, 5 s by default), as may any process after the
      tokens table was changed by hand. `ttl` of zero turns the cache off.

    Only tokens PostgreSQL accepted are cached (an unknown token is looked up each time), keyed by
    the token's SHA-256, never the token; at most `max_entries`, the oldest dropped first.
    """

    def __init__(self, ttl: timedelta, max_entries: int = 20_000) -> None:
        self.ttl_seconds = ttl.total_seconds()
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[float, Principal]] = {}
        self.evictions = 0  # counts sign-outs; a lookup spanning one is not cached

    def get(self, key: bytes) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: bytes, principal: Principal, expires_at: datetime, evictions_before: int) -> None:
        if self.ttl_seconds <= 0 or evictions_before != self.evictions:
            return
        left = min(self.ttl_seconds, (expires_at - clock.now()).total_seconds())
        if left <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + left, principal)

    def evict(self, key: bytes) -> None:
        self.evictions += 1
        self._entries.pop(key, None)

    def evict_account(self, account_id: uuid.UUID) -> None:
        """Every cached token of an account (its role in its organisation changed, or it was removed)."""
        self.evictions += 1
        for key in [k for k, (_, p) in self._entries.items() if p.account_id == account_id]:
            del self._entries[key]


class Accounts:
    def __init__(self, pool: asyncpg.Pool, hash_key: bytes, token_ttl: timedelta, *, keyring: Keyring,
                 token_cache_ttl: timedelta = timedelta(0)) -> None:
        self.pool = pool
        self.hash_key = hash_key
        # Seals the full resident ID at registration, for the tax filing only (docs/filings.md).
        self.keyring = keyring
        self.token_ttl = token_ttl
        self.tokens = TokenCache(token_cache_ttl)
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
        login = _login(new.login, "login", errors)
        if errors:
            raise ValidationFailed(errors)
        assert login is not None
        password_hash = await _hash_password(new.password)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                account_id = await self._insert_account(conn, "employer", login, password_hash, new.name)
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
        login = _login(new.phone, "phone", errors)
        if errors:
            raise ValidationFailed(errors)
        assert login is not None
        password_hash = await _hash_password(new.password)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                account_id = await self._insert_account(conn, "worker", login, password_hash, new.name)
                return await queries.insert_worker(
                    conn, account_id, new.name, model.keyed_hash(self.hash_key, id_number),
                    model.mask_resident_id(id_number), new.district_code,
                    self.keyring.seal(id_number, worker_id_number_aad(account_id)),
                )
            except asyncpg.UniqueViolationError as error:
                raise _duplicate(error) from None

    async def prepare_member_login(self, login: str, password: str) -> tuple[logins.Login, str]:
        """A member's login forms and password hash, checked as a sign-up's are (docs/organisations.md);
        ValidationFailed on field `login` when the login holds a character no login may."""
        errors: list[FieldError] = []
        forms = _login(login, "login", errors)
        if errors:
            raise ValidationFailed(errors)
        assert forms is not None
        return forms, await _hash_password(password)

    async def insert_member_account(self, conn: asyncpg.Connection, login: logins.Login, password_hash: str,
                                    display_name: str) -> uuid.UUID:
        """An employer account for a member of an organisation, in the caller's transaction; a
        Conflict on `login` when it (or a look-alike) is taken."""
        try:
            async with conn.transaction():
                return await self._insert_account(conn, "employer", login, password_hash, display_name)
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
            account_id = await queries.insert_account(conn, role, None, None, None, None, name)
            if role == "supervisor":
                await queries.add_supervisor_districts(conn, account_id, sorted(set(districts)))
            return await self._issue_token(conn, account_id, role)

    async def sign_in(self, login: str, password: str) -> IssuedToken:
        try:
            forms: logins.Login | None = logins.of(login)
        except logins.LoginRefused:
            forms = None  # no account holds such a login, unless one made before PRECIS was applied
        async with self.pool.acquire() as conn:
            account = None
            if forms is not None:
                account = await queries.account_for_login(conn, self._hash(forms.normalised))
            if account is None:
                account = await queries.account_for_legacy_login(conn, self._hash(logins.legacy_normalised(login)))
        stored = account.password_hash if account else self._dummy_hash
        if not await _verify_password(stored, password) or account is None:
            raise Unauthorized("the login or the password is wrong")
        async with self.pool.acquire() as conn, conn.transaction():
            if PASSWORD_HASHER.check_needs_rehash(stored):
                await queries.update_password_hash(conn, account.id, await _hash_password(password))
            if account.made_before_skeletons and forms is not None:
                await self._store_login_forms(conn, account.id, forms)
            return await self._issue_token(conn, account.id, account.role)

    async def sign_out(self, token: str) -> None:
        hashed = token_hash(token)
        self.tokens.evict(hashed)
        try:
            async with self.pool.acquire() as conn:
                await queries.revoke_token(conn, hashed)
        finally:
            self.tokens.evict(hashed)  # and anything cached while the revocation was under way

    async def authenticate(self, authorization: str, *, cached: bool = False) -> Principal:
        """The caller a bearer token names. `cached`: answer from the TokenCache when the token
        was looked up moments ago (what the auth middleware does on every request)."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use Authorization: Bearer <token>")
        hashed = token_hash(token.strip())
        if cached and (principal := self.tokens.get(hashed)) is not None:
            return principal
        evictions = self.tokens.evictions
        async with self.pool.acquire() as conn:
            found = await queries.principal_for_token(conn, hashed)
        if found is None:
            raise Unauthorized("the token is unknown, expired or revoked")
        principal, expires_at = found
        if cached:
            self.tokens.put(hashed, principal, expires_at, evictions)
        return principal

    async def own_organisation(self, principal: Principal) -> Organisation:
        if principal.organisation_id is None:
            raise NotFound("no organisation for this account")
        async with self.pool.acquire() as conn:
            organisation = await queries.organisation_by_id(conn, principal.organisation_id)
        if organisation is None:
            raise NotFound("no organisation for this account")
        return organisation

    def _hash(self, value: str) -> bytes:
        return model.keyed_hash(self.hash_key, value)

    def sign_in_identity(self, login: str) -> str:
        """What sign-in attempts for `login` are counted under (market/web/ratelimit.py): its
        skeleton (market/accounts/logins.py), so look-alikes of a login (a Cyrillic letter,
        full-width forms) share its count instead of multiplying it; keyed like stored logins, so
        Redis never holds a phone number or an e-mail address."""
        try:
            counted = "skeleton:" + logins.of(login).skeleton
        except logins.LoginRefused:
            counted = logins.legacy_normalised(login)
        return self._hash(counted).hex()

    async def _insert_account(self, conn: asyncpg.Connection, role: str, login: logins.Login, password_hash: str,
                              display_name: str) -> uuid.UUID:
        """The account, or UniqueViolationError naming the login, skeleton or other field taken."""
        prototype = logins.ascii_prototype(login)
        if prototype != login.normalised and await queries.account_for_legacy_login(conn, self._hash(prototype)):
            # An account made before skeletons were kept has no skeleton to collide with; the ASCII
            # login this one could pass for is the twin it would be.
            raise Conflict(_DUPLICATE_FIELDS[Constraint.ACCOUNT_LOGIN_SKELETON][1], field="login")
        return await queries.insert_account(conn, role, self._hash(login.normalised), self._hash(login.skeleton),
                                            model.mask_login(login.normalised), password_hash, display_name)

    async def _store_login_forms(self, conn: asyncpg.Connection, account_id: uuid.UUID, login: logins.Login) -> None:
        """An account made before skeletons were kept gets them at its first sign-in since. If
        another account already holds them (a look-alike registered meanwhile) it keeps its old
        hash: it still signs in, and the twin is for an operator to look at."""
        try:
            async with conn.transaction():
                await queries.store_login_forms(conn, account_id, self._hash(login.normalised),
                                                self._hash(login.skeleton))
        except asyncpg.UniqueViolationError as error:
            violated(error, Constraint.ACCOUNT_LOGIN, Constraint.ACCOUNT_LOGIN_SKELETON)
            log.warning("an account's login has a look-alike twin", extra={"account_id": str(account_id)})

    async def _issue_token(self, conn: asyncpg.Connection, account_id: uuid.UUID, role: str) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = clock.now() + self.token_ttl
        await queries.insert_token(conn, token_hash(token), account_id, expires_at)
        return IssuedToken(token, account_id, role, expires_at)

    async def _unknown_districts(self, codes: list[str]) -> list[str]:
        async with self.pool.acquire() as conn:
            known = await queries.active_districts(conn, codes)
        return [code for code in codes if code not in known]


def _duplicate(error: asyncpg.UniqueViolationError) -> Conflict:
    """The sign-up's answer to a login, credit code or ID number already taken; a uniqueness not
    listed (none is expected) still answers that the account exists, on no field in particular."""
    field, message = _DUPLICATE_FIELDS.get(violation_of(error), ("request", "this account already exists"))
    return Conflict(message, field=field)


def _login(text: str, field: str, errors: list[FieldError]) -> logins.Login | None:
    """The login's forms, or None with a field error for a character a login may not hold."""
    try:
        return logins.of(text)
    except logins.LoginRefused as refused:
        errors.append(FieldError((field,), str(refused)))
        return None


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
