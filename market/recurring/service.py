"""Order templates and recurring orders: the use cases, their transactions and the sweep.

Every order is posted through the orders service (`Orders.post`), so no posting rule is copied
here: a template's order, and each occurrence of a series on its own date, meets exactly the rules
a hand-posted order meets. Another organisation's template or series is a 404.

An occurrence is decided once (docs/recurring-orders.md "Exactly once"): in one transaction the
series row is locked, the occurrence looked up, the order posted (inside that transaction) and
the outcome recorded under the key (series_id, occurrence_date). Two sweeps, or a sweep and an
HTTP materialisation, take turns on the series lock; the primary key is the backstop.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import asyncpg

from market.errors import Conflict, FieldError, MarketError, NotFound, ValidationFailed
from market.events.outbox import emit
from market.kernel import clock
from market.kernel.clock import SHANGHAI
from market.kernel.principal import Principal
from market.orders.model import Shift
from market.orders.records import StoredOrder
from market.orders.service import Orders, PostingOptions
from market.recurring import queries
from market.recurring.model import Change, Occurrence, Pattern, Schedule, due, order_from_terms, schedule_errors
from market.recurring.queries import OccurrenceRow, Series, Template

log = logging.getLogger(__name__)


class _AlreadyDecided(Exception):
    """The occurrence was recorded by another transaction first: roll this one back."""


@dataclass(frozen=True)
class Decided:
    on: date
    state: str
    order_id: uuid.UUID | None


def schedule_of(series: Series) -> Schedule:
    return Schedule(
        Pattern(frozenset(series.weekdays), series.start_time, series.end_time, series.headcount),
        series.start_date, series.until_date, tuple(change_of(e) for e in series.exceptions), series.skip_holidays)


def change_of(stored: dict[str, Any]) -> Change:
    def day(key: str) -> date | None:
        return date.fromisoformat(stored[key]) if stored.get(key) else None

    def moment(key: str) -> time | None:
        return time.fromisoformat(stored[key]) if stored.get(key) else None

    on = day("date")
    assert on is not None
    return Change(on, bool(stored.get("skip", False)), day("move_to"), moment("start_time"), moment("end_time"),
                  stored.get("headcount"))


def stored_change(change: Change) -> dict[str, Any]:
    return {"date": change.on.isoformat(), "skip": change.skip,
            "move_to": change.move_to.isoformat() if change.move_to else None,
            "start_time": change.start_time.isoformat() if change.start_time else None,
            "end_time": change.end_time.isoformat() if change.end_time else None,
            "headcount": change.headcount}


def problem_of(error: MarketError) -> dict[str, Any]:
    """What refused a posting, as the occurrence keeps it (and the event says it)."""
    errors = getattr(error, "errors", [])
    return {"type": error.type, "title": error.title, "status": error.status, "detail": error.detail,
            "errors": [{"loc": list(e.loc), "msg": e.msg, "ctx": e.ctx} for e in errors]}


def _options(terms: dict[str, Any]) -> PostingOptions:
    return PostingOptions(int(terms.get("offer_expiry_minutes", 30)))


def _name(name: str) -> str:
    if not name.strip():
        raise ValidationFailed([FieldError(("name",), "must not be blank")])
    return name.strip()


class Recurring:
    def __init__(self, pool: asyncpg.Pool, orders: Orders, *, window_days: int) -> None:
        self.pool = pool
        self.orders = orders
        self.window_days = window_days

    # ---- templates ------------------------------------------------------------------------------

    async def create_template(self, caller: Principal, name: str, terms: dict[str, Any], *,
                              now: datetime | None = None) -> Template:
        assert caller.organisation_id is not None
        async with self.pool.acquire() as conn:
            return await queries.insert_template(conn, caller.organisation_id, _name(name), terms, clock.now(now))

    async def template(self, caller: Principal, template_id: uuid.UUID) -> Template:
        async with self.pool.acquire() as conn:
            return await self._own_template(conn, caller, template_id)

    async def templates(self, caller: Principal, after: tuple | None, limit: int) -> list[Template]:
        assert caller.organisation_id is not None
        async with self.pool.acquire() as conn:
            return await queries.templates_of(conn, caller.organisation_id, after, limit)

    async def update_template(self, caller: Principal, template_id: uuid.UUID, *, name: str | None,
                              terms: dict[str, Any] | None, now: datetime | None = None) -> Template:
        async with self.pool.acquire() as conn, conn.transaction():
            found = await self._own_template(conn, caller, template_id, for_update=True)
            return await queries.update_template(conn, template_id, _name(name) if name is not None else found.name,
                                                 terms if terms is not None else found.terms, clock.now(now))

    async def delete_template(self, caller: Principal, template_id: uuid.UUID) -> None:
        """Series made from it keep their own copy of the terms (template_id becomes null)."""
        assert caller.organisation_id is not None
        async with self.pool.acquire() as conn:
            if not await queries.delete_template(conn, caller.organisation_id, template_id):
                raise NotFound("no such template")

    async def post_from_template(self, caller: Principal, template_id: uuid.UUID, shifts: list[Shift],
                                 bid_deadline: datetime | None, *, now: datetime | None = None) -> StoredOrder:
        """An order of the template's terms on the given shifts, posted as any order is."""
        found = await self.template(caller, template_id)
        order = order_from_terms(found.terms, found.organisation_id, shifts, bid_deadline)
        return await self.orders.post(caller, order, _options(found.terms), now=now)

    async def _own_template(self, conn: asyncpg.Connection, caller: Principal, template_id: uuid.UUID, *,
                            for_update: bool = False) -> Template:
        found = None
        if caller.organisation_id is not None:
            found = await queries.template_of(conn, caller.organisation_id, template_id, for_update=for_update)
        if found is None:
            raise NotFound("no such template")
        return found

    # ---- series ---------------------------------------------------------------------------------

    async def create_series(self, caller: Principal, *, name: str, template_id: uuid.UUID | None,
                            terms: dict[str, Any] | None, schedule: Schedule,
                            now: datetime | None = None) -> tuple[Series, list[Decided]]:
        """Check the schedule, keep the series (with its own copy of the terms), and decide the
        occurrences already inside the rolling window."""
        now = clock.now(now)
        assert caller.organisation_id is not None
        errors = schedule_errors(schedule, today=now.astimezone(SHANGHAI).date())
        if (template_id is None) == (terms is None):
            errors.append(FieldError(("template_id",), "give either template_id or terms"))
        if not name.strip():
            errors.append(FieldError(("name",), "must not be blank"))
        if errors:
            raise ValidationFailed(errors)
        async with self.pool.acquire() as conn:
            if template_id is not None:
                found = await queries.template_of(conn, caller.organisation_id, template_id)
                if found is None:
                    raise ValidationFailed([FieldError(("template_id",), "no such template")])
                terms = found.terms
            assert terms is not None
            pattern = schedule.pattern
            series = await queries.insert_series(
                conn, organisation_id=caller.organisation_id, template_id=template_id, name=name.strip(),
                terms=terms, weekdays=sorted(pattern.weekdays), start_time=pattern.start_time,
                end_time=pattern.end_time, headcount=pattern.headcount, start_date=schedule.start_date,
                until_date=schedule.until_date, exceptions=[stored_change(c) for c in schedule.exceptions],
                skip_holidays=schedule.skip_holidays, now=now)
        try:
            decided = await self.materialise(series.id, now=now)
        except Exception:  # the series is kept: the next sweep decides its window
            log.exception("recurring series materialisation at creation failed", extra={"series_id": str(series.id)})
            decided = []
        return series, decided

    async def series(self, caller: Principal, series_id: uuid.UUID) -> Series:
        async with self.pool.acquire() as conn:
            return await self._own_series(conn, caller, series_id)

    async def series_page(self, caller: Principal, after: tuple | None, limit: int) -> list[Series]:
        assert caller.organisation_id is not None
        async with self.pool.acquire() as conn:
            return await queries.series_list(conn, caller.organisation_id, after, limit)

    async def occurrences(self, caller: Principal, series_id: uuid.UUID) -> tuple[Series, list[OccurrenceRow]]:
        async with self.pool.acquire() as conn:
            series = await self._own_series(conn, caller, series_id)
            return series, await queries.occurrences_of(conn, series_id)

    async def set_state(self, caller: Principal, series_id: uuid.UUID, state: str, *,
                        now: datetime | None = None) -> Series:
        """Pause (`paused`), resume (`active`) or stop (`ended`, final) a series. Orders already
        posted stay (cancel them as any order); no occurrence is decided while not active."""
        now = clock.now(now)
        async with self.pool.acquire() as conn, conn.transaction():
            await self._own_series(conn, caller, series_id)
            series = await queries.lock_series(conn, series_id)
            assert series is not None
            if series.state == state:
                return series
            if series.state == "ended":
                raise Conflict("the series has ended", current_state=series.state)
            changed = await queries.set_series_state(conn, series_id, state, now)
        if state == "active":
            await self.materialise(series_id, now=now)
        return changed

    async def materialise_own(self, caller: Principal, series_id: uuid.UUID, *,
                              now: datetime | None = None) -> list[Decided]:
        async with self.pool.acquire() as conn:
            await self._own_series(conn, caller, series_id)
        return await self.materialise(series_id, now=now)

    async def _own_series(self, conn: asyncpg.Connection, caller: Principal, series_id: uuid.UUID) -> Series:
        found = None
        if caller.organisation_id is not None:
            found = await queries.series_of(conn, caller.organisation_id, series_id)
        if found is None:
            raise NotFound("no such recurring order")
        return found

    # ---- materialisation ------------------------------------------------------------------------

    async def sweep(self, *, now: datetime | None = None) -> int:
        """Decide every active series' occurrences that entered the rolling window: what serve
        runs every recurring_sweep_interval. Returns how many were decided."""
        now = clock.now(now)
        async with self.pool.acquire() as conn:
            ids = await queries.active_series_ids(conn, now.astimezone(SHANGHAI).date())
        done = 0
        for series_id in ids:
            try:
                done += len(await self.materialise(series_id, now=now))
            except Exception:  # one series' failure does not stop the others; the next sweep retries
                log.exception("recurring series materialisation failed", extra={"series_id": str(series_id)})
        return done

    async def materialise(self, series_id: uuid.UUID, *, now: datetime | None = None) -> list[Decided]:
        """Decide the series' undecided occurrences inside the window, one transaction each."""
        now = clock.now(now)
        async with self.pool.acquire() as conn:
            series = await queries.series_by_id(conn, series_id)
            if series is None or series.state != "active":
                return []
            decided_dates = await queries.decided_dates(conn, series_id)
        decided = []
        for occurrence in due(schedule_of(series), now=now, window_days=self.window_days):
            if occurrence.on in decided_dates:
                continue
            try:
                outcome = await self._decide(series_id, occurrence, now)
            except _AlreadyDecided:
                continue
            if outcome is not None:
                decided.append(outcome)
        return decided

    async def _decide(self, series_id: uuid.UUID, occurrence: Occurrence, now: datetime) -> Decided | None:
        async with self.pool.acquire() as conn, conn.transaction():
            series = await queries.lock_series(conn, series_id)
            if series is None or series.state != "active":
                return None  # paused or stopped meanwhile: nothing more is made
            if await queries.is_decided(conn, series_id, occurrence.on):
                return None  # another sweep (or request) decided it while this one waited
            if occurrence.skip is not None:
                await self._record(conn, series_id, occurrence.on, "skipped", None, dict(occurrence.skip), now)
                return Decided(occurrence.on, "skipped", None)
            caller = await queries.organisation_principal(conn, series.organisation_id)
            order = order_from_terms(series.terms, series.organisation_id,
                                     [Shift(occurrence.start, occurrence.end, occurrence.headcount)])
            try:
                stored = await self.orders.post(caller, order, _options(series.terms), now=now, conn=conn)
            except MarketError as error:
                if error.status != 422:
                    raise
                problem = problem_of(error)
                await self._record(conn, series_id, occurrence.on, "refused", None, problem, now)
                await emit(conn, "recurring.occurrence_refused",
                           {"series_id": series_id, "occurrence_date": occurrence.on, "name": series.name,
                            "detail": problem["detail"], "errors": problem["errors"]},
                           organisation_ids=[series.organisation_id])
                return Decided(occurrence.on, "refused", None)
            await self._record(conn, series_id, occurrence.on, "materialised", stored.id, None, now)
            return Decided(occurrence.on, "materialised", stored.id)

    @staticmethod
    async def _record(conn: asyncpg.Connection, series_id: uuid.UUID, on: date, state: str,
                      order_id: uuid.UUID | None, problem: dict[str, Any] | None, now: datetime) -> None:
        if not await queries.record_occurrence(conn, series_id, on, state, order_id, problem, now):
            raise _AlreadyDecided


__all__ = ["Decided", "Recurring", "schedule_of"]
