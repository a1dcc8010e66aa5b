"""Playing the demo plan through the service layer on a simulated clock.

Every business write is a service call, the one the HTTP handler would make, with `now=` set to
the simulated moment (deposits, posting, bids, consents, runs, offers, check-in/out, no-shows,
approvals, cancelling, settlements, payouts, wage legs, the arrears check), so every row the
dashboard reads carries the time it happened in the story (docs/demo.md lists the few that keep
the real clock, and why). The callers are `Principal`s built from the registrations, as the auth middleware would
resolve their tokens. Allocation runs are executed in-process, exactly as an allocator does
(`claim_run` → `runs.execute`), but with the simulated `now`.

The clock moves day by day from the earliest posting to the day before `today`. Each day:
  work      the shifts starting that day: check-in (some late), check-out, a no-show, approvals
  morning   orders posted; workers bid; lenders bid and their employees consent
  11:30     allocation round 1 (employers press "allocate"; auto sweeps); offers answered at 11:45
  14:30     round 2 for declined seats; answered at 14:45 (offers expire after 30 minutes)
  16:30     workers go on call for the next day's standby seats (docs/standby.md)
  18:00     the late cancellation (on its day)
  19:00     on its evening, an assigned worker gives a seat back; the first standby accepts it at 19:05
  20:00     on the last evening, the busiest employer books a played order again (its workers first)
  22:30     unanswered offers expire; the standby sweep (standbys of ended shifts paid); auto-approval
            and pending settlements, the payout batch (confirmed by the bank), lenders confirm wage
            legs (all but the one in arrears), the arrears check
Then "today" 00:30: the last sweep and arrears check. Work is done in a fixed order keyed by plan
indexes, so a seed gives the same market every time.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import asyncpg

from market.accounts.model import IssuedToken
from market.kernel.principal import Principal
from market.accounts.service import Accounts
from market.sealing import keyring
from market.allocation import queries as allocation_queries
from market.allocation import runs
from market.allocation.allocator import Allocator
from market.allocation.service import Allocations
from market.catalogue.service import Catalogue
from market.contracts.service import Contracts, party_of
from market.config import Settings
from market.demo import plan as plans
from market.demo import queries, registration
from market.demo.faster_pay import choose_daily_pay
from market.demo.favourites import book_again, mark_favourites
from market.demo.plan import GigPlan, MarketPlan, SharedPlan, StandbyPlan, at, choice_rng
from market.demo.progress import Progress
from market.demo.recurring import post_recurring_order
from market.employment.model import NewEmployment
from market.employment.service import Employments
from market.errors import MarketError
from market.kernel.clock import SHANGHAI, local_date
from market.kernel.relationships import RelationshipType
from market.orders import model as orders_model
from market.agreements.service import Agreements
from market.bids.model import NamedEmployee
from market.bids.service import Bids
from market.feed.service import Feed
from market.orders.service import Orders, PostingOptions
from market.settlement import escrow, rules
from market.settlement.service import Settlements, settle_order_cancellation
from market.standby.service import StandbyService
from market.profiles.model import Home, ProfileChanges
from market.profiles.service import WorkerProfiles

CLOSING = time(0, 30)  # "today": the last sweep
DEPOSIT_AT = 8.0  # an employer's deposit is declared at 08:00 of the day it first posts …
DEPOSIT_CONFIRMED_AFTER = timedelta(minutes=15)  # … and confirmed by the bank before its first order (08:30)
BANK_CONFIRMS_AFTER = timedelta(minutes=10)  # the night's payout batch, confirmed paid by the bank
WEEKDAYS = "一二三四五六日"
NO_SHOW_RATE = 0.01
DECLINE_RATE = 0.12
LATE_ARRIVAL_RATE = 0.1
EMPLOYER_APPROVES_RATE = 0.8
STANDBY_TRIES = 20  # workers asked to go on call for one shift, at most


@dataclass
class Services:
    """The services `create_app` wires, on one pool: what the demo calls."""

    accounts: Accounts
    catalogue: Catalogue
    orders: Orders
    bids: Bids
    feed: Feed
    agreements: Agreements
    allocations: Allocations
    settlements: Settlements
    employments: Employments
    profiles: WorkerProfiles
    allocator: Allocator
    contracts: Contracts
    standby: StandbyService

    @classmethod
    def build(cls, pool: asyncpg.Pool, settings: Settings, hash_key: bytes) -> Services:
        catalogue = Catalogue(pool)
        # In-process solves (a thread): no process pool to start for a one-off run.
        allocator = Allocator(pool, settings.model_copy(update={"allocator_solve_in": "thread"}), name="demo")
        return cls(Accounts(pool, hash_key, settings.token_ttl, keyring=keyring(settings)), catalogue,
                   Orders(pool, catalogue, settle_order_cancellation),
                   Bids(pool, catalogue, escrow.rate_book().shared_labor_cost_allowance), Feed(pool),
                   Agreements(pool, catalogue), Allocations(pool, standby_offer_expiry=settings.standby_offer_expiry),
                   Settlements(pool, catalogue, settings), Employments(pool, catalogue, hash_key),
                   WorkerProfiles(pool, catalogue), allocator,
                   # agreements render in this process, when the demo's parties open them to sign
                   Contracts(pool, no_show_grace=settings.no_show_grace, pay_due_date=lambda: rules.pay_due_date,
                             executor=lambda: None),
                   StandbyService(pool, catalogue, offer_expiry=settings.standby_offer_expiry,
                                  withdraw_cutoff=settings.standby_withdraw_cutoff,
                                  check_in_grace=settings.standby_check_in_grace))


@dataclass
class SignedIn:
    """A demo party signed in as its owner would: its login, name and a bearer token."""

    login: str
    name: str
    token: IssuedToken


@dataclass
class DemoResult:
    plan: MarketPlan
    supervisor: IssuedToken
    ledger_ok: bool
    counts: Counter = field(default_factory=Counter)
    worker: SignedIn | None = None  # one with feed items, offers and pay slips
    employer: SignedIn | None = None  # one with orders


class Simulation:
    def __init__(self, pool: asyncpg.Pool, services: Services, plan: MarketPlan, progress: Progress) -> None:
        self.pool = pool
        self.s = services
        self.plan = plan
        self.progress = progress
        self.counts: Counter = Counter()
        self.employers: list[Principal] = []
        self.workers: list[Principal] = []
        self.worker_index: dict[uuid.UUID, int] = {}
        self.employments: dict[int, uuid.UUID] = {}  # worker index → employment id
        self.gig_orders: dict[int, uuid.UUID] = {}  # gig plan index → order id
        self.shared_orders: dict[int, uuid.UUID] = {}
        self.order_keys: dict[uuid.UUID, tuple[str, int]] = {}  # order id → ("gig" | "shared", plan index)
        self.forced_no_show_day = plan.days[2]
        self._bidders: dict[int, list[plans.WorkerPlan]] = {}
        self.booked_again: uuid.UUID | None = None  # the order booked again (plan.BookAgainPlan)

    # ---- the people ---------------------------------------------------------------------------------

    async def register(self, hash_key: bytes) -> None:
        self.progress.begin("signing up employers and workers")
        hashed = await registration.password_hash()
        self.employers = await registration.register_employers(self.pool, hash_key, self.plan.employers, hashed)
        self.progress.advance()
        self.workers = await registration.register_workers(self.pool, hash_key, self.s.accounts.keyring,
                                                             self.plan.workers, hashed)
        self.worker_index = {p.worker_id: i for i, p in enumerate(self.workers)}
        self.progress.advance()

        self.progress.begin("worker profiles: homes, skills, travel, relationship types")
        for plan, principal in zip(self.plan.workers, self.workers):
            await self.s.profiles.update_own(principal, ProfileChanges(
                home=Home(*plan.home), max_travel_m=plan.max_travel_m, accepts_auto_allocation=plan.auto,
                relationship_types=frozenset(RelationshipType(r) for r in plan.relationships),
                skills=tuple(orders_model.WorkerSkill(code, level) for code, level in plan.skills)))
        await choose_daily_pay(self.s.settlements, self.plan.workers, self.workers, at(self.calendar()[0], 7.0))
        self.progress.advance()

        self.progress.begin("escrow deposits, confirmed by the bank")
        for plan, principal in zip(self.plan.employers, self.employers):
            declared = at(self.deposit_day(plan.index), DEPOSIT_AT)
            deposit = await self.s.settlements.declare_deposit(principal, plan.deposit_fen, f"DEMO{plan.index:05d}",
                                                               now=declared)
            await self.s.settlements.confirm_deposit(deposit.id, now=declared + DEPOSIT_CONFIRMED_AFTER)
        self.progress.advance()

        self.progress.begin("lending enterprises register their employees")
        first_day = min(p.posted_at for p in self.plan.shared) - timedelta(days=3)
        for plan, principal in zip(self.plan.workers, self.workers):
            if plan.employer is None:
                continue
            lender = self.employers[plan.employer]
            employment = await self.s.employments.register(lender, NewEmployment(
                job_title=plans.GIG_TITLES.get(plans.SECTORS[self.plan.employers[plan.employer].sector][0], "员工"),
                agreed_hourly_wage_fen=plan.agreed_wage_fen, worker_id=principal.worker_id), now=first_day)
            await self.s.employments.confirm(principal, employment.id, now=first_day + timedelta(hours=2))
            self.employments[plan.index] = employment.id
        self.progress.advance()

    def deposit_day(self, employer_index: int) -> date:
        """The day an employer deposits escrow: the day it first posts (or borrows); one that never
        posts (a lender, an employer the seed gave no order) deposits on the first day of the week."""
        posted = [local_date(g.posted_at) for g in self.plan.gigs if g.employer == employer_index]
        posted += [local_date(s.posted_at) for s in self.plan.shared if s.borrower == employer_index]
        return min(posted, default=self.plan.days[0])

    # ---- the clock ----------------------------------------------------------------------------------

    def calendar(self) -> list[date]:
        first = min([local_date(g.posted_at) for g in self.plan.gigs] + [local_date(s.posted_at) for s in self.plan.shared])
        return [first + timedelta(days=n) for n in range((self.plan.today - first).days)]

    def day_label(self, day: date) -> str:
        """`day 3 of 7 (周三 2026-11-25)`; a day before the week (the arrears engagement, orders
        posted ahead of its first day) is `before the week (…)`."""
        named = f"周{WEEKDAYS[day.weekday()]} {day.isoformat()}"
        if day in self.plan.days:
            return f"day {self.plan.days.index(day) + 1} of {len(self.plan.days)} ({named})"
        return f"before the week ({named})"

    async def play(self) -> None:
        for day in self.calendar():
            await self.work(day)
            await self.post_and_bid(day)
            allocating = [g for g in self.plan.gigs if local_date(g.posted_at) == day and g.allocate]
            await self.allocation_round(day, allocating, at(day, 11.5), answer_at=at(day, 11.75))
            await self.allocation_round(day, [], at(day, 14.5), answer_at=at(day, 14.75))
            await self.shared_allocation(day)
            await self.standby_sign_ups(day)
            await self.late_cancellations(day)
            await self.standby_replacements(day)
            await book_again(self, day)  # the plan's order booked again (docs/favourites.md)
            await self.evening(day)
            await self.report_day(day)
            self.progress.advance()
        await mark_favourites(self)  # each employer's regulars become its favourites (docs/favourites.md)
        await self.night(datetime.combine(self.plan.today, CLOSING, SHANGHAI), self.plan.today)

    async def report_day(self, day: date) -> None:
        """One progress line per day of the week, read from what the day left in the database; a
        quiet day before the week (only the nightly jobs ran) has none."""
        async with self.pool.acquire() as conn:
            figures = await queries.day_figures(conn, at(day, 0), at(day + timedelta(days=1), 0))
        if day not in self.plan.days and not any(figures.values()):
            return
        self.progress.begin(
            f"{self.day_label(day)}: {_many(figures['orders'], 'order')} posted, {_many(figures['bids'], 'bid')}, "
            f"{_many(figures['filled'], 'seat')} filled, {_many(figures['worked'], 'shift')} worked, "
            f"{_many(figures['settled'], 'pay slip')}, ¥{figures['paid_fen'] // 100:,} paid out")

    # ---- morning: orders and bids -------------------------------------------------------------------

    async def post_and_bid(self, day: date) -> None:
        for gig in self.plan.gigs:
            if local_date(gig.posted_at) == day:
                await self.post_gig(gig)
        for gig in self.plan.gigs:
            if local_date(gig.posted_at) == day and gig.mode == "bids":
                await self.bid(gig)
        for shared in self.plan.shared:
            if local_date(shared.posted_at) == day:
                await self.post_shared(shared)

    async def post_gig(self, gig: GigPlan) -> None:
        employer = self.plan.employers[gig.employer]
        order = orders_model.GigOrder(
            employer_id=self.employers[gig.employer].organisation_id, title=gig.title,
            relationship=RelationshipType(gig.relationship), district_code=employer.district,
            site=orders_model.Site(*employer.site, address=f"{employer.name}（{gig.title}）"),
            shifts=tuple(orders_model.Shift(s.start, s.end, s.headcount, standby=s.standby,
                                            standby_amount_fen=s.standby_amount_fen) for s in gig.shifts),
            pay=orders_model.Pay(orders_model.PayUnit(gig.pay_unit), gig.amount_fen, gig.stated_hours, gig.cycle_days),
            skills=(orders_model.SkillRequirement(gig.skill, gig.min_level),), description=f"{employer.sector}行业临时用工",
            allocation_mode=orders_model.AllocationMode(gig.mode))
        stored = await self.s.orders.post(self.employers[gig.employer], order, PostingOptions(), now=gig.posted_at)
        self.gig_orders[gig.index] = stored.id
        self.order_keys[stored.id] = ("gig", gig.index)
        self.counts["orders"] += 1

    def bidders(self, gig: GigPlan) -> list[plans.WorkerPlan]:
        """Who bids on a bids order: workers near the site with the skill and the relationship
        type, about two per seat, drawn by the order's plan index."""
        if gig.index not in self._bidders:
            self._bidders[gig.index] = self._draw_bidders(gig)
        return self._bidders[gig.index]

    def _draw_bidders(self, gig: GigPlan) -> list[plans.WorkerPlan]:
        fitting = self.plan.fitting(gig)
        wanted = min(len(fitting), 2 * max(s.headcount for s in gig.shifts) + 1)
        return sorted(choice_rng(self.plan.seed, "bidders", gig.index).sample(fitting, wanted), key=lambda w: w.index)

    async def bid(self, gig: GigPlan) -> None:
        """Each bidder bids on every shift of the order; a few ask a little less than the rate, never
        below the minimum wage where it applies (the bid rules do not refuse that yet, and
        settlement would then refuse the approved timesheet: see docs/demo.md)."""
        order = await self.s.orders.get(self.employers[gig.employer], self.gig_orders[gig.index])
        lowest = self.plan.lowest_rate_fen(gig)
        for worker in self.bidders(gig):
            rng = choice_rng(self.plan.seed, "bid", gig.index, worker.index)
            rate = max(lowest, gig.amount_fen - (rng.randrange(1, 4) * 100 if rng.random() < 0.25 else 0))
            try:
                await self.s.bids.place_bids(self.workers[worker.index], order.id, [s.id for s in order.shifts],
                                             rate, "可以准时到岗", now=gig.posted_at + timedelta(minutes=rng.randrange(10, 90)))
                self.counts["bids"] += 1
            except MarketError:  # hour limits, overlapping bids of the worker, a rate below the minimum
                self.counts["bids_refused"] += 1

    async def post_shared(self, shared: SharedPlan) -> None:
        borrower = self.plan.employers[shared.borrower]
        order = orders_model.SharedOrder(
            borrower_id=self.employers[shared.borrower].organisation_id, title=shared.title,
            district_code=borrower.district, site=orders_model.Site(*borrower.site, address=f"{borrower.name}"),
            schedule=orders_model.DailySchedule(shared.first_day, shared.last_day, time(9), time(17)),
            headcount=shared.headcount, fee_per_worker_day_fen=shared.fee_per_worker_day_fen,
            skills=(orders_model.SkillRequirement(shared.skill, 1),), description="旺季用工缺口，借调合作企业员工")
        stored = await self.s.orders.post(self.employers[shared.borrower], order, PostingOptions(),
                                          now=shared.posted_at)
        self.shared_orders[shared.index] = stored.id
        self.order_keys[stored.id] = ("shared", shared.index)
        self.counts["orders"] += 1
        # The lender names its employees (wage never below their own agreed wage), who each consent.
        employees = [w for w in self.plan.workers if w.employer == shared.lender][:shared.headcount]
        bid = await self.s.bids.place_shared_bid(
            self.employers[shared.lender], stored.id, shared.fee_per_worker_day_fen, "我司员工，熟悉岗位",
            [NamedEmployee(self.employments[w.index], max(w.agreed_wage_fen, shared.wage_hourly_fen)) for w in employees],
            now=shared.posted_at + timedelta(hours=2))
        for consent in sorted(bid.consents, key=lambda c: self.worker_index[c.worker_id]):
            await self.s.agreements.decide_consent(self.workers[self.worker_index[consent.worker_id]], consent.id,
                                                   True, now=shared.posted_at + timedelta(hours=3))

    # ---- allocation ---------------------------------------------------------------------------------

    async def allocation_round(self, day: date, gigs: list[GigPlan], now: datetime, *, answer_at: datetime) -> None:
        """Employers press "allocate" on the day's orders; the allocator runs everything queued
        (including seats handed back by declines); workers answer their offers.

        Auto orders are allocated by their own run, not the allocator's district sweep: the sweeps
        of several districts are queued in one transaction, so the same `queued_at`, and are then
        claimed in the order of their random ids; workers near a district border would then be
        placed differently from one run to the next. One request per order, in plan order, keeps
        the runs in a fixed order."""
        for gig in gigs:
            await self.s.allocations.request_run(self.employers[gig.employer], self.gig_orders[gig.index])
        await self.run_queued(now)
        await self.answer_offers(day, answer_at)

    async def run_queued(self, now: datetime) -> None:
        while True:
            async with self.pool.acquire() as conn:
                run = await allocation_queries.claim_run(conn, self.s.allocator.settings.allocator_run_lease)
            if run is None:
                return
            await runs.execute(self.pool, run, self.s.allocator.solve, self.s.allocator.config, now=now)
            self.counts["runs"] += 1

    async def answer_offers(self, day: date, now: datetime) -> None:
        # Offers go to bidders on the day's bids orders (runs of older orders find no open seat).
        bidders = sorted({w.index for g in self.plan.gigs if g.mode == "bids" and local_date(g.posted_at) == day
                          for w in self.bidders(g)})
        for index in bidders:
            worker = self.workers[index]
            offers = await self.s.allocations.offers(worker, state="pending", after=None, limit=100)
            for offer in sorted(offers, key=lambda o: (o.starts_at, self.order_keys[o.order_id])):
                key = self.order_keys[offer.order_id]
                rng = choice_rng(self.plan.seed, "offer", key, index, offer.starts_at.isoformat())
                try:
                    if rng.random() < DECLINE_RATE:
                        await self.s.allocations.decline(worker, offer.id, now=now)
                        self.counts["offers_declined"] += 1
                    else:
                        await self.s.allocations.accept(worker, offer.id, now=now)
                        self.counts["offers_accepted"] += 1
                except MarketError:  # took an overlapping seat meanwhile, or the order filled
                    self.counts["offers_refused"] += 1

    async def shared_allocation(self, day: date) -> None:
        for shared in self.plan.shared:
            if local_date(shared.posted_at) == day:
                await self.s.allocations.request_run(self.employers[shared.borrower], self.shared_orders[shared.index])
        await self.run_queued(at(day, 16))

    # ---- the day's work -----------------------------------------------------------------------------

    async def work(self, day: date) -> None:
        start, end = at(day, 0), at(day + timedelta(days=1), 0)
        async with self.pool.acquire() as conn:
            rows = await queries.assignments_starting(conn, start, end)
        todo = sorted(rows, key=lambda r: (r.starts_at, self.order_keys[r.order_id],
                                           self.worker_index[r.worker_id]))
        forced_no_show = day == self.forced_no_show_day
        for row in todo:
            kind, index = self.order_keys[row.order_id]
            worker_index = self.worker_index[row.worker_id]
            employer_index = self.plan.gigs[index].employer if kind == "gig" else self.plan.shared[index].borrower
            employer, site = self.employers[employer_index], self.plan.employers[employer_index].site
            rng = choice_rng(self.plan.seed, "work", kind, index, worker_index, row.starts_at.isoformat())
            worker = self.workers[worker_index]
            if (forced_no_show and kind == "gig") or rng.random() < NO_SHOW_RATE:
                forced_no_show = False
                await self.s.settlements.attendance.no_show(employer, row.id, now=row.starts_at + timedelta(minutes=30))
                self.counts["no_shows"] += 1
                continue
            late = rng.random() < LATE_ARRIVAL_RATE
            arrive = row.starts_at + timedelta(minutes=rng.randrange(5, 25) if late else -rng.randrange(0, 15))
            leave = row.ends_at + timedelta(minutes=rng.randrange(0, 10))
            lat, lon = site[0] + rng.uniform(-0.0005, 0.0005), site[1] + rng.uniform(-0.0005, 0.0005)
            lender = self.employers[self.plan.shared[index].lender] if kind == "shared" else None
            await self.sign_agreement(row.id, [employer, worker] + ([lender] if lender else []),
                                      row.starts_at - timedelta(hours=2))
            await self.s.settlements.attendance.check_in(worker, row.id, lat, lon, now=arrive)
            await self.s.settlements.attendance.check_out(worker, row.id, lat, lon, now=leave)
            if rng.random() < EMPLOYER_APPROVES_RATE:
                await self.s.settlements.attendance.approve(employer, row.id, now=leave + timedelta(minutes=rng.randrange(30, 180)))
                self.counts["approved_by_employer"] += 1

    async def sign_agreement(self, assignment_id: uuid.UUID, parties: list[Principal], now: datetime) -> None:
        """Every party signs the seat's written agreement before the shift: where the law asks for
        one in writing (docs/agreements.md), the worker could not check in otherwise."""
        shown = (await self.s.contracts.view(parties[0], "assignment", assignment_id, now=now)).contract
        for party in parties:
            if shown.sha256 is not None and not set(shown.roles_of(party_of(party))) <= {
                    s.role for s in shown.signatures}:
                shown = (await self.s.contracts.sign(party, "assignment", assignment_id, shown.sha256, now=now)).contract

    async def late_cancellations(self, day: date) -> None:
        for gig in self.plan.gigs:
            if gig.cancel_at is not None and local_date(gig.cancel_at) == day:
                _, compensation = await self.s.orders.cancel(
                    self.employers[gig.employer], self.gig_orders[gig.index], "活动临时取消", now=gig.cancel_at)
                self.counts["late_cancellations"] += 1
                self.counts["compensation_fen"] += compensation

    # ---- standby (docs/standby.md) ------------------------------------------------------------------

    async def standby_sign_ups(self, day: date) -> None:
        for story in self.plan.standbys:
            if local_date(story.sign_up_at) == day:
                await self.go_on_call(story)

    async def go_on_call(self, story: StandbyPlan) -> None:
        """Workers who could take a seat of the order go on call for its first shift, drawn by the
        order's plan index, a minute apart; the service judges each as the API does (a seat held
        over the shift, hour limits, a standby elsewhere meanwhile: refused, the next one tries)."""
        gig = self.plan.gigs[story.gig]
        shift_id = await self.first_shift_id(gig)
        candidates = self.plan.fitting(gig)
        choice_rng(self.plan.seed, "standby", gig.index).shuffle(candidates)
        taken = 0
        for n, worker in enumerate(candidates[:STANDBY_TRIES]):
            if taken == gig.shifts[0].standby:
                break
            try:
                await self.s.standby.sign_up(self.workers[worker.index], shift_id,
                                             now=story.sign_up_at + timedelta(minutes=n))
                taken += 1
                self.counts["standbys"] += 1
            except MarketError:
                self.counts["standbys_refused"] += 1

    async def first_shift_id(self, gig: GigPlan) -> uuid.UUID:
        order = await self.s.orders.get(self.employers[gig.employer], self.gig_orders[gig.index])
        return next(s.id for s in order.shifts if s.start == gig.shifts[0].start)

    async def standby_replacements(self, day: date) -> None:
        for story in self.plan.standbys:
            if story.cancel_at is not None and local_date(story.cancel_at) == day:
                await self.give_back_to_standby(story)

    async def give_back_to_standby(self, story: StandbyPlan) -> None:
        """An assigned worker (drawn by plan indexes) gives the seat back; the cancellation offers
        it to the shift's first standby (allocations.cancel_assignment), who accepts."""
        assert story.cancel_at is not None and story.accept_at is not None
        gig = self.plan.gigs[story.gig]
        start = gig.shifts[0].start
        async with self.pool.acquire() as conn:
            rows = await queries.assignments_starting(conn, start, start + timedelta(minutes=1))
        held = sorted((self.worker_index[r.worker_id], r.id) for r in rows if r.order_id == self.gig_orders[gig.index])
        if not held:
            self.counts["standby_no_seat_to_give_back"] += 1
            return
        index, assignment_id = choice_rng(self.plan.seed, "give back", gig.index).choice(held)
        await self.s.allocations.cancel_assignment(self.workers[index], assignment_id, "家里临时有事，无法到岗",
                                                   now=story.cancel_at)
        self.counts["seats_given_back"] += 1
        shift = await self.s.standby.of_shift(self.employers[gig.employer], await self.first_shift_id(gig))
        for standby in shift.standbys:
            if standby.state == "offered" and standby.offer_id is not None:
                worker = self.workers[self.worker_index[standby.worker_id]]
                await self.s.allocations.accept(worker, standby.offer_id, now=story.accept_at)
                self.counts["standbys_called"] += 1

    async def evening(self, day: date) -> None:
        await self.night(at(day, 22.5), day)

    async def night(self, now: datetime, day: date) -> None:
        """The scheduled jobs: offers nobody answered expire (as the allocator's housekeeping
        does); auto-approval and pending settlements; the day's payout batch (confirmed by the bank
        at once); lenders confirm wage legs; the arrears check."""
        while await runs.expire_offers(self.pool, now) >= runs.EXPIRY_BATCH:
            pass
        # standbys on call at their shift's end are paid (their payables go in tonight's batch)
        self.counts["standbys_paid"] += (await self.s.standby.sweep(now=now)).paid
        await self.s.settlements.auto_approve(now=now)
        await self.s.settlements.settle_pending(now=now)
        if day >= self.plan.days[0]:
            batch_id = await self.s.settlements.run_payouts(day, now=now)
            await self.s.settlements.confirm_batch(batch_id, now=now + BANK_CONFIRMS_AFTER)
        for plan, principal in zip(self.plan.employers, self.employers):
            if plan.role != "lender":  # the arrears lender never confirms paying its employees
                continue
            async with self.pool.acquire() as conn:
                legs = await queries.unconfirmed_wage_legs(conn, principal.organisation_id)
            for settlement_id in legs:
                await self.s.settlements.confirm_wage_paid(principal, settlement_id, now=now)
        self.counts["arrears"] += len(await self.s.settlements.check_arrears(today=day, now=now))

    # ---- who the summary names ----------------------------------------------------------------------

    async def sample_worker(self) -> SignedIn | None:
        """The first worker (in plan order) with an accepted offer, a settled pay slip and open work
        in their feed (as of the real clock, as their app would show it), signed in."""
        async with self.pool.acquire() as conn:
            candidates = await queries.workers_with_offers_and_pay_slips(conn)
        for plan, principal in zip(self.plan.workers, self.workers):
            if principal.worker_id not in candidates:
                continue
            items, _, _ = await self.s.feed.page(principal, as_of=None, after=None, limit=1)
            if items:
                return SignedIn(plan.phone, plan.name, await self.s.accounts.sign_in(plan.phone, plans.PASSWORD))
        return None

    async def sample_employer(self) -> SignedIn:
        """The employer that posted the most gig orders (the lowest plan index among equals), signed in."""
        posted = Counter(g.employer for g in self.plan.gigs)
        index = max(posted, key=lambda i: (posted[i], -i))
        plan = self.plan.employers[index]
        return SignedIn(plan.login, plan.name, await self.s.accounts.sign_in(plan.login, plans.PASSWORD))


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


async def run_demo(pool: asyncpg.Pool, settings: Settings, hash_key: bytes, *, seed: int, scale: float,
                   today: date, progress: Progress | None = None) -> DemoResult:
    """Build and play the demo market in the (fresh, upgraded) database behind `pool`; return the
    plan, a supervisor token for the district with the arrears case, the ledger check's verdict,
    the simulation's counts, and a worker and an employer signed in for exploring."""
    services = Services.build(pool, settings, hash_key)
    try:
        data = await services.catalogue.data()
        districts = [plans.District(d.code, d.name, d.tier, d.lat, d.lon) for d in data.districts if d.active]
        plan = plans.build_plan(districts, seed=seed, scale=scale, today=today)
        simulation = Simulation(pool, services, plan, progress or Progress(1, stream=None))
        simulation.progress.total = 5 + len(simulation.calendar())
        await simulation.register(hash_key)
        await simulation.play()
        await post_recurring_order(simulation, settings, today)  # docs/recurring-orders.md
        name = next(d.name for d in plan.districts if d.code == plan.arrears_district)
        supervisor = await services.accounts.create_staff("supervisor", f"{name}人社局监管员", [plan.arrears_district])
        ledger = await services.settlements.ledger_check()
        worker, employer = await simulation.sample_worker(), await simulation.sample_employer()
        simulation.progress.finish()
        return DemoResult(plan, supervisor, ledger.ok, simulation.counts, worker, employer)
    finally:
        services.allocator.close()
