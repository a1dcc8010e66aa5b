"""Settlement rules: the money of one approved timesheet, by relationship type. Pure, no I/O.

A settlement is a list of `Line`s. Each line is one itemised amount moved from one ledger account
to another (employer escrow → worker payable, worker payable → tax payable, …), rounded half-up to
the fen on its own. `postings()` turns the lines into a journal entry (debit positive, credit
negative) that sums to zero by construction; the service posts it as is. The net pay is not a
line: it is what the lines leave in the worker's payable account (gross − withholdings), so
posting it as well would count the wage twice.

The caller passes everything a rule needs (the `RateBook`, the hourly minimum wage of the work
district on the shift date, the worker's year- or month-to-date tax facts); see
docs/settlement-rules.md for each rule's source, the rounding and the decisions taken here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from market.errors import FieldError, ValidationFailed
from market.kernel import workdays
from market.kernel.relationships import RelationshipType
from market.settlement.rates import RateBook
from market.settlement.tax import (
    LaborRemunerationMonthToDate, WageYearToDate, labor_remuneration_withholding, round_half_up_fen,
    wage_withholding,
)

# 劳动合同法 art. 72: part-time pay is settled at least every 15 days; this project applies the
# same longest cycle to every relationship type so that every approved timesheet has a due date
# after which it counts as arrears.
LONGEST_PAY_CYCLE_DAYS = 15
MINUTES_PER_HOUR = 60


class Party(StrEnum):
    """Roles in one settlement; the service maps each to its concrete account holder (the order's
    employer, the assigned worker, the lending enterprise, the platform itself)."""

    EMPLOYER = "employer"  # the hiring (for shared_labor: borrowing) enterprise
    WORKER = "worker"
    LENDER = "lender"
    PLATFORM = "platform"


class AccountKind(StrEnum):
    EMPLOYER_ESCROW = "employer_escrow"
    WORKER_PAYABLE = "worker_payable"
    LENDER_RECEIVABLE = "lender_receivable"
    TAX_PAYABLE = "tax_payable"
    WORK_INJURY_INSURANCE_PAYABLE = "work_injury_insurance_payable"
    OCCUPATIONAL_INJURY_PROTECTION_PAYABLE = "occupational_injury_protection_payable"
    PLATFORM_FEE_REVENUE = "platform_fee_revenue"


@dataclass(frozen=True, order=True)
class Account:
    kind: AccountKind
    party: Party


EMPLOYER_ESCROW = Account(AccountKind.EMPLOYER_ESCROW, Party.EMPLOYER)
WORKER_PAYABLE = Account(AccountKind.WORKER_PAYABLE, Party.WORKER)
LENDER_RECEIVABLE = Account(AccountKind.LENDER_RECEIVABLE, Party.LENDER)
# The withholding agent (扣缴义务人) is the payer, so tax payable is held in the employer's name.
EMPLOYER_TAX_PAYABLE = Account(AccountKind.TAX_PAYABLE, Party.EMPLOYER)
EMPLOYER_WORK_INJURY_INSURANCE_PAYABLE = Account(AccountKind.WORK_INJURY_INSURANCE_PAYABLE, Party.EMPLOYER)
# The platform pays 职业伤害保障 per order (渝人社规〔2025〕14号), funded by the employer.
PLATFORM_OCCUPATIONAL_INJURY_PROTECTION_PAYABLE = Account(
    AccountKind.OCCUPATIONAL_INJURY_PROTECTION_PAYABLE, Party.PLATFORM)
PLATFORM_FEE_REVENUE = Account(AccountKind.PLATFORM_FEE_REVENUE, Party.PLATFORM)


class LineKind(StrEnum):
    GROSS_WAGE = "gross_wage"  # the worker's gross pay, whatever its tax category
    INCOME_TAX_WITHHELD = "income_tax_withheld"
    WORK_INJURY_INSURANCE = "work_injury_insurance"
    OCCUPATIONAL_INJURY_PROTECTION = "occupational_injury_protection"
    PLATFORM_FEE = "platform_fee"
    LENDER_FEE = "lender_fee"
    # Late-cancellation compensation (SPEC §3) to the worker: income like pay, withheld like it.
    LATE_CANCEL_COMPENSATION = "late_cancel_compensation"
    # 宽放: the pay for waiting time the employer directed, which is working time; shown apart from
    # the pay for the worked minutes (GROSS_WAGE), taxed and charged as part of the same gross.
    WAITING_TIME_WAGE = "waiting_time_wage"
    # Standby pay (docs/standby.md): the agreed amount for being on call for a shift and not called;
    # income of the relationship type like a late-cancellation compensation, withheld like it.
    STANDBY_PAY = "standby_pay"


# What a worker is paid: the gross of a settlement (a timesheet's wage and waiting time, or a compensation).
INCOME_LINES = (LineKind.GROSS_WAGE, LineKind.WAITING_TIME_WAGE, LineKind.LATE_CANCEL_COMPENSATION,
                LineKind.STANDBY_PAY)


class SettlementCause(StrEnum):
    TIMESHEET = "timesheet"  # an approved timesheet: pay for work done
    LATE_CANCELLATION = "late_cancellation"  # a seat cancelled inside the late-cancel window
    STANDBY = "standby"  # a standby on call at its shift's end, not called: its standby amount


@dataclass(frozen=True)
class Line:
    """One itemised amount, moved from `payer` (debited) to `payee` (credited)."""

    kind: LineKind
    amount_fen: int
    payer: Account
    payee: Account


class AlertKind(StrEnum):
    # labor_part_time / incomplete_labor: the settlement is refused; labor_service: paid as agreed.
    BELOW_MINIMUM_WAGE = "below_minimum_wage"
    # shared_labor: the lender's agreed wage was under the minimum; the wage due was raised to it.
    SHARED_WAGE_RAISED_TO_MINIMUM = "shared_wage_raised_to_minimum"
    # The due date fell in a year the holiday calendar does not know yet: it was moved off weekends
    # only, and may still fall on a holiday (or pass over a make-up working day) of that year.
    DUE_DATE_WITHOUT_HOLIDAY_CALENDAR = "due_date_without_holiday_calendar"


@dataclass(frozen=True)
class Alert:
    """Something supervisors must see (SPEC §6). `facts` are machine-readable amounts in fen."""

    kind: AlertKind
    detail: str
    facts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Timesheet:
    """An approved timesheet of a gig assignment, paid by the hour.

    Daily or piece pay is converted to `hourly_rate_fen` by the order (SPEC §4: the amount over the
    stated hours, `orders.model.Pay.hourly_rate`) and kept exact — a Fraction of a fen, never
    rounded — and time is in whole minutes, so gross = exact hourly rate × paid minutes / 60 is
    rounded half-up once: a full day of day pay is the day's pay to the fen. The minimum-wage test
    compares this exact rate too.
    """

    shift_date: date  # local date of the shift; the minimum wage, rates and due date follow it
    worked_minutes: int
    hourly_rate_fen: Fraction | int  # exact, in fen
    # Required waiting (宽放) time the employer approved; it is working time (人社部发〔2021〕56号)
    # and is paid at the hourly rate.
    waiting_minutes: int = 0
    sector_code: str | None = None  # selects the 职业伤害保障 per-order rate

    @property
    def paid_minutes(self) -> int:
        return self.worked_minutes + self.waiting_minutes


@dataclass(frozen=True)
class SharedLaborTimesheet:
    """An approved timesheet of a worker lent by a lending enterprise (共享用工)."""

    shift_date: date  # the last day of work this timesheet covers
    days_worked: int
    worked_minutes: int  # to check the wage leg against the hourly minimum wage
    lender_fee_per_worker_day_fen: int  # what the borrower agreed to pay the lender
    worker_agreed_wage_fen: int  # what the lender owes its employee for this work (amended contract)
    # The lender's pay date for this work; None: the longest pay cycle after the shift.
    wage_due_date: date | None = None


@dataclass(frozen=True)
class SharedWageLeg:
    """The lender's wage to its employee. It is paid by the lender's own payroll (which keeps the
    social insurance and withholds the tax), not through the platform, so it posts nothing here;
    the service stores it and raises an arrears alert if it is not confirmed by `due_date`."""

    amount_fen: int
    due_date: date
    agreed_wage_fen: int
    minimum_wage_floor_fen: int
    confirmed: bool = False


@dataclass(frozen=True)
class LateCancellation:
    """A late-cancellation compensation due for one cancelled seat (SPEC §3): `amount_fen` is the
    late-cancel hours (`minutes`) at the order's exact hourly rate, rounded once by
    `orders.lifecycle.late_cancel_compensation`. For shared labor `worker_agreed_wage_fen` is what
    the lender's amended contract pays its employee for those minutes."""

    shift_date: date  # the cancelled shift's local date
    amount_fen: int
    minutes: int
    worker_agreed_wage_fen: int = 0  # shared_labor only


@dataclass(frozen=True)
class Settlement:
    relationship_type: RelationshipType
    shift_date: date
    settled_on: date  # the day the lines are posted; the tax period (month, year) follows it
    due_date: date  # the worker (for shared_labor: the lender's fee) must be paid by this day
    lines: tuple[Line, ...]
    alerts: tuple[Alert, ...] = ()
    shared_wage_leg: SharedWageLeg | None = None
    cause: SettlementCause = SettlementCause.TIMESHEET

    def total_fen(self, kind: LineKind) -> int:
        return sum(line.amount_fen for line in self.lines if line.kind is kind)

    @property
    def gross_fen(self) -> int:
        """The worker's gross income from this settlement (wages or compensation): the tax base."""
        return sum(self.total_fen(kind) for kind in INCOME_LINES)

    @property
    def income_tax_withheld_fen(self) -> int:
        return self.total_fen(LineKind.INCOME_TAX_WITHHELD)

    @cached_property
    def balances(self) -> Mapping[Account, int]:
        """The net of the lines on each account (debit positive), zero ones left out, in account
        order. Computed once: the settlement is frozen, and a batch asks for it several times."""
        balances: dict[Account, int] = {}
        for line in self.lines:
            balances[line.payer] = balances.get(line.payer, 0) + line.amount_fen
            balances[line.payee] = balances.get(line.payee, 0) - line.amount_fen
        return MappingProxyType({account: amount for account, amount in sorted(balances.items()) if amount != 0})

    @property
    def net_pay_fen(self) -> int:
        """What this settlement leaves payable to the worker: gross − withholdings."""
        return -balance_of(self, WORKER_PAYABLE)

    @property
    def employer_total_fen(self) -> int:
        """What the settlement takes out of the employer's escrow: gross, contributions, fees."""
        return balance_of(self, EMPLOYER_ESCROW)


@dataclass(frozen=True)
class SettlementRefused:
    """No money moves: the service records the alerts for supervisors and leaves the timesheet
    unsettled until the employer corrects the rate (paying less than the minimum is not an option)."""

    relationship_type: RelationshipType
    shift_date: date
    alerts: tuple[Alert, ...]


@dataclass(frozen=True)
class Posting:
    """One leg of a journal entry: debit positive, credit negative."""

    account: Account
    amount_fen: int


# Relationship types ------------------------------------------------------------------------------


def settle_labor_part_time(
    timesheet: Timesheet, *, hourly_minimum_fen: int, wage_year_to_date: WageYearToDate,
    rate_book: RateBook, settled_on: date, pay_cycle_days: int = LONGEST_PAY_CYCLE_DAYS,
) -> Settlement | SettlementRefused:
    """非全日制用工: wage at no less than the hourly minimum, 工资薪金 cumulative withholding
    (`wage_year_to_date` is this employer–worker pair's tax year before this payment), employer
    work-injury insurance, platform fee; due within the pay cycle (≤ 15 days)."""
    _check_timesheet(timesheet, hourly_minimum_fen, settled_on, pay_cycle_days)
    if timesheet.hourly_rate_fen < hourly_minimum_fen:
        return _refused(RelationshipType.labor_part_time, timesheet, hourly_minimum_fen)
    gross_fen = gross_for_minutes(timesheet.hourly_rate_fen, timesheet.paid_minutes)
    tax_fen = wage_withholding(gross_fen, wage_year_to_date, rate_book.wage_tax.in_force(settled_on))
    work_injury_rate = rate_book.work_injury_insurance_rate.in_force(timesheet.shift_date)
    lines = (
        *_pay_lines(timesheet, gross_fen),
        Line(LineKind.INCOME_TAX_WITHHELD, tax_fen, WORKER_PAYABLE, EMPLOYER_TAX_PAYABLE),
        Line(LineKind.WORK_INJURY_INSURANCE, round_half_up_fen(gross_fen * work_injury_rate),
             EMPLOYER_ESCROW, EMPLOYER_WORK_INJURY_INSURANCE_PAYABLE),
        _platform_fee_line(gross_fen, timesheet.shift_date, rate_book),
    )
    agreed_day = timesheet.shift_date + timedelta(days=pay_cycle_days)
    return Settlement(RelationshipType.labor_part_time, timesheet.shift_date, settled_on,
                      pay_day(timesheet.shift_date, agreed_day), lines, _weekends_only_alerts(agreed_day))


def settle_incomplete_labor(
    timesheet: Timesheet, *, hourly_minimum_fen: int, month_to_date: LaborRemunerationMonthToDate,
    rate_book: RateBook, settled_on: date, pay_cycle_days: int = LONGEST_PAY_CYCLE_DAYS,
) -> Settlement | SettlementRefused:
    """不完全符合确立劳动关系情形: pay (waiting time included) at no less than the hourly minimum of
    the place of work, 职业伤害保障 per assignment, 劳务报酬 withholding on the payer–worker month
    (`month_to_date`: the calendar month of `settled_on`), platform fee."""
    _check_timesheet(timesheet, hourly_minimum_fen, settled_on, pay_cycle_days)
    if timesheet.hourly_rate_fen < hourly_minimum_fen:
        return _refused(RelationshipType.incomplete_labor, timesheet, hourly_minimum_fen)
    return _settle_labor_remuneration(RelationshipType.incomplete_labor, timesheet, month_to_date,
                                      rate_book, settled_on, pay_cycle_days, alerts=())


def settle_labor_service(
    timesheet: Timesheet, *, hourly_minimum_fen: int, month_to_date: LaborRemunerationMonthToDate,
    rate_book: RateBook, settled_on: date, pay_cycle_days: int = LONGEST_PAY_CYCLE_DAYS,
) -> Settlement:
    """劳务关系: paid as agreed even below the minimum wage (a civil relationship), with an alert
    for supervisors when it is; 职业伤害保障 per order; 劳务报酬 withholding on the payer–worker
    month; platform fee."""
    _check_timesheet(timesheet, hourly_minimum_fen, settled_on, pay_cycle_days)
    alerts: tuple[Alert, ...] = ()
    if timesheet.hourly_rate_fen < hourly_minimum_fen:
        alerts = (_below_minimum_alert(timesheet, hourly_minimum_fen, "paid as agreed (labor service)"),)
    return _settle_labor_remuneration(RelationshipType.labor_service, timesheet, month_to_date,
                                      rate_book, settled_on, pay_cycle_days, alerts=alerts)


def settle_shared_labor(
    timesheet: SharedLaborTimesheet, *, hourly_minimum_fen: int, rate_book: RateBook, settled_on: date,
) -> Settlement:
    """共享用工: the borrower pays the lender the agreed fee per worker-day (posted here, with the
    platform fee on it); the lender owes its employee at least the agreed wage and at least the
    minimum wage for the hours worked (recorded as `shared_wage_leg`, confirmed later)."""
    errors = _negative_or_zero(hourly_minimum_fen=hourly_minimum_fen, days_worked=timesheet.days_worked,
                               lender_fee_per_worker_day_fen=timesheet.lender_fee_per_worker_day_fen)
    errors += _negative(worked_minutes=timesheet.worked_minutes,
                        worker_agreed_wage_fen=timesheet.worker_agreed_wage_fen)
    errors += _settled_before_shift(timesheet.shift_date, settled_on)
    if timesheet.wage_due_date is not None and timesheet.wage_due_date < timesheet.shift_date:
        errors.append(FieldError(("wage_due_date",), "must not be before the shift"))
    if errors:
        raise ValidationFailed(errors)

    minimum_wage_floor_fen = gross_for_minutes(hourly_minimum_fen, timesheet.worked_minutes)
    wage_fen = max(timesheet.worker_agreed_wage_fen, minimum_wage_floor_fen)
    alerts: tuple[Alert, ...] = ()
    if timesheet.worker_agreed_wage_fen < minimum_wage_floor_fen:
        alerts = (Alert(
            AlertKind.SHARED_WAGE_RAISED_TO_MINIMUM,
            "the lender's agreed wage is below the minimum wage for the hours worked; the wage due "
            "was raised to the minimum",
            MappingProxyType({"agreed_wage_fen": timesheet.worker_agreed_wage_fen,
                              "minimum_wage_floor_fen": minimum_wage_floor_fen,
                              "hourly_minimum_fen": hourly_minimum_fen}),
        ),)
    fee_agreed_day = timesheet.shift_date + timedelta(days=LONGEST_PAY_CYCLE_DAYS)
    fee_due_date = pay_day(timesheet.shift_date, fee_agreed_day)
    wage_agreed_day = timesheet.wage_due_date or fee_agreed_day  # the lender's pay date, if it said one
    alerts += _weekends_only_alerts(fee_agreed_day, wage_agreed_day)
    wage_leg = SharedWageLeg(
        amount_fen=wage_fen,
        due_date=pay_day(timesheet.shift_date, wage_agreed_day),
        agreed_wage_fen=timesheet.worker_agreed_wage_fen,
        minimum_wage_floor_fen=minimum_wage_floor_fen,
    )
    lender_fee_fen = timesheet.lender_fee_per_worker_day_fen * timesheet.days_worked
    lines = (
        Line(LineKind.LENDER_FEE, lender_fee_fen, EMPLOYER_ESCROW, LENDER_RECEIVABLE),
        _platform_fee_line(lender_fee_fen, timesheet.shift_date, rate_book),
    )
    return Settlement(RelationshipType.shared_labor, timesheet.shift_date, settled_on, fee_due_date,
                      lines, alerts, wage_leg)


def settle_late_cancellation(
    compensation: LateCancellation, relationship_type: RelationshipType, *, hourly_minimum_fen: int,
    wage_year_to_date: WageYearToDate, month_to_date: LaborRemunerationMonthToDate, rate_book: RateBook,
    settled_on: date, pay_cycle_days: int = LONGEST_PAY_CYCLE_DAYS,
) -> Settlement:
    """A late-cancellation compensation is income, paid and withheld like the relationship type's
    pay: 工资薪金 cumulative withholding on the pair's tax year for labor_part_time (the payment is
    wages, 个人所得税法实施条例 art. 6: 与任职或者受雇有关的其他所得), 劳务报酬 on the payer–worker
    month for incomplete_labor and labor_service. No work was done, so no platform fee, work-injury
    insurance or 职业伤害保障 is added. shared_labor: the borrower pays the compensation to the lender
    (98号: the borrower settles with the lender), and the lender's payroll owes its employee the wage
    of the cancelled hours under the amended contract (工资支付暂行规定 art. 12: a stoppage not caused
    by the worker is paid at the contract's standard), at least the minimum wage: a wage leg, as for
    worked time. `settled_on` is the cancellation day; pay is due a pay cycle after it."""
    errors = _negative_or_zero(amount_fen=compensation.amount_fen, minutes=compensation.minutes,
                               hourly_minimum_fen=hourly_minimum_fen)
    errors += _negative(worker_agreed_wage_fen=compensation.worker_agreed_wage_fen)
    if not 1 <= pay_cycle_days <= LONGEST_PAY_CYCLE_DAYS:
        errors.append(FieldError(("pay_cycle_days",), f"must be between 1 and {LONGEST_PAY_CYCLE_DAYS}",
                                 {"pay_cycle_days": pay_cycle_days}))
    if errors:
        raise ValidationFailed(errors)
    due_date = pay_due_date(settled_on, pay_cycle_days)
    alerts = _weekends_only_alerts(settled_on + timedelta(days=pay_cycle_days))
    amount = compensation.amount_fen
    if relationship_type is RelationshipType.shared_labor:
        floor_fen = gross_for_minutes(hourly_minimum_fen, compensation.minutes)
        wage_leg = SharedWageLeg(max(compensation.worker_agreed_wage_fen, floor_fen), due_date,
                                 compensation.worker_agreed_wage_fen, floor_fen)
        return Settlement(relationship_type, compensation.shift_date, settled_on, due_date,
                          (Line(LineKind.LENDER_FEE, amount, EMPLOYER_ESCROW, LENDER_RECEIVABLE),), alerts,
                          wage_leg, SettlementCause.LATE_CANCELLATION)
    if relationship_type is RelationshipType.labor_part_time:
        tax_fen = wage_withholding(amount, wage_year_to_date, rate_book.wage_tax.in_force(settled_on))
    else:
        tax_fen = labor_remuneration_withholding(amount, month_to_date,
                                                 rate_book.labor_remuneration_tax.in_force(settled_on))
    lines = (Line(LineKind.LATE_CANCEL_COMPENSATION, amount, EMPLOYER_ESCROW, WORKER_PAYABLE),
             Line(LineKind.INCOME_TAX_WITHHELD, tax_fen, WORKER_PAYABLE, EMPLOYER_TAX_PAYABLE))
    return Settlement(relationship_type, compensation.shift_date, settled_on, due_date, lines, alerts,
                      cause=SettlementCause.LATE_CANCELLATION)


def settle_standby(
    shift_date: date, amount_fen: int, relationship_type: RelationshipType, *,
    wage_year_to_date: WageYearToDate, month_to_date: LaborRemunerationMonthToDate, rate_book: RateBook,
    settled_on: date,
) -> Settlement:
    """Standby pay (docs/standby.md): the amount agreed at posting for being on call for the shift
    and not called. It is income from the order's payer, taxed as the late-cancellation
    compensation is (`settle_late_cancellation`): 工资薪金 cumulative withholding on the pair's tax
    year for labor_part_time (个人所得税法实施条例 art. 6: 与任职或者受雇有关的其他所得), 劳务报酬 on
    the payer–worker month for incomplete_labor and labor_service. No work was done, so no platform
    fee, work-injury insurance or 职业伤害保障. shared_labor has no standby: standby seats are a gig
    order's and a gig order is never shared_labor (orders/rules.py). Due the shift's own day, as the
    standby pay always was: the amount is held in escrow from sign-up, so nothing waits on a pay
    cycle; the next payout batch pays it."""
    errors = _negative_or_zero(amount_fen=amount_fen)
    if relationship_type is RelationshipType.shared_labor:
        errors.append(FieldError(("relationship_type",), "standby pay is a gig order's; shared_labor has none"))
    if errors:
        raise ValidationFailed(errors)
    if relationship_type is RelationshipType.labor_part_time:
        tax_fen = wage_withholding(amount_fen, wage_year_to_date, rate_book.wage_tax.in_force(settled_on))
    else:
        tax_fen = labor_remuneration_withholding(amount_fen, month_to_date,
                                                 rate_book.labor_remuneration_tax.in_force(settled_on))
    lines = (Line(LineKind.STANDBY_PAY, amount_fen, EMPLOYER_ESCROW, WORKER_PAYABLE),
             Line(LineKind.INCOME_TAX_WITHHELD, tax_fen, WORKER_PAYABLE, EMPLOYER_TAX_PAYABLE))
    return Settlement(relationship_type, shift_date, settled_on, shift_date, lines, cause=SettlementCause.STANDBY)


# Shared pieces -----------------------------------------------------------------------------------


def gross_for_minutes(hourly_rate_fen: Fraction | int, minutes: int) -> int:
    """Pay for whole minutes at an exact hourly rate, rounded half-up to the fen once."""
    return round_half_up_fen(Fraction(hourly_rate_fen) * minutes / MINUTES_PER_HOUR)


def pay_due_date(shift_date: date, pay_cycle_days: int = LONGEST_PAY_CYCLE_DAYS) -> date:
    """The last day to pay for a shift: the pay cycle after it, on a working day (`pay_day`)."""
    return pay_day(shift_date, shift_date + timedelta(days=pay_cycle_days))


def pay_day(shift_date: date, agreed_day: date) -> date:
    """The day pay agreed for `agreed_day` is due: that day if it is a working day, else the last
    working day before it (保障农民工工资支付条例 art. 11, 工资支付暂行规定 art. 7: pay due on a rest
    day or a statutory holiday is paid earlier, on the nearest working day). Working days are
    China's official calendar, make-up working days (调休) included (`market.kernel.workdays`). Never before
    the shift itself: pay cannot fall due before the work is done."""
    return max(shift_date, workdays.last_working_day(agreed_day))


def _weekends_only_alerts(*agreed_days: date) -> tuple[Alert, ...]:
    """A supervisor alert when a due date was moved without the year's holiday calendar."""
    unknown_years = sorted({day.year for day in agreed_days if not workdays.knows(day)})
    if not unknown_years:
        return ()
    return (Alert(
        AlertKind.DUE_DATE_WITHOUT_HOLIDAY_CALENDAR,
        f"the holiday calendar has no official schedule for {unknown_years[0]} yet (it knows "
        f"{workdays.FIRST_KNOWN_YEAR}-{workdays.LAST_KNOWN_YEAR}): the due date was moved off weekends only",
        MappingProxyType({"year": unknown_years[0], "last_known_year": workdays.LAST_KNOWN_YEAR}),
    ),)


def _settle_labor_remuneration(
    relationship_type: RelationshipType, timesheet: Timesheet,
    month_to_date: LaborRemunerationMonthToDate, rate_book: RateBook, settled_on: date,
    pay_cycle_days: int, alerts: tuple[Alert, ...],
) -> Settlement:
    gross_fen = gross_for_minutes(timesheet.hourly_rate_fen, timesheet.paid_minutes)
    tax_fen = labor_remuneration_withholding(
        gross_fen, month_to_date, rate_book.labor_remuneration_tax.in_force(settled_on))
    protection = rate_book.occupational_injury_protection.in_force(timesheet.shift_date)
    lines = (
        *_pay_lines(timesheet, gross_fen),
        Line(LineKind.INCOME_TAX_WITHHELD, tax_fen, WORKER_PAYABLE, EMPLOYER_TAX_PAYABLE),
        Line(LineKind.OCCUPATIONAL_INJURY_PROTECTION, protection.per_order_fen(timesheet.sector_code),
             EMPLOYER_ESCROW, PLATFORM_OCCUPATIONAL_INJURY_PROTECTION_PAYABLE),
        _platform_fee_line(gross_fen, timesheet.shift_date, rate_book),
    )
    agreed_day = timesheet.shift_date + timedelta(days=pay_cycle_days)
    return Settlement(relationship_type, timesheet.shift_date, settled_on, pay_day(timesheet.shift_date, agreed_day),
                      lines, alerts + _weekends_only_alerts(agreed_day))


def _pay_lines(timesheet: Timesheet, gross_fen: int) -> tuple[Line, ...]:
    """The gross of a timesheet (all its paid minutes at the exact rate, rounded once) as the pay
    for the worked minutes and, when there was any, the pay for the waiting minutes (宽放), shown
    apart. The waiting line is its minutes at the rate, rounded; the worked line is the rest, so
    the two add up to the gross rounded once, never to two roundings."""
    if not timesheet.waiting_minutes:
        return (Line(LineKind.GROSS_WAGE, gross_fen, EMPLOYER_ESCROW, WORKER_PAYABLE),)
    waiting_fen = gross_for_minutes(timesheet.hourly_rate_fen, timesheet.waiting_minutes)
    return (Line(LineKind.GROSS_WAGE, gross_fen - waiting_fen, EMPLOYER_ESCROW, WORKER_PAYABLE),
            Line(LineKind.WAITING_TIME_WAGE, waiting_fen, EMPLOYER_ESCROW, WORKER_PAYABLE))


def _platform_fee_line(base_fen: int, shift_date: date, rate_book: RateBook) -> Line:
    # Charged to the employer on top of the pay, never deducted from the worker or the lender.
    fee_fen = round_half_up_fen(base_fen * rate_book.platform_fee_rate.in_force(shift_date))
    return Line(LineKind.PLATFORM_FEE, fee_fen, EMPLOYER_ESCROW, PLATFORM_FEE_REVENUE)


def _below_minimum_alert(timesheet: Timesheet, hourly_minimum_fen: int, outcome: str) -> Alert:
    # The comparison was exact; the alert shows the rate rounded to the fen (facts are whole fen).
    shown_fen = round_half_up_fen(Fraction(timesheet.hourly_rate_fen))
    return Alert(
        AlertKind.BELOW_MINIMUM_WAGE,
        f"hourly rate {_fen_text(timesheet.hourly_rate_fen)} fen is below the hourly minimum wage "
        f"{hourly_minimum_fen} fen of the work district on {timesheet.shift_date.isoformat()}; {outcome}",
        MappingProxyType({"hourly_rate_fen": shown_fen, "hourly_minimum_fen": hourly_minimum_fen}),
    )


def _fen_text(amount: Fraction | int) -> str:
    """An exact amount of fen for a message: whole fen as is, a fraction to two decimals."""
    exact = Fraction(amount)
    return str(exact.numerator) if exact.denominator == 1 else f"{float(exact):.2f}"


def _refused(relationship_type: RelationshipType, timesheet: Timesheet,
             hourly_minimum_fen: int) -> SettlementRefused:
    return SettlementRefused(relationship_type, timesheet.shift_date, (
        _below_minimum_alert(timesheet, hourly_minimum_fen, "settlement refused"),))


def _check_timesheet(timesheet: Timesheet, hourly_minimum_fen: int, settled_on: date,
                     pay_cycle_days: int) -> None:
    errors = _negative_or_zero(hourly_rate_fen=timesheet.hourly_rate_fen,
                               hourly_minimum_fen=hourly_minimum_fen)
    errors += _negative(worked_minutes=timesheet.worked_minutes, waiting_minutes=timesheet.waiting_minutes)
    if timesheet.paid_minutes <= 0:
        errors.append(FieldError(("worked_minutes",), "a settled timesheet must have working time"))
    if not 1 <= pay_cycle_days <= LONGEST_PAY_CYCLE_DAYS:
        errors.append(FieldError(("pay_cycle_days",), f"must be between 1 and {LONGEST_PAY_CYCLE_DAYS}",
                                 {"pay_cycle_days": pay_cycle_days}))
    errors += _settled_before_shift(timesheet.shift_date, settled_on)
    if errors:
        raise ValidationFailed(errors)


def _negative(**values: int) -> list[FieldError]:
    return [FieldError((name,), "must not be negative", {name: value})
            for name, value in values.items() if value < 0]


def _negative_or_zero(**values: int | Fraction) -> list[FieldError]:
    return [FieldError((name,), "must be positive", {name: value})
            for name, value in values.items() if value <= 0]


def _settled_before_shift(shift_date: date, settled_on: date) -> list[FieldError]:
    if settled_on < shift_date:
        return [FieldError(("settled_on",), "a timesheet is settled on or after its shift")]
    return []


# Ledger and pay slip -----------------------------------------------------------------------------


def postings(settlement: Settlement) -> tuple[Posting, ...]:
    """The journal entry of a settlement: one posting per account, debit positive, credit negative,
    zero balances left out. Every line debits its payer and credits its payee by the same amount,
    so the postings sum to zero."""
    return tuple(Posting(account, amount_fen) for account, amount_fen in settlement.balances.items())


def balance_of(settlement: Settlement, account: Account) -> int:
    """The net posting of `settlement` to `account` (debit positive)."""
    return settlement.balances.get(account, 0)


@dataclass(frozen=True)
class PaySlipLine:
    kind: str
    label: str  # shown to the worker as is
    amount_fen: int


@dataclass(frozen=True)
class PaySlip:
    """工资清单 (保障农民工工资支付条例 art. 15): gross, each withholding, each employer-paid
    contribution (shown so the worker sees they are covered, never deducted), net."""

    relationship_type: RelationshipType
    shift_date: date
    due_date: date
    paid_by: Party
    gross_fen: int
    withholdings: tuple[PaySlipLine, ...]
    employer_contributions: tuple[PaySlipLine, ...]
    # None for shared_labor: the lender's payroll withholds tax and social insurance and issues the
    # definitive slip; this one records the wage owed for the borrowed work.
    net_fen: int | None
    # What the gross is when it is not only wages for the worked minutes: a late-cancellation
    # compensation, or the wage for minutes worked and the pay for 宽放 waiting time, shown apart.
    earnings: tuple[PaySlipLine, ...] = ()

    @property
    def lines(self) -> tuple[PaySlipLine, ...]:
        gross = PaySlipLine("gross", "应发金额 gross pay", self.gross_fen)
        net = () if self.net_fen is None else (PaySlipLine("net", "实发金额 net pay", self.net_fen),)
        return (gross, *self.earnings, *self.withholdings, *self.employer_contributions, *net)


_SLIP_LABELS = {
    LineKind.LATE_CANCEL_COMPENSATION: "迟取消补偿 late-cancellation compensation (your shift was cancelled late)",
    LineKind.STANDBY_PAY: "待命费 standby pay (you were on call for the shift and not called)",
    LineKind.GROSS_WAGE: "工作时间工资 pay for the minutes worked",
    LineKind.WAITING_TIME_WAGE: "宽放等待时间工资 pay for waiting time the employer directed (counted as working time)",
    LineKind.INCOME_TAX_WITHHELD: "代扣个人所得税 income tax withheld",
    LineKind.WORK_INJURY_INSURANCE: "工伤保险（单位缴纳）work-injury insurance, paid by the employer",
    LineKind.OCCUPATIONAL_INJURY_PROTECTION: "职业伤害保障（平台缴纳）occupational injury protection, paid for you",
}
_WITHHOLDINGS = (LineKind.INCOME_TAX_WITHHELD,)
_CONTRIBUTIONS = (LineKind.WORK_INJURY_INSURANCE, LineKind.OCCUPATIONAL_INJURY_PROTECTION)


def pay_slip(settlement: Settlement) -> PaySlip:
    """The worker's pay slip for one settlement. The platform fee is the employer's cost and not
    part of the worker's pay, so it is not on the slip."""
    compensation = LineKind.LATE_CANCEL_COMPENSATION
    if settlement.shared_wage_leg is not None:
        wage_leg = settlement.shared_wage_leg
        earnings = ((PaySlipLine(compensation.value, _SLIP_LABELS[compensation], wage_leg.amount_fen),)
                    if settlement.cause is SettlementCause.LATE_CANCELLATION else ())
        return PaySlip(settlement.relationship_type, settlement.shift_date, wage_leg.due_date,
                       Party.LENDER, wage_leg.amount_fen, (), (), None, earnings)

    def slip_lines(kinds: tuple[LineKind, ...]) -> tuple[PaySlipLine, ...]:
        return tuple(PaySlipLine(line.kind.value, _SLIP_LABELS[line.kind], line.amount_fen)
                     for line in settlement.lines if line.kind in kinds)

    # A timesheet with waiting time shows its gross in two parts; one without, as one gross.
    waited = any(line.kind is LineKind.WAITING_TIME_WAGE for line in settlement.lines)
    earned = (LineKind.GROSS_WAGE, LineKind.WAITING_TIME_WAGE) if waited else (compensation, LineKind.STANDBY_PAY)
    return PaySlip(settlement.relationship_type, settlement.shift_date, settlement.due_date,
                   Party.EMPLOYER, settlement.gross_fen, slip_lines(_WITHHOLDINGS),
                   slip_lines(_CONTRIBUTIONS), settlement.net_pay_fen, slip_lines(earned))
