"""Ratings and colours: rating a completed shift (once per side), the shown aggregates, and the
colours of organisations, recomputed for all of them at once by the sweep (`recompute`) from the
records the other packages keep (cases, arrears, compensations, assignments). Rules: model.py;
why: docs/reputation.md."""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime

import asyncpg

from market.constraints import Constraint, violated
from market.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.principal import Principal
from market.reputation import model, queries
from market.reputation.model import Aggregate, Rater
from market.reputation.queries import ColourRow, RatingRow


class Reputation:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def rate(self, caller: Principal, assignment_id: uuid.UUID, score: int, reasons: list[str], *,
                   now: datetime | None = None) -> RatingRow:
        """The worker of a completed shift rates its employer, or the employer rates its worker. A
        second rating by the same side is a 409 (ratings are not edited); one given while a case
        between the two is open is held until it closes."""
        now = clock.now(now)
        rater = Rater.worker if caller.role == "worker" else Rater.employer
        unknown = sorted(set(reasons) - model.REASONS[rater])
        if unknown:
            raise ValidationFailed([FieldError(("reasons",), f"not a reason a {rater.value} gives: {', '.join(unknown)}",
                                               {"allowed": sorted(model.REASONS[rater])})])
        async with self.pool.acquire() as conn, conn.transaction():
            seat = await queries.seat(conn, assignment_id)
            if seat is None or not _party(caller, seat):
                raise NotFound("no such assignment")
            if seat.state != "completed":
                raise Conflict("a shift is rated once it is completed", current_state=seat.state)
            try:
                async with conn.transaction():
                    rating_id = await queries.insert_rating(conn, seat, rater.value, score, sorted(set(reasons)), now)
            except asyncpg.UniqueViolationError as error:
                violated(error, Constraint.ONE_RATING_PER_SIDE)
                raise Conflict(f"the {rater.value} has already rated this shift", current_state="rated") from None
            return next(r for r in await queries.ratings_of_seat(conn, assignment_id) if r.id == rating_id)

    async def ratings_of_seat(self, caller: Principal, assignment_id: uuid.UUID) -> list[RatingRow]:
        """The ratings of one shift, to its two parties: each sees what it gave, and what it was
        given only once it gave its own (so neither answers the other's rating)."""
        async with self.pool.acquire() as conn:
            seat = await queries.seat(conn, assignment_id)
            if seat is None or not _party(caller, seat):
                raise NotFound("no such assignment")
            ratings = await queries.ratings_of_seat(conn, assignment_id)
        mine = Rater.worker.value if caller.role == "worker" else Rater.employer.value
        if not any(r.rater == mine for r in ratings):
            return []
        return ratings

    async def of_organisation(self, organisation_id: uuid.UUID) -> tuple[ColourRow, Aggregate]:
        """What anyone signed in may see of an employer: its colour and its workers' aggregate rating."""
        async with self.pool.acquire() as conn:
            colour = await queries.colour_of(conn, organisation_id)
            if colour is None:
                raise NotFound("no such organisation")
            counted = await queries.counted_of_organisation(conn, organisation_id)
        return colour, model.aggregate([r["score"] for r in counted], [r["reasons"] for r in counted])

    async def of_worker(self, caller: Principal, worker_id: uuid.UUID) -> Aggregate:
        """A worker's aggregate rating by employers, for the worker, the operator, the supervisors of
        its district and the organisations it bid to, worked for or is employed by (to choose among
        bidders); to anyone else there is no such worker."""
        async with self.pool.acquire() as conn:
            if caller.role == "worker":
                seen = caller.worker_id == worker_id
            elif caller.role == "admin":
                seen = await queries.worker_exists(conn, worker_id)
            else:
                seen = await queries.worker_seen_by(conn, worker_id, caller.organisation_id, sorted(caller.districts))
            if not seen:
                raise NotFound("no such worker")
            counted = await queries.counted_of_worker(conn, worker_id)
        return model.aggregate([r["score"] for r in counted], [r["reasons"] for r in counted])

    async def colours(self, caller: Principal) -> list[ColourRow]:
        """The colours of the organisations of a supervisor's districts (all of them for the operator)."""
        async with self.pool.acquire() as conn:
            return await queries.colours(conn, None if caller.role == "admin" else sorted(caller.districts))

    async def recompute(self, *, now: datetime | None = None) -> int:
        """Recompute every organisation's colour from its record at `now`; the number written."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            before = await queries.lock_colours(conn)
            records = await queries.records(conn, now)
            rows = []
            for organisation_id, record in records.items():
                colour, reasons = model.colour_of(record)
                rows.append((organisation_id, colour.value, reasons, json.dumps(asdict(record))))
                previous = before.get(organisation_id)
                if previous is not None and previous[0] != colour.value:
                    await emit(conn, "organisation.colour_changed", {
                        "organisation_id": str(organisation_id), "colour": colour.value, "previous": previous[0],
                        "reasons": reasons}, district_code=previous[1], organisation_ids=[organisation_id])
            await queries.write_colours(conn, rows, now)
            return len(rows)


def _party(caller: Principal, seat: queries.RatedSeat) -> bool:
    if caller.role == "worker":
        return caller.worker_id == seat.worker_id
    return caller.role == "employer" and caller.organisation_id == seat.organisation_id
