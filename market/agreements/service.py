"""An employee's decision on the consent a lender's bid asks of them, and the three-party
agreements it writes. Owns its transactions; an agreement is seen only by its three parties
(anyone else is told it does not exist, 404)."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from market.agreements import queries
from market.agreements.model import Agreement, agreement_terms
from market.bids import queries as bid_queries
from market.bids.model import StoredConsent
from market.catalogue.service import Catalogue
from market.errors import Conflict, NotFound
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.principal import Principal
from market.orders import queries as order_queries


class Agreements:
    def __init__(self, pool: asyncpg.Pool, catalogue: Catalogue) -> None:
        self.pool = pool
        self.catalogue = catalogue

    async def consents_of_worker(self, caller: Principal) -> list[StoredConsent]:
        async with self.pool.acquire() as conn:
            return await queries.consents_of_worker(conn, caller.worker_id)

    async def decide_consent(self, caller: Principal, consent_id: uuid.UUID, accept: bool, *,
                             now: datetime | None = None) -> tuple[StoredConsent, Agreement | None]:
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            consent = await queries.consent_for_update(conn, consent_id)
            if consent is None or consent.worker_id != caller.worker_id:
                raise NotFound("no such consent")
            if consent.state != "pending":
                raise Conflict(f"this consent is already {consent.state}", current_state=consent.state)
            bid = await bid_queries.shared_bid_by_id(conn, consent.shared_bid_id)
            assert bid is not None  # a consent's bid is never deleted
            if bid.state != "live":
                raise Conflict(f"the lender's bid is {bid.state}", current_state=bid.state)
            await queries.decide_consent(conn, consent_id, "accepted" if accept else "declined", now)
            agreement = None
            if accept:
                order = await order_queries.order_by_id(conn, bid.order_id)
                assert order is not None
                names = await queries.organisation_names(conn, [bid.borrower_id, bid.lender_id])
                worker = await queries.worker_name(conn, caller.worker_id)
                terms = agreement_terms(order, bid, consent.wage_hourly_fen, names, caller.worker_id, worker,
                                        (await self.catalogue.data()).district(order.district_code).name)
                agreement = await queries.insert_agreement(conn, consent_id, order.id, bid.borrower_id,
                                                           bid.lender_id, caller.worker_id, terms, now)
            await emit(conn, "consent.accepted" if accept else "consent.declined",
                       {"consent_id": str(consent_id), "order_id": str(bid.order_id),
                        "agreement_id": str(agreement.id) if agreement else None},
                       organisation_ids=[bid.lender_id] + ([bid.borrower_id] if accept else []),
                       worker_ids=[caller.worker_id])
            decided_bid = await bid_queries.shared_bid_by_id(conn, bid.id)
            assert decided_bid is not None
            decided = next(c for c in decided_bid.consents if c.id == consent_id)
            return decided, agreement

    async def agreement(self, caller: Principal, agreement_id: uuid.UUID) -> Agreement:
        async with self.pool.acquire() as conn:
            agreement = await queries.agreement_by_id(conn, agreement_id)
        if agreement is None or _party_id(caller) not in (agreement.borrower_id, agreement.lender_id,
                                                           agreement.worker_id):
            raise NotFound("no such agreement")
        return agreement

    async def agreements(self, caller: Principal) -> list[Agreement]:
        async with self.pool.acquire() as conn:
            return await queries.agreements_of_party(conn, _party_id(caller))


def _party_id(caller: Principal) -> uuid.UUID:
    return caller.worker_id if caller.role == "worker" else caller.organisation_id
