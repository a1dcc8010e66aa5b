"""Certificate rules that need no I/O: how long each kind may run, what the claimed dates must be,
when a certificate covers a shift, the review's state machine, and when reminders are due.

The longest validity a certificate of a kind can have, from the rule that issues it
(docs/certificates.md gives the sources):
- 健康证 (食品从业人员健康证明): 食品安全法 art. 45 requires food handlers to be examined every
  year, so the certificate runs at most 1 year from issue.
- 特种作业操作证 (低压电工, 熔化焊接与热切割, …): 特种作业人员安全技术培训考核管理规定
  (原安监总局令第30号) art. 21: valid 6 years; art. 22: reviewed (复审) every 3 years, art. 23: the
  review may be extended to every 6 years. The certificate stops counting at the 复审 due day
  printed or stamped on it (`review_due_on`), or at its expiry when that comes first.
- 特种设备作业人员证 (N1 叉车, …): TSG Z6001-2019 特种设备作业人员考核规则 §3.6: valid 4 years.
Other kinds in the catalogue carry the expiry their issuer prints; no statutory maximum is applied.
The database holds the same caps (certificate_max_validity_years, constraint
certificates_within_kind_validity); tests/certificates/test_rules.py holds the two equal.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from market.errors import Conflict, FieldError, Forbidden, ValidationFailed
from market.kernel.clock import local_date

HEALTH = "健康证"
SPECIAL_OPERATION_PREFIX = "特种作业操作证"
SPECIAL_EQUIPMENT_PREFIX = "特种设备作业人员证"

# Reminders go this many days before a certificate stops counting, each once (docs/certificates.md).
REMINDER_DAYS = (30, 7)


class State(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"
    revoked = "revoked"


class Decision(StrEnum):
    verify = "verify"
    reject = "reject"
    revoke = "revoke"


def max_validity_years(kind: str) -> int | None:
    """The most years an issued certificate of `kind` may run, or None where no rule caps it."""
    if kind == HEALTH:
        return 1
    if kind.startswith(SPECIAL_OPERATION_PREFIX):
        return 6
    if kind.startswith(SPECIAL_EQUIPMENT_PREFIX):
        return 4
    return None


def needs_review_date(kind: str) -> bool:
    """Whether the certificate must be re-examined (复审) within its validity to stay in force."""
    return kind.startswith(SPECIAL_OPERATION_PREFIX)


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February, as PostgreSQL's interval does."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Claim:
    """What the worker says about the certificate they upload."""

    kind: str
    number: str
    issuer: str
    issued_on: date
    expires_on: date
    review_due_on: date | None = None

    @property
    def valid_until(self) -> date:
        return min(self.expires_on, self.review_due_on or self.expires_on)


def claim_errors(claim: Claim, today: date) -> list[FieldError]:
    """What is wrong with the claimed dates, each naming its field (empty: nothing)."""
    errors = []
    if claim.issued_on > today:
        errors.append(FieldError(("issued_on",), "must not be in the future"))
    if claim.expires_on <= claim.issued_on:
        errors.append(FieldError(("expires_on",), "must be after issued_on"))
    years = max_validity_years(claim.kind)
    if years is not None and claim.expires_on > add_years(claim.issued_on, years):
        errors.append(FieldError(("expires_on",), f"a {claim.kind} is valid at most {years} year(s) from issue",
                                 {"latest": add_years(claim.issued_on, years).isoformat()}))
    errors += _review_date_errors(claim)
    if not errors and claim.valid_until < today:
        errors.append(FieldError(("expires_on",), "the certificate no longer counts: upload the current one",
                                 {"valid_until": claim.valid_until.isoformat()}))
    return errors


def _review_date_errors(claim: Claim) -> list[FieldError]:
    due = claim.review_due_on
    if due is None:
        if needs_review_date(claim.kind):
            return [FieldError(("review_due_on",), f"a {claim.kind} must be reviewed (复审) every 3 years: "
                                                   "give the review due date printed on it")]
        return []
    if not claim.issued_on < due <= claim.expires_on:
        return [FieldError(("review_due_on",), "must lie after issued_on and no later than expires_on")]
    return []


def covers(valid_until: date | None, shift_end: datetime) -> bool:
    """Whether a certificate counting through `valid_until` covers a shift ending at `shift_end`:
    through the shift's last local (Chongqing) day, so a shift that outlasts it is refused. The SQL
    side is market/certificates/queries.py COVERS_SHIFT; both compare the same dates."""
    return valid_until is not None and valid_until >= local_date(shift_end)


# Why a certificate does not cover a shift: none held (verified) at all, or it ends before the
# shift's last day. The refusal codes of acceptance, check-in, bids and allocation alike.
MISSING, ENDS_TOO_SOON = "certificate_missing", "certificate_expires"


def shortfall(valid_until: date | None, shift_end: datetime) -> str | None:
    """MISSING or ENDS_TOO_SOON when the certificate does not cover the shift; None when it does."""
    if valid_until is None:
        return MISSING
    return None if covers(valid_until, shift_end) else ENDS_TOO_SOON


@dataclass(frozen=True)
class Uncovered:
    """A skill of a shift's order whose certificate the worker does not hold through its end."""

    skill_code: str
    kind: str | None
    valid_until: date | None
    shift_end: datetime

    @property
    def code(self) -> str:
        return shortfall(self.valid_until, self.shift_end) or MISSING

    @property
    def message(self) -> str:
        if self.code == MISSING:
            return f"the shift needs a verified {self.kind or 'certificate'} for {self.skill_code}"
        return (f"the worker's {self.kind} for {self.skill_code} counts through {self.valid_until}, "
                f"before the shift ends on {local_date(self.shift_end)}")


def refuse_uncovered(uncovered: list[Uncovered], current_state: str) -> None:
    """A 409 for the first skill not covered (acceptance, check-in), with its facts and the state
    of the thing refused (the offer, the timesheet)."""
    if uncovered:
        first = uncovered[0]
        raise Conflict(first.message, current_state=current_state, reason=first.code, skill_code=first.skill_code, certificate=first.kind,
                       valid_until=first.valid_until.isoformat() if first.valid_until else None)


# What each decision needs the certificate to be, and makes it: verify and reject decide a pending
# one; revoke withdraws a verified one found false later.
_TRANSITIONS = {Decision.verify: (State.pending, State.verified), Decision.reject: (State.pending, State.rejected),
                Decision.revoke: (State.verified, State.revoked)}


# Who may verify or reject: the platform operator, and an employer dealing with the worker for work
# that needs the certificate (queries._DEALING_WITH decides which certificates an employer sees).
# Only the operator revokes. A supervisor sees certificates in scope and never decides them.
REVIEWERS = frozenset({"admin", "employer"})


def check_decision(role: str, decision: Decision, reason: str | None) -> None:
    """A 403 for a caller who may not take this decision, a 422 for a rejection or revocation
    without a reason."""
    if role not in REVIEWERS or (decision is Decision.revoke and role != "admin"):
        raise Forbidden(f"a {role} may not {decision.value} a certificate")
    if decision is not Decision.verify and not reason:
        reached = _TRANSITIONS[decision][1].value
        raise ValidationFailed([FieldError(("reason",), f"say why the certificate is {reached}")])


def decided_state(current: State, decision: Decision) -> State:
    """The state a decision moves a certificate to; a 409 naming the current state when the
    certificate is not in the state the decision needs."""
    needed, reached = _TRANSITIONS[decision]
    if current is not needed:
        raise Conflict(f"the certificate is {current.value}: only a {needed.value} one can be {reached.value}",
                       current_state=current.value)
    return reached


def reminder_due(valid_until: date, today: date) -> int | None:
    """The reminder (30 or 7 days before) a certificate counting through `valid_until` is due for
    today: the nearest one whose day has come, None when none has or it no longer counts. A
    certificate verified 20 days before its end gets the 30-day reminder at once, then the 7-day one."""
    days_left = (valid_until - today).days
    if days_left < 0:
        return None
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def mask_number(number: str) -> str:
    """The first two and last four characters: enough to recognise one's own certificate."""
    if len(number) <= 6:
        return number[:1] + "*" * (len(number) - 1)
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


@dataclass(frozen=True)
class Certificate:
    id: uuid.UUID
    worker_id: uuid.UUID
    kind: str
    number_masked: str
    issuer: str
    issued_on: date
    expires_on: date
    review_due_on: date | None
    valid_until: date
    file_sha256: str
    media_type: str
    file_size: int
    state: State
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    reject_reason: str | None
    created_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None

    def counts_on(self, day: date) -> bool:
        return self.state is State.verified and self.valid_until >= day
