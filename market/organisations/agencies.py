"""HR service agencies (人力资源服务机构, docs/agencies.md): licences reviewed by the operator,
mandates from client employers, acting in a client's name, the budget a posting commits, the
agency's own pool of workers. Owns its transactions; another party's licence or mandate is a 404."""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from market.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import local_date
from market.kernel.principal import Principal
from market.organisations import agency_queries as queries
from market.organisations import agency_rules as rules
from market.organisations.agency_records import Licence, Mandate
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


@dataclass(frozen=True)
class FeeLine:
    """One service fee of the agency (a settled placement's), and where its payout stands:
    payout_state `outstanding` (in no payout yet), `pending` (in a batch the bank has not confirmed)
    or `paid`."""

    id: uuid.UUID
    order_id: uuid.UUID
    client_organisation_id: uuid.UUID
    client_name: str
    assignment_id: uuid.UUID
    fee_fen: int
    posted_at: datetime
    payout_id: uuid.UUID | None
    payout_state: str
    paid_at: datetime | None


@dataclass(frozen=True)
class FeeTotals:
    """The fees posted in a period, those the bank confirmed paid, and the rest (posted − paid)."""

    posted_fen: int
    paid_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.posted_fen - self.paid_fen


class Agencies:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # ---- licences ---------------------------------------------------------------------------------

    async def submit_licence(self, caller: Principal, new: NewLicence) -> Licence:
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

    async def own_licences(self, caller: Principal) -> list[Licence]:
        if caller.organisation_id is None:
            raise NotFound("no organisation for this account")
        async with self.pool.acquire() as conn:
            return await queries.licences_of(conn, caller.organisation_id)

    async def licence_queue(self) -> list[Licence]:
        async with self.pool.acquire() as conn:
            return await queries.pending_licences(conn)

    async def review_licence(self, caller: Principal, licence_id: uuid.UUID, verify: bool,
                             reason: str | None) -> Licence:
        if not verify and not reason:
            raise ValidationFailed([FieldError(("reason",), "say why the licence is rejected")])
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.licence_for_update(conn, licence_id)
            if found is None:
                raise NotFound("no such licence")
            if found.state != "pending":
                raise Conflict(f"this licence was reviewed already ({found.state})", current_state=found.state)
            reviewed = await queries.review_licence(conn, licence_id, "verified" if verify else "rejected",
                                                    None if verify else reason, caller.account_id)
            await emit(conn, "agency.licence_reviewed", {
                "organisation_id": reviewed.organisation_id, "licence_id": reviewed.id, "kind": reviewed.kind,
                "decision": reviewed.state, "reason": reviewed.reject_reason},
                organisation_ids=[reviewed.organisation_id])
            return reviewed

    # ---- mandates ---------------------------------------------------------------------------------

    async def grant_mandate(self, caller: Principal, new: NewMandate) -> Mandate:
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
            granted = await queries.insert_mandate(conn, client_id, new.agency_organisation_id,
                                                   sorted(set(new.scope)), new.budget_fen, new.valid_from,
                                                   new.valid_until, new.fee_per_placement_fen, new.fee_rate_bp,
                                                   caller.account_id)
            await emit(conn, "mandate.granted", _mandate_event(granted),
                       organisation_ids=[client_id, new.agency_organisation_id])
            return granted

    async def mandates(self, caller: Principal) -> list[Mandate]:
        if caller.organisation_id is None:
            raise NotFound("no organisation for this account")
        async with self.pool.acquire() as conn:
            return await queries.mandates_of(conn, caller.organisation_id)

    async def revoke_mandate(self, caller: Principal, mandate_id: uuid.UUID) -> Mandate:
        client_id = _own(caller)
        async with self.pool.acquire() as conn, conn.transaction():
            found = await queries.mandate(conn, mandate_id, for_update=True)
            if found is None or found.client_organisation_id != client_id:
                raise NotFound("no such mandate")
            revoked = await queries.revoke_mandate(conn, mandate_id)
            if revoked is None:
                raise Conflict("this mandate is revoked already", current_state="revoked")
            await emit(conn, "mandate.revoked", _mandate_event(revoked),
                       organisation_ids=[client_id, revoked.agency_organisation_id])
            return revoked

    # ---- the agency's fees ------------------------------------------------------------------------

    async def fees(self, caller: Principal, from_date: date | None, to_date: date | None,
                   after: tuple[datetime, uuid.UUID] | None, limit: int) -> tuple[list[FeeLine], FeeTotals]:
        """The caller's agency's fee lines of a period (Beijing days of posting; a page, newest
        first) and the period's totals. Its owner's and finance members' (money, as statements are);
        an organisation that is no agency has none."""
        if caller.organisation_id is None or caller.agency_organisation_id is not None:
            raise NotFound("no organisation for this account")
        if not (is_owner(caller) or caller.organisation_role == "finance"):
            raise Forbidden("only the agency's owner or a finance member sees its fees")
        # one snapshot: the totals are of the same rows the page is cut from
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            rows = await queries.agency_fees(conn, caller.organisation_id, from_date, to_date, after, limit)
            totals = await queries.agency_fee_totals(conn, caller.organisation_id, from_date, to_date)
        lines = [FeeLine(r["id"], r["order_id"], r["client_organisation_id"], r["client_name"], r["assignment_id"],
                         r["fee_fen"], r["posted_at"], r["payout_id"], r["payout_state"] or "outstanding",
                         r["paid_at"]) for r in rows]
        return lines, FeeTotals(totals["posted_fen"], totals["paid_fen"])

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
        if found is None or found.agency_organisation_id != caller.organisation_id:
            raise NotFound("no such mandate")
        if refusal := rules.mandate_refusal(found.state, found.valid_from, found.valid_until,
                                            local_date(clock.now())):
            raise Conflict(refusal, current_state=found.state)
        return dataclasses.replace(
            caller, organisation_id=found.client_organisation_id, organisation_role="agency",
            site_ids=frozenset(), agency_organisation_id=caller.organisation_id, mandate_id=mandate_id,
            mandate_scope=frozenset(found.scope))

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
        if refusal := rules.mandate_refusal(found.state, found.valid_from, found.valid_until, today):
            raise Conflict(refusal, reason="mandate")
        cost = await queries.order_cost(conn, order_id)
        if refusal := rules.budget_refusal(found.budget_fen, found.committed_fen, cost):
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


def _mandate_event(row: Mandate) -> dict[str, Any]:
    """A mandate's grant or revocation as its event says it (to the client and the agency)."""
    return {
        "mandate_id": row.id, "agency_organisation_id": row.agency_organisation_id,
        "client_organisation_id": row.client_organisation_id, "scope": list(row.scope),
        "budget_fen": row.budget_fen, "committed_fen": row.committed_fen, "valid_from": row.valid_from,
        "valid_until": row.valid_until, "fee_per_placement_fen": row.fee_per_placement_fen,
        "fee_rate_bp": row.fee_rate_bp}


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
