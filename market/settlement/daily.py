"""Faster pay (日结), pure: which relationship types a worker may be paid daily in, the daily-payout
fee and its floor, and the payout schedule's slots (docs/faster-pay.md, with the sources)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from market.kernel.clock import SHANGHAI
from market.kernel.relationships import RelationshipType
from market.settlement.rules import gross_for_minutes

ON_DUE_DATE = "on_due_date"
DAILY = "daily"
CADENCES = (ON_DUE_DATE, DAILY)

# Where daily payout is allowed, and why (docs/faster-pay.md, "Who may choose daily pay").
DAILY_PAYOUT_ALLOWED: dict[RelationshipType, bool] = {
    # 劳动合同法 art. 72: 非全日制用工劳动报酬结算支付周期最长不得超过十五日 — a ceiling: daily is within it.
    RelationshipType.labor_part_time: True,
    # 人社部发〔2021〕56号 (不完全符合确立劳动关系情形): pay in full and on time, the cycle by agreement;
    # the worker's choice, on pay the employer's escrow already funded, is that agreement.
    RelationshipType.incomplete_labor: True,
    # 民法典 art. 510–511 (劳务/承揽): payment time by agreement, as above.
    RelationshipType.labor_service: True,
    # 共享用工: the wage leg is the lender's payroll, not the platform's (人社厅发〔2020〕98号);
    # the platform pays the lender a fee, not the worker, so there is nothing to pay daily.
    RelationshipType.shared_labor: False,
}


def daily_payout_types() -> list[str]:
    return [kind.value for kind, allowed in DAILY_PAYOUT_ALLOWED.items() if allowed]


@dataclass(frozen=True)
class EarlyPayable:
    """A payable paid before its due date because its worker chose daily pay."""

    amount_fen: int  # net pay (after the income tax withheld)
    paid_minutes: int
    hourly_minimum_fen: int  # the hourly minimum wage of the work's district tier on its shift date

    @property
    def protected_fen(self) -> int:
        """The minimum wage for the minutes paid: a fee never takes the pay below it."""
        return gross_for_minutes(self.hourly_minimum_fen, self.paid_minutes)


def daily_payout_fee(setting_fen: int, early: Sequence[EarlyPayable]) -> int:
    """The fee for one early payout: the setting, at most what the early pay holds above the minimum
    wage for its minutes (最低工资规定 art. 12; 工资支付暂行规定 art. 15–16), never negative.
    Nothing early: no fee (pay that was due anyway is never charged for)."""
    if not early or setting_fen <= 0:
        return 0
    headroom = sum(max(0, p.amount_fen - p.protected_fen) for p in early)
    return min(setting_fen, headroom)


def slot_moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI)


def latest_slot(now: datetime, schedule: Iterable[time]) -> datetime | None:
    """The latest schedule slot at or before `now` (Beijing times; yesterday's last before today's
    first), or None with no schedule."""
    times = sorted(set(schedule))
    if not times:
        return None
    local = now.astimezone(SHANGHAI)
    today = local.date()
    passed = [t for t in times if slot_moment(today, t) <= local]
    return slot_moment(today, passed[-1]) if passed else slot_moment(today - timedelta(days=1), times[-1])


def slot_key(slot: datetime) -> str:
    """The slot's business key, e.g. '2026-12-07T10:00+08:00': one batch per key (the database's)."""
    return slot.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M%z")[:-2] + ":00"
