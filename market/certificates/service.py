"""The certificates service: uploads, who sees them, their review, and the expiry reminders.

Also the one check other services run inside their own transaction before they let a worker hold
or start a seat (`refuse_unless_covered`: offer acceptance, check-in)."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from market.accounts.model import keyed_hash
from market.certificates import queries
from market.certificates.model import (
    REMINDER_DAYS, Certificate, Claim, Decision, State, check_decision, claim_errors, decided_state, mask_number,
    refuse_uncovered, reminder_due,
)
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.principal import Principal
from market.uploads import Store

# Two uploads of one file at once: the second's statement may neither insert nor see the first's row
# (queries.insert); its second attempt sees it.
INSERT_ATTEMPTS = 2


async def refuse_unless_covered(conn: asyncpg.Connection, worker_id: uuid.UUID, order_id: uuid.UUID,
                                shift_end: datetime, current_state: str) -> None:
    """A 409 (reason certificate_missing or certificate_expires) unless the worker holds every
    certificate the order's skills require, verified, through the last day of a shift ending at
    `shift_end`. Runs in the caller's transaction, so it judges the rows the caller's change sees."""
    refuse_uncovered(await queries.uncovered(conn, worker_id, order_id, shift_end), current_state)


async def certificate_shortfall(conn: asyncpg.Connection, worker_id: uuid.UUID, order_id: uuid.UUID,
                                shift_end: datetime) -> str | None:
    """The same judgement as a reason code (certificate_missing, certificate_expires), or None:
    for an allocation run's commit, which records a reason per seat instead of answering a 409."""
    uncovered = await queries.uncovered(conn, worker_id, order_id, shift_end)
    return uncovered[0].code if uncovered else None


@dataclass(frozen=True)
class CertificateFile:
    certificate: Certificate
    data: bytes


class Certificates:
    def __init__(self, pool: asyncpg.Pool, store: Store, hash_key: bytes) -> None:
        self.pool = pool
        self.store = store
        self.hash_key = hash_key

    async def upload(self, caller: Principal, claim: Claim, data: bytes, media_type: str, *,
                     now: datetime | None = None) -> tuple[Certificate, bool]:
        """A pending certificate from a file already judged by content (market/uploads.inspect),
        and whether it is new. Every check runs before the file is kept: a refused upload stores
        nothing. The same file of the same kind while still pending answers the first certificate."""
        worker_id = _worker_id(caller)
        if errors := claim_errors(claim, clock.today(now)):
            raise ValidationFailed(errors)
        async with self.pool.acquire() as conn:
            if not await queries.is_catalogue_kind(conn, claim.kind):
                raise ValidationFailed([FieldError(("kind",), "is not a certificate any skill of GET /v1/skills names")])
        stored = await asyncio.to_thread(self.store.put, data, media_type)
        number = "".join(claim.number.split()).upper()
        async with self.pool.acquire() as conn:
            for _ in range(INSERT_ATTEMPTS):
                made = await queries.insert(conn, worker_id, claim, keyed_hash(self.hash_key, number),
                                            mask_number(number), stored.sha256, stored.media_type, stored.size)
                if made is not None:
                    return made
        raise Conflict("the same file is being uploaded at this moment; retry")

    async def own(self, caller: Principal) -> list[Certificate]:
        async with self.pool.acquire() as conn:
            return await queries.of_worker(conn, _worker_id(caller))

    async def queue(self, caller: Principal, state: State, after: tuple | None, limit: int) -> list[Certificate]:
        """The review queue: certificates in `state` (pending by default) that the caller may see and,
        for the operator and employers dealing with the worker, review; oldest first."""
        async with self.pool.acquire() as conn:
            return await queries.queue(conn, state, caller, after, limit)

    async def one(self, caller: Principal, certificate_id: uuid.UUID) -> Certificate:
        """The certificate if the caller may see it; a 404 otherwise (its existence is not told)."""
        async with self.pool.acquire() as conn:
            return await _visible(conn, certificate_id, caller)

    async def file(self, caller: Principal, certificate_id: uuid.UUID) -> CertificateFile:
        certificate = await self.one(caller, certificate_id)
        return CertificateFile(certificate, await asyncio.to_thread(self.store.read, certificate.file_sha256))

    async def review(self, caller: Principal, certificate_id: uuid.UUID, decision: Decision, reason: str | None,
                     *, now: datetime | None = None) -> Certificate:
        """pending → verified | rejected by the operator or a reviewing employer, verified → revoked
        by the operator; a 409 with the current state when it is not in the state the decision
        needs (of two decisions at once, exactly one wins)."""
        now = clock.now(now)
        check_decision(caller.role, decision, reason)
        async with self.pool.acquire() as conn, conn.transaction():
            certificate = await _visible(conn, certificate_id, caller)
            reviewed = await _decide(conn, certificate, decided_state(certificate.state, decision), caller, reason, now)
            await emit(conn, "certificate.reviewed", {
                "certificate_id": reviewed.id, "kind": reviewed.kind, "state": reviewed.state.value,
                "valid_until": reviewed.valid_until, "reason": reviewed.reject_reason or reviewed.revoke_reason},
                worker_ids=[reviewed.worker_id])
            return reviewed

    async def send_reminders(self, *, now: datetime | None = None) -> int:
        """The expiry reminders due today, each sent once (certificate_reminders' key decides which
        process sends it); returns how many were sent."""
        now = clock.now(now)
        today = clock.today(now)
        async with self.pool.acquire() as conn:
            ending = await queries.ending_soon(conn, today, today + timedelta(days=max(REMINDER_DAYS)))
        sent = 0
        for certificate in ending:
            days = reminder_due(certificate.valid_until, today)
            if days is not None and await self._remind(certificate, days, now):
                sent += 1
        return sent

    async def _remind(self, certificate: Certificate, days_before: int, now: datetime) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await queries.record_reminder(conn, certificate.id, days_before):
                return False
            payload = {"certificate_id": certificate.id, "worker_id": certificate.worker_id, "kind": certificate.kind,
                       "valid_until": certificate.valid_until, "days_before": days_before}
            await emit(conn, "certificate.expiring", {**payload, "assignment_ids": []},
                       worker_ids=[certificate.worker_id])
            for organisation_id, assignment_ids in await queries.affected_seats(conn, certificate, now):
                await emit(conn, "certificate.expiring", {**payload, "assignment_ids": assignment_ids},
                           organisation_ids=[organisation_id])
            return True


async def _decide(conn: asyncpg.Connection, certificate: Certificate, state: State, caller: Principal,
                  reason: str | None, now: datetime) -> Certificate:
    """Write the decision, if the certificate is still as it was read; a 409 with its state now if
    a concurrent decision came first."""
    if state is State.revoked:
        decided = await queries.revoke(conn, certificate.id, caller.account_id, reason or "", now)
    else:
        decided = await queries.review(conn, certificate.id, state, caller.account_id,
                                       reason if state is State.rejected else None, now)
    if decided is None:
        current = await queries.state_of(conn, certificate.id)
        raise Conflict(f"the certificate is already {current.value}", current_state=current.value)
    return decided


async def _visible(conn: asyncpg.Connection, certificate_id: uuid.UUID, caller: Principal) -> Certificate:
    certificate = await queries.visible(conn, certificate_id, caller)
    if certificate is None:
        raise NotFound("no such certificate")
    return certificate


def _worker_id(caller: Principal) -> uuid.UUID:
    if caller.worker_id is None:
        raise NotFound("no worker profile for this account")
    return caller.worker_id

