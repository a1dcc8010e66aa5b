"""HR service agencies (人力资源服务机构, docs/agencies.md): licences reviewed by the operator,
mandates from client employers, acting in a client's name, the budget a posting commits, the
agency's own pool of workers. Owns its transactions; another party's licence or mandate is a 404."""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

from market.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.principal import Principal
from market.organisations import agency_queries as queries
from market.organisations import agency_rules as rules
from market.organisations.rules import MANDATE_SCOPES, is_owner


@dataclass(frozen=True)
class NewLicence:
    kind: str
    number: str
    issuing_bureau: str
    scope: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class NewMandate:
    agency_organisation_id: uuid.UUID
    scope: tuple[str, ...]
    budget_fen: int
    valid_from: date
    valid_until: date
    fee_per_placement_fen: int = 0
    fee_rate_bp: int = 0


class Agencies:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # ---- licences ---------------------------------------------------------------------------------

    async def submit_licence(self, caller: Principal, new: NewLicence) -> asyncpg.Record:
        organisation_id = _own(caller)
        number = rules.normalise_number(new.number)
        errors = []
        if problem := rules.number_problem(new.kind, number):
            errors.append(FieldError(("number",), problem))
        if problem := rules.validity_problem(new.kind, new.valid_from, new.valid_until, local_date(clock.now())):
            errors.append(FieldError(("valid_until",), problem))
        if errors:
            raise ValidationFailed(errors)
        async with self.pool.acquire() as conn, conn.transaction():
            if new.kind == "hr_service":  # an organisation holding a 人力资源服务许可证 is an agency
                await queries.mark_agency(conn, organisation_id)
            return await queries.upsert_licence(conn, organisation_id, new.kind, number, new.issuing_bureau,
                                                new.scope, new.valid_from, new.valid_until, caller.account_id)

    async def own_licences(self, caller: Principal) -> list[asyncpg.Record]:
        if caller.organisation_id is None:
            raise NotFound("no organisation for this account")
        async with self.pool.acquire() as conn:
            return await queries.licences_of(conn, caller.organisation_id)

    async def licence_queue(self) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await queries.pending_licences(conn)

    async def review_licence(self, caller: Principal, licence_id: uuid.UUID, verify: bool,
                             reason: str | None) -> asyncpg.Record:
        if not verify and not reason:
            raise ValidationFailed([FieldError(("reason",), "say why the licence is rejected")])
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.licence_for_update(conn, licence_id)
            if found is None:
                raise NotFound("no such licence")
            if found["state"] != "pending":
                raise Conflict(f"this licence was reviewed already ({found['state']})", current_state=found["state"])
            return await queries.review_licence(conn, licence_id, "verified" if verify else "rejected",
                                                None if verify else reason, caller.account_id)

    # ---- mandates ---------------------------------------------------------------------------------

    async def grant_mandate(self, caller: Principal, new: NewMandate) -> asyncpg.Record:
        client_id = _own(caller)
        errors = []
        if unknown := [s for s in new.scope if s not in MANDATE_SCOPES]:
            errors.append(FieldError(("scope",), f"unknown scope {unknown[0]!r}; one of {', '.join(MANDATE_SCOPES)}"))
        if new.valid_until < new.valid_from:
            errors.append(FieldError(("valid_until",), "valid_until precedes valid_from"))
        if new.agency_organisation_id == client_id:
            errors.append(FieldError(("agency_organisation_id",), "an organisation cannot mandate itself"))
        if errors:
            raise ValidationFailed(errors)
        async with self.pool.acquire() as conn, conn.transaction():
            if await queries.organisation_kind(conn, new.agency_organisation_id) != "agency":
                raise ValidationFailed([FieldError(("agency_organisation_id",),
                                                   "no such agency (an agency holds a 人力资源服务许可证)")])
            return await queries.insert_mandate(conn, client_id, new.agency_organisation_id, sorted(set(new.scope)),
                                                new.budget_fen, new.valid_from, new.valid_until,
                                                new.fee_per_placement_fen, new.fee_rate_bp, caller.account_id)

    async def mandates(self, caller: Principal) -> list[asyncpg.Record]:
        if caller.organisation_id is None:
            raise NotFound("no organisation for this account")
        async with self.pool.acquire() as conn:
            return await queries.mandates_of(conn, caller.organisation_id)

    async def revoke_mandate(self, caller: Principal, mandate_id: uuid.UUID) -> asyncpg.Record:
        client_id = _own(caller)
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.mandate(conn, mandate_id, for_update=True)
            if found is None or found["client_organisation_id"] != client_id:
                raise NotFound("no such mandate")
            revoked = await queries.revoke_mandate(conn, mandate_id)
            if revoked is None:
                raise Conflict("this mandate is revoked already", current_state="revoked")
            return revoked

    # ---- acting in a client's name ----------------------------------------------------------------

    async def acting(self, caller: Principal, mandate_id: uuid.UUID) -> Principal:
        """The caller (a member of an agency) as acting under its mandate: organisation_id the
        client's, with the agency and mandate named. Another agency's mandate is a 404."""
        if caller.role != "employer" or caller.organisation_id is None or caller.agency_organisation_id is not None:
            raise Forbidden("only an agency's member acts under a mandate")
        if caller.organisation_role == "finance":
            raise Forbidden("a finance member does not act under a mandate")
        async with self.pool.acquire() as conn:
            found = await queries.mandate(conn, mandate_id)
        if found is None or found["agency_organisation_id"] != caller.organisation_id:
            raise NotFound("no such mandate")
        if refusal := rules.mandate_refusal(found["state"], found["valid_from"], found["valid_until"],
                                            local_date(clock.now())):
            raise Conflict(refusal, current_state=found["state"])
        return dataclasses.replace(
            caller, organisation_id=found["client_organisation_id"], organisation_role="agency",
            site_ids=frozenset(), agency_organisation_id=caller.organisation_id, mandate_id=mandate_id,
            mandate_scope=frozenset(found["scope"]))

    async def after_posting(self, conn: asyncpg.Connection, caller: Principal, order_id: uuid.UUID) -> None:
        """In the posting's transaction: an agency posts only with a verified, current licence; under
        a mandate, the order's cost is committed against its budget under the mandate's lock (two
        postings racing for the last of it: one is refused), and the order names agency and mandate."""
        agency_id = caller.agency_organisation_id
        if agency_id is None and caller.organisation_id is not None \
                and await queries.organisation_kind(conn, caller.organisation_id) == "agency":
            agency_id = caller.organisation_id
        if agency_id is None:
            return
        today = local_date(clock.now())
        licence = await queries.hr_licence(conn, agency_id)
        if refusal := rules.licence_refusal(licence and licence["state"], licence and licence["valid_from"],
                                            licence and licence["valid_until"], today):
            raise Conflict(refusal, reason="agency_licence")
        if caller.mandate_id is None:
            return
        found = await queries.mandate(conn, caller.mandate_id, for_update=True)
        assert found is not None
        if refusal := rules.mandate_refusal(found["state"], found["valid_from"], found["valid_until"], today):
            raise Conflict(refusal, reason="mandate")
        cost = await queries.order_cost(conn, order_id)
        if refusal := rules.budget_refusal(found["budget_fen"], found["committed_fen"], cost):
            raise Conflict(refusal, reason="mandate_budget")
        await queries.commit_budget(conn, caller.mandate_id, cost)
        await queries.mark_order(conn, order_id, agency_id, caller.mandate_id)

    # ---- the agency's own pool --------------------------------------------------------------------

    async def join_pool(self, caller: Principal, agency_id: uuid.UUID) -> None:
        """A worker joins an agency's pool: their consent is this call (docs/agencies.md)."""
        assert caller.worker_id is not None
        async with self.pool.acquire() as conn, conn.transaction():
            if await queries.organisation_kind(conn, agency_id) != "agency":
                raise NotFound("no such agency")
            await queries.join_pool(conn, agency_id, caller.worker_id)

    async def leave_pool(self, caller: Principal, agency_id: uuid.UUID) -> None:
        assert caller.worker_id is not None
        async with self.pool.acquire() as conn, conn.transaction():
            if not await queries.leave_pool(conn, agency_id, caller.worker_id):
                raise NotFound("not in this agency's pool")

    async def pool_for_posting(self, caller: Principal) -> list[uuid.UUID]:
        """The workers an agency acting under a mandate brings to the order it posts (its own pool,
        who see its clients' orders first: source 'agency' in order_pool_members); none otherwise."""
        if caller.agency_organisation_id is None:
            return []
        async with self.pool.acquire() as conn:
            return await queries.agency_pool_workers(conn, caller.agency_organisation_id)

    async def pool_workers(self, caller: Principal) -> list[uuid.UUID]:
        agency_id = _own(caller)
        async with self.pool.acquire() as conn:
            return await queries.agency_pool_workers(conn, agency_id)


def _own(caller: Principal) -> uuid.UUID:
    if caller.organisation_id is None or caller.agency_organisation_id is not None:
        raise NotFound("no organisation for this account")
    if not is_owner(caller):
        raise Forbidden("only an owner of the organisation may do this")
    return caller.organisation_id


async def supervision_rows(pool: asyncpg.Pool, caller: Principal) -> list[asyncpg.Record]:
    """Per agency of the supervisor's districts: placements, fill rate, complaints, arrears."""
    async with pool.acquire() as conn:
        return await queries.agency_supervision(conn, sorted(caller.districts))
