"""The demo market as data: who exists, where, and what they will post and do. Pure, no I/O.

Everything is drawn from one `random.Random(seed)` in a fixed order, so a seed and a scale give the
same plan every time; the simulation (simulation.py) then plays it through the services. Decisions
the simulation takes later (who bids, who declines an offer) are drawn from `choice_rng(seed, …)`,
keyed by plan indexes, never by database ids or query order, which differ between runs.

Decisions:
- Places: employers and workers cluster around the real district centres of districts.json (a
  Gaussian offset of a few km), weighted towards the 主城都市区 core where most gig work is.
- Time: `today` is a date (Chongqing). The played week is the 7 days before it, so the dashboard's
  default range (the last 30 days) shows it and nothing simulated lies in the real future; orders
  for today and the next days are posted "yesterday" and stay open or filled for exploring.
- Standby seats (docs/standby.md): a few shifts of the week carry them. On one (an order of its
  own, like the late cancellation, where the most auto-allocated workers are in reach) an assigned
  worker gives the seat back the evening before and the first standby takes it; on the others
  nobody is called and the standbys are paid at the shift's end; one of today's shifts keeps its
  standby on call. Drawn from `choice_rng`, not the plan's generator, so the rest of a seed's
  market is what it was before standby seats were added.
- The arrears case is one shared-employment engagement three weeks back: the borrower paid the
  lender's fee through escrow, the lender (the employer of record) never confirmed paying its
  employees their wage leg, whose due date (shift + 15 days) has passed. Pre-funding makes an
  unfunded gig wage impossible (allocation holds escrow for each seat), so the employer-at-fault
  arrears a real market still sees is this one: wages owed outside the platform's escrow.
"""
from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from market.demo import identities
from market.kernel.clock import SHANGHAI

PASSWORD = "demo-password"
WEEK_DAYS = 7
# The arrears engagement: working days 21–19 days before today (wage leg due 15 days after each).
ARREARS_DAYS_BACK = (21, 20, 19)

# 主城都市区 central districts: most orders and people are here.
CORE = ("500103", "500104", "500106", "500107", "500108", "500109", "500113", "500190")
# Skills by sector; an employer posts work of its sector (no certificate-only skills, so nobody
# is refused for a certificate the demo cannot verify).
SECTORS = {
    "物流": ("warehouse_picking", "loading", "delivery_courier", "moving"),
    "餐饮": ("kitchen_helper", "waiter", "dishwashing", "hotpot_server"),
    "零售": ("cashier", "retail_promoter", "shelf_stocking"),
    "物业": ("cleaning", "security_guard", "gardening"),
    "酒店": ("hotel_room", "cleaning", "waiter"),
    "制造": ("assembly_line", "quality_inspection", "warehouse_picking"),
    "会展": ("event_staff", "livestream_assistant", "customer_service"),
    "家政": ("housekeeping", "cleaning"),
}
TRADE_NAMES = "渝新 山城 巴渝 两江 嘉陵 长江 朝天 南山 缙云 歌乐 磁器 洪崖 金佛 白帝 龙门 合川 永川 江津 綦江 武隆".split()
SECTOR_WORDS = {"物流": "物流", "餐饮": "餐饮管理", "零售": "商贸", "物业": "物业管理", "酒店": "酒店管理",
                "制造": "电子科技", "会展": "会展服务", "家政": "家政服务"}
GIG_TITLES = {
    "warehouse_picking": "仓库分拣打包", "loading": "装卸搬运工", "delivery_courier": "即时配送骑手",
    "moving": "搬家搬运", "kitchen_helper": "后厨帮工", "waiter": "餐厅服务员", "dishwashing": "洗碗工",
    "hotpot_server": "火锅店服务员", "cashier": "超市收银员", "retail_promoter": "门店促销员",
    "shelf_stocking": "理货员", "cleaning": "保洁员", "security_guard": "安保执勤", "gardening": "绿化养护",
    "hotel_room": "客房服务员", "assembly_line": "流水线普工", "quality_inspection": "质检员",
    "event_staff": "会展现场服务", "livestream_assistant": "直播场控助理", "customer_service": "客服专员",
    "housekeeping": "家政保洁",
}
RELATIONSHIPS = ("labor_service", "incomplete_labor", "labor_part_time")
RELATIONSHIP_WEIGHTS = (40, 25, 35)
MINIMUM_HOURLY_FEN = {1: 2300, 2: 2200}  # districts.json, in force since 2025-01-01
# Standby (docs/standby.md): the played days whose shifts keep a standby on call until the end
# (paid), the day an assigned worker gives a seat back to a standby (not the forced no-show's,
# days[2], nor the late cancellation's, days[4]), and the standby amount: a quarter of the seat's
# pay, rounded up to the yuan (the floor is a fifth, orders.rules.STANDBY_FLOOR_SHARE).
STANDBY_PAID_DAYS = (1, 3, 6)
STANDBY_CALLED_DAY = 5
STANDBY_SHARE = Fraction(1, 4)
STANDBY_SIGN_UP_HOUR = 16.5  # after the day's last allocation run (16:00): the shift is full
STANDBY_CANCEL_HOUR = 19.0  # the evening before: the worker gives the seat back
STANDBY_ANSWER_AFTER = timedelta(minutes=5)  # inside the replacement offer's 15 minutes
STANDBY_LATEST_END = 22  # paid standbys' shifts end before the night's sweep (22:30)
BOOK_AGAIN_HOUR = 20.0  # the last played evening: an order booked again (docs/favourites.md)


@dataclass(frozen=True)
class District:
    code: str
    name: str
    tier: int
    lat: float
    lon: float


@dataclass(frozen=True)
class EmployerPlan:
    index: int
    name: str
    credit_code: str
    district: str
    sector: str
    site: tuple[float, float]
    login: str
    deposit_fen: int
    role: str = "employer"  # employer | lender | borrower | arrears_lender


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    name: str
    id_number: str
    phone: str
    district: str
    home: tuple[float, float]
    skills: tuple[tuple[str, int], ...]
    relationships: tuple[str, ...]
    max_travel_m: int
    auto: bool
    employer: int | None = None  # index of the lender that employs them
    agreed_wage_fen: int = 0


@dataclass(frozen=True)
class ShiftPlan:
    start: datetime
    end: datetime
    headcount: int
    standby: int = 0
    standby_amount_fen: int | None = None


@dataclass(frozen=True)
class GigPlan:
    index: int
    employer: int
    relationship: str
    skill: str
    min_level: int
    title: str
    posted_at: datetime
    shifts: tuple[ShiftPlan, ...]
    pay_unit: str  # hour | day
    amount_fen: int
    stated_hours: int | None
    cycle_days: int
    mode: str  # bids | auto
    allocate: bool = True  # False: left open for bids (future orders to explore)
    cancel_at: datetime | None = None  # the late cancellation


@dataclass(frozen=True)
class StandbyPlan:
    """Standby seats on the first shift of gig `gig`: workers go on call from `sign_up_at` (a
    minute apart, so the sign-up order is the plan's); with `cancel_at`, an assigned worker gives
    the seat back then and the first standby accepts the offer at `accept_at`."""

    gig: int
    sign_up_at: datetime
    cancel_at: datetime | None = None
    accept_at: datetime | None = None


@dataclass(frozen=True)
class BookAgainPlan:
    """"Book again" (docs/favourites.md): the employer reposts gig `original` at `posted_at` on
    `shifts` (its shifts' hours on later days), the workers who held its seats invited first for
    `pool_minutes`."""

    original: int
    posted_at: datetime
    shifts: tuple[ShiftPlan, ...]
    pool_minutes: int = 60


@dataclass(frozen=True)
class SharedPlan:
    index: int
    borrower: int
    lender: int
    skill: str
    title: str
    posted_at: datetime
    first_day: date
    last_day: date
    headcount: int
    fee_per_worker_day_fen: int
    wage_hourly_fen: int
    lender_confirms_wages: bool = True


@dataclass
class MarketPlan:
    seed: int
    scale: float
    today: date
    districts: list[District]
    employers: list[EmployerPlan]
    workers: list[WorkerPlan]
    gigs: list[GigPlan]
    shared: list[SharedPlan]
    arrears_district: str
    days: list[date] = field(default_factory=list)
    standbys: list[StandbyPlan] = field(default_factory=list)
    book_again: BookAgainPlan | None = None

    def lowest_rate_fen(self, gig: GigPlan) -> int:
        """The least a bid on `gig` may ask: the order's minimum wage per unit of its pay (labor
        service may go below the minimum; it is only flagged)."""
        if gig.relationship == "labor_service":
            return 1
        tier = next(d.tier for d in self.districts if d.code == self.employers[gig.employer].district)
        return MINIMUM_HOURLY_FEN[tier] * (gig.stated_hours or 1)

    def fitting(self, gig: GigPlan) -> list[WorkerPlan]:
        """The workers who could take a seat of `gig`: its relationship type, skill and level, the
        site within their travel radius (who bids, who goes on standby)."""
        return fitting_workers(self.workers, self.employers[gig.employer], gig)


def at(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(), SHANGHAI) + timedelta(minutes=round(hour * 60))


def choice_rng(seed: int, *key: object) -> random.Random:
    """A generator for one later decision, keyed by plan indexes: independent of the order in
    which the simulation happens to reach it."""
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine, the same formula as market.geo (kept here so the plan stays pure)."""
    from market.geo import haversine_m

    return haversine_m(a[0], a[1], b[0], b[1])


def address_code(district_code: str) -> str:
    """The 6-digit GB/T 2260 code for identities: 两江新区's internal code is not one, so its people
    carry 渝北区's (500112), where most of it lies."""
    return district_code if district_code.isdigit() else "500112"


def _near(rng: random.Random, district: District, spread_km: float) -> tuple[float, float]:
    # ~111 km per degree of latitude; longitude shrinks with cos(latitude).
    lat = district.lat + rng.gauss(0, spread_km / 111)
    lon = district.lon + rng.gauss(0, spread_km / (111 * math.cos(math.radians(district.lat))))
    return round(lat, 6), round(lon, 6)


def build_plan(districts: list[District], *, seed: int, scale: float, today: date) -> MarketPlan:
    rng = random.Random(seed)
    active = sorted(districts, key=lambda d: d.code)
    weights = [6 if d.code in CORE else 1 for d in active]
    by_code = {d.code: d for d in active}
    n_employers = max(12, round(300 * scale))
    n_workers = max(120, round(3000 * scale))
    n_lenders = max(2, round(4 * scale))
    n_borrowers = max(2, round(4 * scale))
    arrears_district = rng.choice([c for c in CORE if c in by_code])

    employers: list[EmployerPlan] = []
    used_names: set[str] = set()
    for index in range(n_employers):
        if index == 0:
            district, role = arrears_district, "arrears_lender"
        elif index == 1:
            district, role = arrears_district, "borrower"
        else:
            district = rng.choices(active, weights)[0].code
            role = ("lender" if index < 1 + n_lenders else "borrower" if index < 1 + n_lenders + n_borrowers
                    else "employer")
        sector = rng.choice(sorted(SECTORS))
        name = _company_name(rng, by_code[district], sector, used_names)
        employers.append(EmployerPlan(
            index=index, name=name, credit_code=identities.credit_code(rng, address_code(district)), district=district,
            sector=sector, site=_near(rng, by_code[district], 3.0), login=f"hr{index:04d}@demo.market",
            deposit_fen=rng.randrange(30, 80) * 100_000, role=role))

    workers: list[WorkerPlan] = []
    lenders = [e for e in employers if e.role in ("lender", "arrears_lender")]
    employees_per_lender = max(3, round(8 * scale ** 0.5))
    all_skills = sorted({s for skills in SECTORS.values() for s in skills})
    phones: set[str] = set()
    for index in range(n_workers):
        district = by_code[rng.choices(active, weights)[0].code]
        employer, wage = None, 0
        if index < len(lenders) * employees_per_lender:
            lender = lenders[index // employees_per_lender]
            employer, district = lender.index, by_code[lender.district]
            wage = MINIMUM_HOURLY_FEN[district.tier] + rng.randrange(0, 8) * 100
        skills = rng.sample(all_skills, rng.randrange(2, 5))
        if employer is not None:  # a lender's employees know its trade
            skills = sorted(set(skills) | set(SECTORS[employers[employer].sector][:2]))
        relationships = tuple(r for r, p in zip(RELATIONSHIPS, (0.9, 0.8, 0.8)) if rng.random() < p) or RELATIONSHIPS
        phone = identities.mobile(rng)
        while phone in phones:
            phone = identities.mobile(rng)
        phones.add(phone)
        workers.append(WorkerPlan(
            index=index, name=identities.person_name(rng), id_number=identities.resident_id(rng, address_code(district.code)),
            phone=phone, district=district.code, home=_near(rng, district, 4.0),
            skills=tuple((s, rng.randrange(1, 6)) for s in sorted(skills)),
            relationships=relationships + (("shared_labor",) if employer is not None else ()),
            max_travel_m=rng.choice((5_000, 8_000, 10_000, 15_000, 20_000)), auto=rng.random() < 0.6,
            employer=employer, agreed_wage_fen=wage))

    days = [today - timedelta(days=n) for n in range(WEEK_DAYS, 0, -1)]
    gigs = _gig_plans(rng, employers, workers, by_code, days, today, scale)
    shared = _shared_plans(rng, employers, by_code, days, today, scale)
    gigs, standbys = _standby_plans(seed, gigs, employers, workers, by_code, days, today)
    return MarketPlan(seed, scale, today, active, employers, workers, gigs, shared, arrears_district, days, standbys,
                      _book_again_plan(gigs, employers, workers, days, today))


def _book_again_plan(gigs: list[GigPlan], employers: list[EmployerPlan], workers: list[WorkerPlan],
                     days: list[date], today: date) -> BookAgainPlan | None:
    """On the last played evening an employer books again one of its played orders, every shift
    worked by then, on the same hours from the day after tomorrow: the workers who held its seats
    are invited first. The order is the one whose seats most workers in reach could fill (the
    earliest among equals), so that someone worked it even at a tiny scale."""
    posted_at = at(days[-1], BOOK_AGAIN_HOUR)
    played = [g for g in gigs if g.allocate and g.cancel_at is None and g.shifts[0].standby == 0
              and g.shifts[0].start.date() >= days[0] and g.shifts[-1].end <= posted_at]
    if not played:
        return None

    def likely_seated(gig: GigPlan) -> int:  # the seats the workers in reach could fill (auto: those who accept it)
        fitting = [w for w in fitting_workers(workers, employers[gig.employer], gig) if w.auto or gig.mode == "bids"]
        return min(len(fitting), max(s.headcount for s in gig.shifts))

    original = max(played, key=lambda g: (likely_seated(g), -g.index))
    moved = today + timedelta(days=2) - original.shifts[0].start.date()
    return BookAgainPlan(original.index, posted_at,
                         tuple(ShiftPlan(s.start + moved, s.end + moved, s.headcount) for s in original.shifts))


def fitting_workers(workers: list[WorkerPlan], employer: EmployerPlan, gig: GigPlan) -> list[WorkerPlan]:
    return [w for w in workers
            if gig.relationship in w.relationships and dict(w.skills).get(gig.skill, 0) >= gig.min_level
            and distance_m(w.home, employer.site) <= w.max_travel_m]


def standby_amount_fen(gig: GigPlan, shift: ShiftPlan) -> int:
    """A quarter of the seat's pay for the shift (the order's hourly equivalent over its length),
    rounded up to the yuan: above the posting floor (a fifth), below the ceiling (all of it)."""
    hourly = Fraction(gig.amount_fen, gig.stated_hours if gig.pay_unit != "hour" and gig.stated_hours else 1)
    pay = hourly * Fraction(int((shift.end - shift.start).total_seconds()), 3600)
    return math.ceil(pay * STANDBY_SHARE / 100) * 100


def _with_standby(gig: GigPlan, seats: int) -> GigPlan:
    first = gig.shifts[0]
    shift = replace(first, standby=min(seats, first.headcount), standby_amount_fen=standby_amount_fen(gig, first))
    return replace(gig, shifts=(shift, *gig.shifts[1:]))


def _standby_plans(seed: int, gigs: list[GigPlan], employers: list[EmployerPlan], workers: list[WorkerPlan],
                   by_code: dict[str, District], days: list[date], today: date
                   ) -> tuple[list[GigPlan], list[StandbyPlan]]:
    """The standby story (docs/demo.md): one seat of each of a few played shifts, and one of
    today's, whose standby stays on call; and the order where a seat is given back to a standby."""
    gigs = list(gigs)
    stories: list[StandbyPlan] = []
    for day in [days[n] for n in STANDBY_PAID_DAYS] + [today]:
        # The first shift on `day`, ending before the night's sweep, of an order allocated the day
        # before, with at least two workers who could go on call besides a full shift (or, at a
        # tiny scale, those with the most).
        spare = {g.index: len(fitting_workers(workers, employers[g.employer], g)) - g.shifts[0].headcount
                 for g in gigs if g.allocate and g.cancel_at is None and g.shifts[0].start.date() == day
                 and g.shifts[0].end <= at(day, STANDBY_LATEST_END)}
        if not spare:
            continue
        enough = min(2, max(spare.values()))
        eligible = [gigs[i] for i, n in sorted(spare.items()) if n >= enough]
        gig = choice_rng(seed, "standby shift", day.isoformat()).choice(eligible)
        gigs[gig.index] = _with_standby(gig, 1)
        stories.append(StandbyPlan(gig.index, at(day - timedelta(days=1), STANDBY_SIGN_UP_HOUR)))
    # The seat given back: an auto order of two seats and two standby seats at 09:00, where the most
    # auto-allocated workers are in reach (so its seats are held even at a tiny scale); one
    # standby takes the seat, the other stays on call and is paid.
    day = days[STANDBY_CALLED_DAY]
    posting = [e for e in employers if e.role == "employer"]
    employer, skill = _best_reached(posting, workers)
    eve = day - timedelta(days=1)
    drawn = _gig(choice_rng(seed, "standby order"), len(gigs), employer, by_code, day, at(eve, 9), allocate=True)
    gig = GigPlan(**{**vars(drawn), "mode": "auto", "relationship": "labor_service", "skill": skill, "min_level": 1,
                     "title": f"{GIG_TITLES.get(skill, '临时工')}（设待命岗）",
                     "shifts": (ShiftPlan(at(day, 9), at(day, 13), 2),)})
    gigs.append(_with_standby(gig, 2))
    cancel = at(eve, STANDBY_CANCEL_HOUR)
    stories.append(StandbyPlan(gig.index, at(eve, STANDBY_SIGN_UP_HOUR), cancel, cancel + STANDBY_ANSWER_AFTER))
    return gigs, stories


def _company_name(rng: random.Random, district: District, sector: str, used: set[str]) -> str:
    place = district.name.removesuffix("区").removesuffix("县").removesuffix("自治")[:2]
    while True:
        name = f"重庆{place}{rng.choice(TRADE_NAMES)}{SECTOR_WORDS[sector]}有限公司"
        if name not in used:
            used.add(name)
            return name
        place = rng.choice(TRADE_NAMES)


def _gig_plans(rng: random.Random, employers: list[EmployerPlan], workers: list[WorkerPlan],
               by_code: dict[str, District], days: list[date], today: date, scale: float) -> list[GigPlan]:
    posting = [e for e in employers if e.role == "employer"]
    per_day = max(6, round(40 * scale))
    gigs: list[GigPlan] = []
    # Work days: each played day, today and tomorrow (allocated the day before); then three days
    # of orders left open for bids.
    work_days = days + [today, today + timedelta(days=1)]
    # Nothing is simulated on or after today (it would lie in the real future): today's and
    # tomorrow's orders are posted and allocated yesterday.
    yesterday = today - timedelta(days=1)
    for day in work_days:
        for _ in range(per_day):
            posted = at(min(day - timedelta(days=1), yesterday), rng.choice((8.5, 9, 9.5, 10)))
            gigs.append(_gig(rng, len(gigs), rng.choice(posting), by_code, day, posted, allocate=True))
    for offset in (2, 3, 4):
        for _ in range(max(2, per_day // 4)):
            gigs.append(_gig(rng, len(gigs), rng.choice(posting), by_code, today + timedelta(days=offset),
                             at(yesterday, 16), allocate=False))
    # The late cancellation: an auto order of two seats at 09:00 on the fifth played day, cancelled
    # at 18:00 the evening before (inside the 24-hour window).
    # Its employer and skill are the ones with the most auto-allocated workers in reach, so that
    # its seats are held when it is cancelled even at a tiny scale.
    day = days[4]
    employer, skill = _best_reached(posting, workers)
    late = _gig(rng, len(gigs), employer, by_code, day, at(day - timedelta(days=1), 8.5), allocate=True)
    gigs.append(GigPlan(**{**vars(late), "mode": "auto", "relationship": "labor_service",
                           "title": f"{GIG_TITLES.get(skill, '临时工')}（活动取消）", "skill": skill, "min_level": 1,
                           "shifts": (ShiftPlan(at(day, 9), at(day, 13), 2),),
                           "cancel_at": at(day - timedelta(days=1), 18)}))
    return gigs


def _best_reached(employers: list[EmployerPlan], workers: list[WorkerPlan]) -> tuple[EmployerPlan, str]:
    reach: dict[tuple[int, str], int] = {}
    for employer in employers:
        for worker in workers:
            if worker.auto and "labor_service" in worker.relationships and \
                    distance_m(worker.home, employer.site) <= worker.max_travel_m:
                for skill, _ in worker.skills:
                    reach[(employer.index, skill)] = reach.get((employer.index, skill), 0) + 1
    (index, skill), _ = max(reach.items(), key=lambda item: (item[1], -item[0][0], item[0][1]))
    return next(e for e in employers if e.index == index), skill


def _gig(rng: random.Random, index: int, employer: EmployerPlan, by_code: dict[str, District], day: date,
         posted: datetime, *, allocate: bool) -> GigPlan:
    relationship = rng.choices(RELATIONSHIPS, RELATIONSHIP_WEIGHTS)[0]
    skill = rng.choice(SECTORS[employer.sector])
    minimum = MINIMUM_HOURLY_FEN[by_code[employer.district].tier]
    shifts = []
    start_hour = rng.choice((7, 8, 9, 10, 13, 14, 17, 18))
    hours = rng.choice((3, 4)) if relationship == "labor_part_time" else rng.choice((4, 5, 6, 8))
    for n in range(rng.choice((1, 1, 2, 2, 3))):  # the same hours on consecutive days
        start = at(day, start_hour) + timedelta(days=n) if n else at(day, start_hour)
        shifts.append(ShiftPlan(start, start + timedelta(hours=hours), rng.choice((1, 2, 2, 3, 3, 4, 5, 6))))
    hourly = minimum + rng.randrange(0, 25) * 100
    if relationship == "labor_service" and rng.random() < 0.04:
        hourly = minimum - rng.randrange(3, 8) * 100  # allowed for labor service, shown to supervisors
    pay_unit, stated, amount = "hour", None, hourly
    if relationship != "labor_part_time" and rng.random() < 0.2:
        stated = max(1, round((shifts[0].end - shifts[0].start).total_seconds() / 3600))
        pay_unit, amount = "day", hourly * stated
    return GigPlan(
        index=index, employer=employer.index, relationship=relationship, skill=skill, min_level=rng.choice((1, 1, 2)),
        title=GIG_TITLES.get(skill, "临时用工"), posted_at=posted, shifts=tuple(shifts), pay_unit=pay_unit,
        amount_fen=amount, stated_hours=stated, cycle_days=rng.choice((1, 3, 7)), mode=rng.choice(("bids", "auto")),
        allocate=allocate)


def _shared_plans(rng: random.Random, employers: list[EmployerPlan], by_code: dict[str, District],
                  days: list[date], today: date, scale: float) -> list[SharedPlan]:
    lenders = [e for e in employers if e.role == "lender"]
    borrowers = [e for e in employers if e.role == "borrower"]
    arrears_lender = next(e for e in employers if e.role == "arrears_lender")
    arrears_borrower = next(e for e in employers if e.role == "borrower" and e.district == arrears_lender.district)
    plans: list[SharedPlan] = []
    first = today - timedelta(days=ARREARS_DAYS_BACK[0])
    plans.append(_shared(rng, 0, arrears_borrower, arrears_lender, by_code, first,
                         first + timedelta(days=len(ARREARS_DAYS_BACK) - 1), confirms=False))
    for n in range(max(2, round(5 * scale))):
        start = days[rng.randrange(0, 3)]
        plans.append(_shared(rng, len(plans), rng.choice(borrowers), lenders[n % len(lenders)], by_code, start,
                             start + timedelta(days=rng.randrange(1, 4)), confirms=True))
    return plans


def _shared(rng: random.Random, index: int, borrower: EmployerPlan, lender: EmployerPlan,
            by_code: dict[str, District], first: date, last: date, *, confirms: bool) -> SharedPlan:
    minimum = MINIMUM_HOURLY_FEN[by_code[borrower.district].tier]
    skill = SECTORS[lender.sector][0]
    return SharedPlan(
        index=index, borrower=borrower.index, lender=lender.index, skill=skill,
        title=f"共享用工：{GIG_TITLES.get(skill, '员工')}", posted_at=at(first - timedelta(days=2), 10),
        first_day=first, last_day=last, headcount=rng.choice((2, 3)),
        fee_per_worker_day_fen=minimum * 8 + rng.randrange(20, 80) * 100, wage_hourly_fen=minimum + 300,
        lender_confirms_wages=confirms)
