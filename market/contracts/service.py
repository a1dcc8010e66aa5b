"""Written agreements: rendering in the background, reading, signing, verifying, and the
signing rates supervisors see. Owns its transactions.

Who sees an agreement: its parties (the worker, the employer — the borrower, for shared labor —
and the lender), the platform's admin, and the supervisors of the order's district; anyone else
is told it does not exist (404). Verifying is open to anyone holding the document (or its hash):
the answer names the agreement and its signatures by role and time, nothing the document does
not already say.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

import asyncpg

from market.background import raise_if_cancelled
from market.contracts import model, queries, render
from market.errors import Conflict, Forbidden, NotFound
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.principal import Principal

log = logging.getLogger(__name__)
Of = Literal["assignment", "agreement"]  # what an agreement is of: a seat, or a three-party agreement
FINDERS = {"assignment": queries.contract_of_assignment, "agreement": queries.contract_of_agreement}


class PayDueDate(Protocol):
    """Settlement's rule (`settlement.rules.pay_due_date`): the last day to pay for work done on
    `shift_date` under a pay cycle of `pay_cycle_days`, moved earlier off rest days; handed in by
    settlement's wiring (keys.PAY_DUE_DATE), since contracts sits below settlement."""

    def __call__(self, shift_date: date, pay_cycle_days: int = ...) -> date: ...


@dataclass(frozen=True)
class ContractView:
    contract: model.Contract
    # the caller's roles in it (none for an admin or a supervisor): what they may sign
    caller_roles: tuple[str, ...]


def render_document(terms: model.Terms) -> tuple[bytes, bytes]:
    """Fill and render in one call (what the executor runs, in a process of its own by default)."""
    document = render.render(model.fill(terms))
    return document, render.sha256(document)


class Contracts:
    def __init__(self, pool: asyncpg.Pool, *, no_show_grace: timedelta, pay_due_date: Callable[[], PayDueDate],
                 executor: Callable[[], Executor | None]) -> None:
        self.pool = pool
        self.no_show_grace_minutes = int(no_show_grace.total_seconds() // 60)
        self._pay_due_date = pay_due_date  # looked up when used: settlement's wiring fills its key
        self._executor = executor

    # ---- rendering ----------------------------------------------------------------------------------

    async def render_pending(self, *, now: datetime | None = None, limit: int = 100) -> int:
        """Render pending agreements, oldest first, one transaction each (SKIP LOCKED: several
        processes share the work); the number rendered. Three-party agreements get their pending
        contract here first."""
        async with self.pool.acquire() as conn:
            await queries.insert_pending_for_agreements(conn)
        done, failed = 0, list[uuid.UUID]()
        while done < limit:
            contract_id: uuid.UUID | None = None
            async with self.pool.acquire() as conn:
                try:
                    async with conn.transaction():
                        contract_id = await queries.claim_pending(conn, failed)
                        if contract_id is None:
                            return done
                        await self._render(conn, contract_id, clock.now(now))
                except Exception as error:  # one agreement that cannot render does not hold up the others
                    raise_if_cancelled(error)
                    if contract_id is None:
                        raise
                    log.exception("agreement not rendered", extra={"contract_id": str(contract_id)})
                    failed.append(contract_id)
                    continue
            done += 1
        return done

    async def _render_if_pending(self, contract_id: uuid.UUID, now: datetime) -> None:
        """Render now, for a reader who asked before the background did (waits for a renderer
        already at it, then finds nothing left to do)."""
        async with self.pool.acquire() as conn, conn.transaction():
            if await queries.lock_pending(conn, contract_id):
                await self._render(conn, contract_id, now)

    async def _render(self, conn: asyncpg.Connection, contract_id: uuid.UUID, now: datetime) -> None:
        facts = await queries.facts(conn, contract_id)
        last_day = clock.local_date(max(facts.row["ends"])) if facts.row["ends"] else clock.local_date(now)
        terms = facts.terms(self.no_show_grace_minutes,
                            self._pay_due_date()(last_day, facts.row["pay_cycle_days"]))
        document, digest = await asyncio.get_running_loop().run_in_executor(self._executor(), render_document, terms)
        await queries.record_rendering(conn, contract_id, document, digest, terms.as_json(), now)
        contract = await queries.contract_by_id(conn, contract_id)
        assert contract is not None
        workers, organisations = _parties(contract)
        await emit(conn, "agreement.ready", _payload(contract, sha256=contract.sha256,
                                                     written_required=contract.written_required),
                   worker_ids=workers, organisation_ids=organisations)

    # ---- reading -------------------------------------------------------------------------------------

    async def view(self, caller: Principal, of: Of, key: uuid.UUID, *, now: datetime | None = None) -> ContractView:
        """The agreement of an assignment or of a three-party agreement (`of`), rendered first if
        the background has not got to it yet."""
        return await self._view(caller, of, key, clock.now(now))

    async def _view(self, caller: Principal, of: Of, key: uuid.UUID, now: datetime) -> ContractView:
        async with self.pool.acquire() as conn:
            contract = await FINDERS[of](conn, key)
        contract = self._visible(caller, contract)
        if contract.state == "pending":
            await self._render_if_pending(contract.id, now)
            async with self.pool.acquire() as conn:
                contract = await queries.contract_by_id(conn, contract.id)
            assert contract is not None
        return ContractView(contract, tuple(contract.roles_of(party_of(caller))))

    async def document(self, caller: Principal, of: Of, key: uuid.UUID, *,
                       now: datetime | None = None) -> tuple[model.Contract, bytes]:
        view = await self._view(caller, of, key, clock.now(now))
        async with self.pool.acquire() as conn:
            document = await queries.document(conn, view.contract.id)
        assert document is not None  # rendered by _view
        return view.contract, document

    @staticmethod
    def _visible(caller: Principal, contract: model.Contract | None) -> model.Contract:
        if contract is None or not (caller.role == "admin"
                                    or (caller.role == "supervisor" and contract.district_code in caller.districts)
                                    or contract.roles_of(party_of(caller))):
            raise NotFound("no such agreement")
        return contract

    # ---- signing -------------------------------------------------------------------------------------

    async def sign(self, caller: Principal, of: Of, key: uuid.UUID, sha256: str, *,
                   now: datetime | None = None) -> ContractView:
        """The caller signs, as each role they hold in the agreement (an organisation is one
        party), the document whose hash they send. A hash that is not the document's, or a party
        that has already signed, is a 409 with the agreement's current state; concurrent
        signatures of one party are one signature (the contract's row lock, then the unique
        constraint contract_signatures_one_per_party)."""
        now = clock.now(now)
        visible = (await self._view(caller, of, key, now)).contract  # and rendered
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.lock_contract(conn, visible.id)
            contract = await queries.contract_by_id(conn, visible.id)
            assert contract is not None
            roles = contract.roles_of(party_of(caller))
            if not roles:
                raise Forbidden("only a party of this agreement signs it")
            for role in roles:
                if refusal := model.sign_refusal(contract, role, sha256):
                    raise Conflict(refusal, current_state=contract.state, sha256=contract.sha256,
                                   signed_by=[s.role for s in contract.signatures])
                await queries.insert_signature(conn, contract.id, role, contract.party_ids[role], caller.account_id,
                                               bytes.fromhex(sha256), now)
            signed = await queries.contract_by_id(conn, contract.id)
            assert signed is not None
            workers, organisations = _parties(signed)
            for role in roles:
                await emit(conn, "agreement.signed", _payload(signed, role=role, state=signed.state,
                                                              missing_roles=signed.missing_roles()),
                           worker_ids=workers, organisation_ids=organisations)
            return ContractView(signed, tuple(roles))

    # ---- verifying, the check-in gate, supervision ------------------------------------------------------

    async def verify(self, sha256: bytes) -> model.Contract:
        async with self.pool.acquire() as conn:
            contract = await queries.contract_by_sha256(conn, sha256)
        if contract is None:
            raise NotFound("no agreement of this platform has this hash")
        return contract

    async def verify_document(self, document: bytes) -> model.Contract:
        return await self.verify(hashlib.sha256(document).digest())

    async def signing_rates(self, caller: Principal, district: str | None) -> list[queries.SigningRate]:
        if district is not None and district not in caller.districts:
            raise Forbidden(f"outside your districts: {district}", districts=[district])
        async with self.pool.acquire() as conn:
            return await queries.signing_rates(conn, [district] if district else sorted(caller.districts))


async def check_in_refusal(conn: asyncpg.Connection, assignment_id: uuid.UUID) -> str | None:
    """Why the worker of `assignment_id` may not check in yet, or None (attendance asks, in its
    check-in transaction): the written agreement the law asks for is not signed by every party."""
    return model.check_in_refusal(await queries.contract_of_assignment(conn, assignment_id))


def _payload(contract: model.Contract, **facts: Any) -> dict[str, Any]:
    """An agreement event's payload (market/events/payloads.py): which agreement, and `facts`."""
    return {"agreement_id": str(contract.id), "assignment_id": _text(contract.assignment_id),
            "shared_agreement_id": _text(contract.agreement_id), **facts}


def _parties(contract: model.Contract) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Whom an agreement event is for: its worker, and its organisations (employer, lender)."""
    ids = contract.party_ids
    return [ids["worker"]], [ids[role] for role in ("employer", "lender") if role in ids]


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def party_of(caller: Principal) -> uuid.UUID | None:
    """The party a caller is in an agreement: their worker, or their organisation."""
    return caller.worker_id if caller.role == "worker" else caller.organisation_id
