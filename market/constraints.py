"""The constraints the code reacts to, by name: the one place a violation is read.

The database holds the invariants (market/schema.sql); where a service turns a violation into an
answer (a 409, a retry), it asks `violated(error, ...)` which of the constraints it expects the
error names, and anything else is re-raised as it is: a CHECK the code does not expect to fail is
a bug to see, never "the seat was taken". Every name here is spelled in market/schema.sql (and
given to older databases by market/migrations/0002); tests/test_constraints.py holds the two to
each other.
"""
from __future__ import annotations

import enum

import asyncpg


class Constraint(enum.Enum):
    """A named constraint, with the kind of violation that reports it."""

    # allocation: the two promises of the marketplace (assignments)
    SHIFT_HEADCOUNT = ("shifts_filled_within_headcount", asyncpg.CheckViolationError)
    WORKER_OVERLAP = ("assignments_no_overlap", asyncpg.ExclusionViolationError)
    ONE_PENDING_OFFER = ("offers_one_pending_per_worker_shift", asyncpg.UniqueViolationError)
    # orders: one live bid per worker and shift
    ONE_LIVE_BID = ("bids_one_live_per_worker_shift", asyncpg.UniqueViolationError)
    # accounts: what a sign-up may not share with an existing account
    ACCOUNT_LOGIN = ("accounts_login_hash_key", asyncpg.UniqueViolationError)
    ACCOUNT_LOGIN_SKELETON = ("accounts_login_skeleton_hash_key", asyncpg.UniqueViolationError)
    ORGANISATION_CREDIT_CODE = ("organisations_credit_code_key", asyncpg.UniqueViolationError)
    WORKER_ID_NUMBER = ("workers_id_number_hash_key", asyncpg.UniqueViolationError)
    # cases: one case of a kind per shift
    ONE_CASE_PER_SHIFT = ("cases_one_per_assignment_and_kind", asyncpg.UniqueViolationError)
    # reputation: one rating per side of a shift
    ONE_RATING_PER_SIDE = ("ratings_one_per_side", asyncpg.UniqueViolationError)
    # invoices: an invoice number names one invoice
    INVOICE_NUMBER = ("invoice_requests_number", asyncpg.UniqueViolationError)
    # standby (docs/standby.md): the standby seats of a shift, one standby at a time per worker, none
    # over a seat one holds (either way round), one standby offered per vacated seat
    STANDBY_SEATS = ("shifts_standby_within_seats", asyncpg.CheckViolationError)
    STANDBY_OVERLAP = ("standbys_no_overlap", asyncpg.ExclusionViolationError)
    # (standbys_not_while_assigned and assignments_not_while_on_standby are raised by triggers, not
    # constraints of pg_constraint: market/standby/queries.py reads them by name)
    ONE_STANDBY_PER_VACANCY = ("standbys_one_per_vacancy", asyncpg.UniqueViolationError)
    # agency fees: a client's escrow that does not cover the fee (market/agency_fees)
    ESCROW_NEVER_NEGATIVE = ("ledger_escrow_never_negative", asyncpg.CheckViolationError)

    def __init__(self, constraint_name: str, violation: type[asyncpg.IntegrityConstraintViolationError]) -> None:
        self.constraint_name = constraint_name
        self.violation = violation


_BY_NAME = {constraint.constraint_name: constraint for constraint in Constraint}


def violation_of(error: BaseException) -> Constraint | None:
    """The named constraint `error` reports, or None (not a violation, or of a constraint not listed)."""
    if not isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return None
    constraint = _BY_NAME.get(getattr(error, "constraint_name", None) or "")
    return constraint if constraint is not None and isinstance(error, constraint.violation) else None


def violated(error: asyncpg.IntegrityConstraintViolationError, *expected: Constraint) -> Constraint:
    """Which of `expected` the violation `error` reports; re-raises `error` itself when none does.
    Call it in the `except` block that caught `error`."""
    constraint = violation_of(error)
    if constraint is None or constraint not in expected:
        raise error
    return constraint
