"""The rules of a bid as pure functions: a worker's bid on shifts of a gig order (SPEC §5) and a
lender's bid on a shared order with the employees it names (共享用工, 人社厅发〔2020〕98号).
Standard library only, on top of the seat rules of `market.orders.rules`.

Like those, they return `Refusal`s (a stable code, a message, facts) or the `FieldError`s of the
422 a bid is answered with (`gig_bid_errors`, `shared_bid_errors`); `check_bid` and
`check_lending` raise them. Every fact is an argument: the service gathers them (one read of the
order and the worker, or of the named employments), these functions decide. Decisions and
sources are in docs/orders-rules.md.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from market.errors import FieldError, ValidationFailed
from market.kernel.clock import local_date
from market.kernel.money import fen_half_up
from market.kernel.relationships import RelationshipType
from market.orders.model import (
    MINIMUM_WAGE_RELATIONSHIPS,
    EntityId,
    SkillRequirement,
    TimeSpan,
)
from market.orders.records import StoredOrder
from market.orders.rules import Loc, Refusal, WorkerFacts, seat_refusals, yuan

# ---------------------------------------------------------------------------------------------------
# A worker's bid on gig shifts
# ---------------------------------------------------------------------------------------------------


def bid_refusals(
    *,
    shift: TimeSpan,
    relationship: RelationshipType,
    requirements: Iterable[SkillRequirement],
    worker: WorkerFacts,
    bid_amount_fen: int,
    order_amount_fen: int,
    strict_each_day: bool = False,
    minimum_hourly_fen: int | None = None,
    hours_per_unit: Fraction = Fraction(1),
) -> list[Refusal]:
    """`seat_refusals` plus the bid's own rules: the amount asked (in the order's pay unit) must be
    positive and not above what the order pays (SPEC §5: bid rate ≤ the order's rate), and, where
    the law sets a floor (`MINIMUM_WAGE_RELATIONSHIPS`), its hourly equivalent not below
    `minimum_hourly_fen` (the shift's district and date): a worker cannot agree to less than the
    minimum wage, so the bid is refused rather than settled short later."""
    refusals = seat_refusals(
        shift=shift,
        relationship=relationship,
        requirements=requirements,
        worker=worker,
        strict_each_day=strict_each_day,
    )
    if bid_amount_fen <= 0:
        refusals.append(Refusal("bid_amount_not_positive", "must be positive"))
    elif bid_amount_fen > order_amount_fen:
        refusals.append(
            Refusal(
                "bid_above_rate",
                f"asks {yuan(bid_amount_fen)} yuan, more than the order's {yuan(order_amount_fen)} yuan",
                {"order_amount_fen": order_amount_fen},
            )
        )
    elif (minimum_hourly_fen is not None and relationship in MINIMUM_WAGE_RELATIONSHIPS
          and Fraction(bid_amount_fen) / hours_per_unit < minimum_hourly_fen):
        refusals.append(
            Refusal(
                "bid_below_minimum_wage",
                f"asks {yuan(int(Fraction(bid_amount_fen) / hours_per_unit))} yuan an hour, below the hourly minimum "
                f"wage of {yuan(minimum_hourly_fen)} yuan ({minimum_hourly_fen} fen) where and when the shift is",
                {"minimum_hourly_fen": minimum_hourly_fen},
            )
        )
    return refusals


def check_bid(
    *,
    shift: TimeSpan,
    relationship: RelationshipType,
    requirements: Iterable[SkillRequirement],
    worker: WorkerFacts,
    bid_amount_fen: int,
    order_amount_fen: int,
    shift_loc: Loc = ("shift_index",),
    amount_loc: Loc = ("amount_fen",),
    minimum_hourly_fen: int | None = None,
    hours_per_unit: Fraction = Fraction(1),
) -> None:
    """`bid_refusals` as a 422: amount problems at `amount_loc`, everything else at `shift_loc`."""
    refusals = bid_refusals(
        shift=shift,
        relationship=relationship,
        requirements=requirements,
        worker=worker,
        bid_amount_fen=bid_amount_fen,
        order_amount_fen=order_amount_fen,
        minimum_hourly_fen=minimum_hourly_fen,
        hours_per_unit=hours_per_unit,
    )
    if refusals:
        raise ValidationFailed(bid_errors(refusals, shift_loc=shift_loc, amount_loc=amount_loc))


def bid_errors(refusals: Iterable[Refusal], *, shift_loc: Loc, amount_loc: Loc) -> list[FieldError]:
    """`bid_refusals` as field errors: the amount's own at `amount_loc`, every other at `shift_loc`."""
    return [r.at(amount_loc if r.code.startswith("bid_") else shift_loc) for r in refusals]


def gig_bid_errors(
    *,
    order: StoredOrder,
    shift_ids: Sequence[uuid.UUID],
    rate_fen: int,
    worker: WorkerFacts,
    relationship_types: Collection[str],
    now: datetime,
    minimum_hourly_fen_on: Callable[[date], int | None],
) -> list[FieldError]:
    """Every reason a worker's bid at `rate_fen` on these shifts of `order` is refused, as the 422
    reports it: the relationship type their profile accepts (at the order), then per shift listed
    (at `("shift_ids", i)`): a shift of the order, open with a seat left, not started, and
    `bid_refusals` (the rate's at `("rate_fen",)`, once: one rate covers every shift).
    `minimum_hourly_fen_on(day)` is the hourly minimum wage of the order's district on a Chongqing
    date (None where the district has no tier)."""
    errors: list[FieldError] = []
    if order.relationship.value not in relationship_types:
        errors.append(FieldError(("path", "id"), f"your profile does not accept {order.relationship.value} "
                                 "work; change relationship_types in your profile to bid"))
    shifts = {s.id: s for s in order.shifts}
    for index, shift_id in enumerate(shift_ids):
        shift = shifts.get(shift_id)
        loc: Loc = ("shift_ids", index)
        if shift is None:
            errors.append(FieldError(loc, "not a shift of this order"))
            continue
        if not shift.open or shift.filled >= shift.headcount:
            errors.append(FieldError(loc, "this shift is full or closed"))
            continue
        if shift.start <= now:
            errors.append(FieldError(loc, "this shift has already started"))
            continue
        refusals = bid_refusals(shift=shift, relationship=order.relationship, requirements=order.skills,
                                worker=worker, bid_amount_fen=rate_fen, order_amount_fen=order.pay.amount_fen,
                                minimum_hourly_fen=minimum_hourly_fen_on(local_date(shift.start)),
                                hours_per_unit=order.pay.hours_per_unit())
        errors += bid_errors(refusals, shift_loc=loc, amount_loc=("rate_fen",))
    # One rate for all shifts: report a rate problem once.
    return list({(e.loc, e.msg): e for e in errors}.values())


# ---------------------------------------------------------------------------------------------------
# A lender's bid on a shared order (人社厅发〔2020〕98号)
# ---------------------------------------------------------------------------------------------------


def lender_refusal(*, borrower_id: EntityId, lender_id: EntityId) -> Refusal | None:
    """A bid's lender must be another enterprise than the borrower."""
    if borrower_id == lender_id:
        return Refusal("lender_is_borrower", "an enterprise cannot borrow its own employees")
    return None


def lent_worker_refusals(
    *,
    lender_id: EntityId,
    employer_of_record_id: EntityId | None,
    currently_borrowed_by: EntityId | None = None,
    employment_state: str | None = "active",
    worker_consented: bool | None = None,
) -> list[Refusal]:
    """Whether `lender_id` may lend this worker at all.

    `employer_of_record_id`: the enterprise holding the worker's labor contract (None: no record).
    `currently_borrowed_by`: the borrower the worker is on loan to now, if any.
    `employment_state`: the state of that employment record; lending needs it confirmed (active).
    `worker_consented`: None while the consent is still to be asked (a bid asks it: its consents).
    The labor relationship stays with the lender, so only the employer of record may lend; a
    borrower is never the employer of record, so a borrowed worker cannot be lent on.
    """
    refusals: list[Refusal] = []
    if currently_borrowed_by is not None and currently_borrowed_by == lender_id:
        refusals.append(
            Refusal(
                "borrowed_worker_cannot_be_lent_on", "the worker is on loan to this enterprise and cannot be lent on"
            )
        )
    elif employer_of_record_id != lender_id:
        refusals.append(Refusal("worker_not_lenders_employee", "not an employee of yours"))
    elif employment_state != "active":
        refusals.append(Refusal("employment_not_active",
                                f"the employment is {employment_state}; the employee must confirm it first",
                                {"employment_state": employment_state}))
    if worker_consented is False:
        refusals.append(Refusal("worker_consent_missing", "the worker must agree to the loan (amended labor contract)"))
    return refusals


def lending_refusals(
    *,
    borrower_id: EntityId,
    lender_id: EntityId,
    employer_of_record_id: EntityId,
    currently_borrowed_by: EntityId | None = None,
    worker_consented: bool,
) -> list[Refusal]:
    """Whether `lender_id` may lend this worker to `borrower_id`: `lender_refusal` and
    `lent_worker_refusals`, the worker's consent included."""
    refusals = [r for r in [lender_refusal(borrower_id=borrower_id, lender_id=lender_id)] if r is not None]
    return refusals + lent_worker_refusals(lender_id=lender_id, employer_of_record_id=employer_of_record_id,
                                           currently_borrowed_by=currently_borrowed_by,
                                           worker_consented=worker_consented)


def lender_wage_refusal(*, wage_fen: int, agreed_wage_fen: int, minimum_wage_fen: int) -> Refusal | None:
    """The lender pays the worker in full: at least max(the worker's agreed wage, the minimum wage).

    All three amounts must be for the same period (e.g. a month against `MinimumWage.monthly_fen`,
    or an hour against `hourly_fen`); the caller picks the period of the worker's contract.
    """
    floor = max(agreed_wage_fen, minimum_wage_fen)
    if wage_fen >= floor:
        return None
    why = "the worker's agreed wage" if agreed_wage_fen >= minimum_wage_fen else "the minimum wage"
    return Refusal(
        "lender_wage_below_floor",
        f"the lender must pay the worker at least {yuan(floor)} yuan ({why}); {yuan(wage_fen)} yuan is less",
        {"floor_fen": floor, "agreed_wage_fen": agreed_wage_fen, "minimum_wage_fen": minimum_wage_fen},
    )


@dataclass(frozen=True)
class LendingCostAllowance:
    """What a lending enterprise may charge a borrower on top of the wage it pays its employee, as
    shares of that wage (人社厅发〔2020〕98号: it may not lend for profit; the fee may cover the wage,
    the social insurance it keeps paying, and reasonable costs). The rates live in the rate book
    (`shared_labor_cost_allowance` in market/settlement/data/rates.json, with their source)."""

    social_insurance_rate: Fraction  # the employer's share, of the wage
    reasonable_cost_rate: Fraction  # management and other reasonable costs, of the wage


@dataclass(frozen=True)
class LendingFeeFinding:
    """A lender's fee above what the wage and its costs explain: `refused` (a 422 on the fee) when
    it is above every allowed cost, else a supervisor alert (above the wage and social insurance:
    the supervisor may ask what the rest covers)."""

    refusal: Refusal
    refused: bool


def lending_fee_finding(*, fee_per_worker_day_fen: int, wage_per_day_fen: Fraction | int,
                        allowance: LendingCostAllowance) -> LendingFeeFinding | None:
    """Judge a lender's fee per worker-day against the wage it pays that worker per day (the
    lowest-paid employee named, when one fee covers several). Compared exactly, never rounded:
    wage × (1 + social insurance) is what the notice plainly allows; up to wage × (1 + social
    insurance + reasonable costs) is allowed but shown to the supervisor; above it, lending for profit."""
    wage = Fraction(wage_per_day_fen)
    with_insurance = wage * (1 + allowance.social_insurance_rate)
    cap = wage * (1 + allowance.social_insurance_rate + allowance.reasonable_cost_rate)
    facts = {"fee_per_worker_day_fen": fee_per_worker_day_fen, "wage_per_day_fen": fen_half_up(wage),
             "wage_and_insurance_fen": fen_half_up(with_insurance), "fee_cap_fen": int(cap)}  # cap: whole fen allowed
    if fee_per_worker_day_fen > cap:
        return LendingFeeFinding(Refusal(
            "lending_for_profit",
            f"a fee of {yuan(fee_per_worker_day_fen)} yuan per worker-day is more than the wage "
            f"({yuan(fen_half_up(wage))} yuan a day), its social insurance and reasonable costs allow "
            f"({yuan(int(cap))} yuan at most): a lending enterprise may not lend for profit (人社厅发〔2020〕98号)",
            facts), refused=True)
    if fee_per_worker_day_fen > with_insurance:
        return LendingFeeFinding(Refusal(
            "lending_fee_above_wage_and_insurance",
            f"a fee of {yuan(fee_per_worker_day_fen)} yuan per worker-day is above the wage and its social "
            f"insurance ({yuan(fen_half_up(with_insurance))} yuan a day): the rest must be reasonable costs",
            facts), refused=False)
    return None


def check_lending(
    *,
    borrower_id: EntityId,
    lender_id: EntityId,
    employer_of_record_id: EntityId,
    worker_consented: bool,
    wage_fen: int,
    agreed_wage_fen: int,
    minimum_wage_fen: int,
    currently_borrowed_by: EntityId | None = None,
    worker_loc: Loc = ("worker_id",),
    wage_loc: Loc = ("wage_fen",),
) -> None:
    """`lending_refusals` and `lender_wage_refusal` together as one 422."""
    refusals = lending_refusals(
        borrower_id=borrower_id,
        lender_id=lender_id,
        employer_of_record_id=employer_of_record_id,
        currently_borrowed_by=currently_borrowed_by,
        worker_consented=worker_consented,
    )
    errors = [r.at(worker_loc) for r in refusals]
    wage = lender_wage_refusal(wage_fen=wage_fen, agreed_wage_fen=agreed_wage_fen, minimum_wage_fen=minimum_wage_fen)
    if wage is not None:
        errors.append(wage.at(wage_loc))
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class LentEmployee:
    """One employee a lender names in a shared bid, as the employment record named shows them
    (`employer_of_record_id` None: there is no record by that id)."""

    employer_of_record_id: EntityId | None
    employment_state: str | None
    worker_id: EntityId | None
    wage_hourly_fen: int
    agreed_hourly_wage_fen: int


def shared_bid_errors(
    *,
    borrower_id: EntityId,
    lender_id: EntityId,
    fee_per_worker_day_fen: int,
    order_fee_per_worker_day_fen: int,
    headcount: int,
    employees: Sequence[LentEmployee],
    minimum_hourly_fen: int,
    fee: LendingFeeFinding | None,
) -> list[FieldError]:
    """Every reason a lender's bid on a shared order is refused, as the 422 reports it: the lender
    (at the order), the fee against the order's, the headcount, then per employee named (at
    `("employees", i, …)`) `lent_worker_refusals`, a worker named twice and `lender_wage_refusal`
    against `minimum_hourly_fen`, and last the fee when `fee` refuses it (lending for profit).

    The lender's and the named employees' refusals are plain field errors, with no `reason`
    (their answer in the API); the wage's and the fee's carry their reason and facts.
    """
    errors: list[FieldError] = []
    if (lender := lender_refusal(borrower_id=borrower_id, lender_id=lender_id)) is not None:
        errors.append(FieldError(("path", "id"), lender.msg))
    if fee_per_worker_day_fen > order_fee_per_worker_day_fen:
        errors.append(FieldError(("fee_per_worker_day_fen",),
                                 f"asks {yuan(fee_per_worker_day_fen)} yuan, more than the order's "
                                 f"{yuan(order_fee_per_worker_day_fen)} yuan per worker-day"))
    if len(employees) > headcount:
        errors.append(FieldError(("employees",), f"the order asks for {headcount} workers at most"))
    seen: set[EntityId | None] = set()
    for index, named in enumerate(employees):
        loc: Loc = ("employees", index)
        refusals = lent_worker_refusals(lender_id=lender_id, employer_of_record_id=named.employer_of_record_id,
                                        employment_state=named.employment_state)
        errors += [FieldError((*loc, "employment_id"), r.msg) for r in refusals]
        if any(r.code == "worker_not_lenders_employee" for r in refusals):
            continue
        if named.worker_id in seen:
            errors.append(FieldError((*loc, "employment_id"), "named twice"))
        seen.add(named.worker_id)
        wage = lender_wage_refusal(wage_fen=named.wage_hourly_fen, agreed_wage_fen=named.agreed_hourly_wage_fen,
                                   minimum_wage_fen=minimum_hourly_fen)
        if wage is not None:
            errors.append(wage.at((*loc, "wage_hourly_fen")))
    if fee is not None and fee.refused:
        errors.append(fee.refusal.at(("fee_per_worker_day_fen",)))
    return errors
