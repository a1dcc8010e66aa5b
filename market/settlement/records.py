"""The rows settlement's queries return (market/settlement/queries.py), as typed values: what the
services work with and the views serialise. Pure: standard library only."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple


@dataclass(frozen=True)
class SettlementRow:
    """A settlements row as the settlement engine writes it (batch.py): bound to the INSERT by
    column name (queries.insert_settlements), so no position can drift. `lines` and `pay_slip` are
    the jsonb documents. Exactly one of `assignment_id` (a timesheet, a compensation) and
    `standby_id` (a standby's pay, batch.settle_standby) is set (settlements_of_one_thing)."""

    id: uuid.UUID
    assignment_id: uuid.UUID | None
    order_id: uuid.UUID
    organisation_id: uuid.UUID
    worker_id: uuid.UUID
    lender_id: uuid.UUID | None
    relationship_type: str
    shift_date: date
    settled_on: date
    due_date: date
    paid_minutes: int
    gross_fen: int
    income_tax_withheld_fen: int
    net_pay_fen: int | None
    employer_total_fen: int
    lines: list[dict]
    pay_slip: dict[str, Any]
    wage_leg_amount_fen: int | None
    wage_leg_due_date: date | None
    journal_entry_id: int
    standby_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PayableRow:
    """A payables row as the settlement engine writes it (batch.py): bound by column name
    (queries.insert_payables), as SettlementRow is."""

    source: str  # settlement or compensation
    source_id: uuid.UUID
    payee_type: str  # worker or organisation (a lender's fee)
    payee_id: uuid.UUID
    organisation_id: uuid.UUID
    assignment_id: uuid.UUID | None  # None: a standby's pay (source compensation, source_id the standby)
    amount_fen: int
    due_date: date


@dataclass(frozen=True)
class Deposit:
    id: uuid.UUID
    organisation_id: uuid.UUID
    amount_fen: int
    bank_reference: str
    state: str
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True)
class Balance:
    available_fen: int
    held_fen: int
    red_flag_since: datetime | None


@dataclass(frozen=True)
class WageLeg:
    """A settlement as its lender sees it: the wage it owes its employee (shared labor)."""

    id: uuid.UUID
    assignment_id: uuid.UUID
    lender_id: uuid.UUID | None
    relationship_type: str
    gross_fen: int
    wage_leg_amount_fen: int | None
    wage_leg_due_date: date | None
    wage_leg_confirmed_at: datetime | None


@dataclass(frozen=True)
class PaySlipRow:
    id: uuid.UUID
    assignment_id: uuid.UUID | None  # None for a standby's pay (standby_id)
    order_id: uuid.UUID
    relationship_type: str
    shift_date: date
    settled_on: date
    due_date: date
    paid_minutes: int
    pay_slip: dict[str, Any]
    created_at: datetime
    title: str
    payer_name: str | None
    lender_name: str | None
    standby_id: uuid.UUID | None = None


@dataclass(frozen=True)
class StatementEntry:
    """A journal entry as it moved the employer's escrow (amount_fen: what left it)."""

    id: int
    kind: str
    business_key: str
    memo: str
    order_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    created_at: datetime
    amount_fen: int
    title: str | None
    lines: list[dict] | None


@dataclass(frozen=True)
class PayoutBatch:
    id: uuid.UUID
    due_by: date
    state: str
    created_at: datetime | None = None
    exported_at: datetime | None = None
    confirmed_at: datetime | None = None
    slot_key: str | None = None


@dataclass(frozen=True)
class Payout:
    id: uuid.UUID
    batch_id: uuid.UUID
    payee_type: str
    payee_id: uuid.UUID
    amount_fen: int
    state: str
    payee_name: str | None
    fee_fen: int = 0


class Payee(NamedTuple):
    payee_type: str
    payee_id: uuid.UUID


class Payable(NamedTuple):
    id: uuid.UUID
    amount_fen: int
    due_date: date | None = None
    paid_minutes: int | None = None  # of its settlement (faster pay's fee floor)
    shift_date: date | None = None
    tier: int | None = None
    source: str = "settlement"  # settlement, compensation or agency_fee (which account pays it)


@dataclass(frozen=True)
class Arrear:
    """Wages owed past their due date (GET …/arrears)."""

    id: uuid.UUID
    kind: str
    assignment_id: uuid.UUID
    amount_fen: int | None
    due_date: date
    employer_at_fault: bool
    created_at: datetime
    cleared_at: datetime | None


@dataclass(frozen=True)
class NewArrear:
    """Arrears the check has just recorded, with whom they concern."""

    id: uuid.UUID
    kind: str
    assignment_id: uuid.UUID
    organisation_id: uuid.UUID
    worker_id: uuid.UUID
    amount_fen: int | None
    due_date: date
    employer_at_fault: bool


class UnsettledShiftDay(NamedTuple):
    shift_date: date
    pay_cycle_days: int


class UnsettledApproval(NamedTuple):
    """An approved timesheet the sweep has still to settle."""

    approved_at: datetime
    assignment_id: uuid.UUID
    organisation_id: uuid.UUID


@dataclass(frozen=True)
class CompensationOwed:
    """A compensation of a withdrawn seat (a late cancellation, a reversed no-show), to settle."""

    id: uuid.UUID
    order_id: uuid.UUID
    assignment_id: uuid.UUID
    worker_id: uuid.UUID
    amount_fen: int
    minutes: int
    organisation_id: uuid.UUID
    district_code: str


class AccountBalance(NamedTuple):
    """A ledger account's cached balance beside the sum of its postings."""

    id: int
    kind: str
    holder_type: str
    holder_id: uuid.UUID
    cached_fen: int
    journal_fen: int


class UnbalancedEntry(NamedTuple):
    id: int
    business_key: str
    total: int
    legs: int


class DuplicateKey(NamedTuple):
    business_key: str
    uses: int


class NegativeEscrow(NamedTuple):
    id: int
    kind: str
    holder_id: uuid.UUID
    balance_fen: int
