"""The certificate rules without I/O: validity per kind, the claimed dates, covering a shift, the
review's state machine, when reminders are due; and the database's copy of the caps."""
from datetime import date, datetime

import pytest

from market.certificates.model import (
    MISSING, ENDS_TOO_SOON, Claim, Decision, State, add_years, claim_errors, covers, decided_state, mask_number,
    max_validity_years, reminder_due, shortfall,
)
from market.errors import Conflict
from market.kernel.clock import SHANGHAI

TODAY = date(2026, 12, 4)
ELECTRICIAN = "特种作业操作证（低压电工）"
FORKLIFT = "特种设备作业人员证（N1 叉车）"


def claim(kind: str, issued: date, expires: date, review: date | None = None) -> Claim:
    return Claim(kind, "T123456789", "重庆市应急管理局", issued, expires, review)


def fields(errors) -> list[tuple]:
    return [e.loc for e in errors]


def test_a_health_certificate_runs_at_most_one_year_from_issue():
    assert claim_errors(claim("健康证", date(2026, 3, 1), date(2027, 3, 1)), TODAY) == []
    errors = claim_errors(claim("健康证", date(2026, 3, 1), date(2027, 3, 2)), TODAY)
    assert fields(errors) == [("expires_on",)] and errors[0].ctx == {"latest": "2027-03-01"}


def test_a_special_operation_certificate_runs_six_years_and_needs_its_review_date():
    issued = date(2024, 5, 10)
    assert claim_errors(claim(ELECTRICIAN, issued, date(2030, 5, 10), date(2027, 5, 10)), TODAY) == []
    assert fields(claim_errors(claim(ELECTRICIAN, issued, date(2030, 5, 11), date(2027, 5, 10)), TODAY)) == [
        ("expires_on",)]
    assert fields(claim_errors(claim(ELECTRICIAN, issued, date(2030, 5, 10)), TODAY)) == [("review_due_on",)]


def test_a_special_operation_certificate_counts_until_its_review_is_due():
    assert claim(ELECTRICIAN, date(2024, 5, 10), date(2030, 5, 10), date(2027, 5, 10)).valid_until == date(2027, 5, 10)


def test_a_review_date_outside_the_validity_is_refused():
    errors = claim_errors(claim(ELECTRICIAN, date(2024, 5, 10), date(2030, 5, 10), date(2031, 1, 1)), TODAY)
    assert fields(errors) == [("review_due_on",)]


def test_a_forklift_certificate_runs_four_years_under_tsg_z6001():
    assert max_validity_years(FORKLIFT) == 4
    assert claim_errors(claim(FORKLIFT, date(2024, 1, 2), date(2028, 1, 2)), TODAY) == []
    assert fields(claim_errors(claim(FORKLIFT, date(2024, 1, 2), date(2028, 1, 3)), TODAY)) == [("expires_on",)]


def test_other_kinds_carry_the_expiry_their_issuer_prints():
    assert max_validity_years("机动车驾驶证（C1）") is None
    assert claim_errors(claim("机动车驾驶证（C1）", date(2020, 1, 1), date(2030, 1, 1)), TODAY) == []


def test_issue_in_the_future_expiry_before_issue_and_an_expired_certificate_are_refused():
    assert fields(claim_errors(claim("健康证", date(2026, 12, 5), date(2027, 6, 1)), TODAY)) == [("issued_on",)]
    assert fields(claim_errors(claim("健康证", date(2026, 6, 1), date(2026, 6, 1)), TODAY)) == [("expires_on",)]
    assert fields(claim_errors(claim("健康证", date(2025, 12, 1), date(2026, 12, 1)), TODAY)) == [("expires_on",)]


def test_29_february_plus_a_year_is_28_february():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_a_certificate_covers_a_shift_through_its_last_local_day():
    ends_evening = datetime(2026, 12, 10, 22, 0, tzinfo=SHANGHAI)
    ends_after_midnight = datetime(2026, 12, 11, 1, 0, tzinfo=SHANGHAI)
    assert covers(date(2026, 12, 10), ends_evening)
    assert not covers(date(2026, 12, 10), ends_after_midnight)
    assert shortfall(None, ends_evening) == MISSING
    assert shortfall(date(2026, 12, 10), ends_after_midnight) == ENDS_TOO_SOON


def test_the_last_local_day_is_chongqings_not_utcs():
    # 2026-12-10 17:00 UTC is 2026-12-11 01:00 in Chongqing.
    from datetime import timezone
    assert not covers(date(2026, 12, 10), datetime(2026, 12, 10, 17, 0, tzinfo=timezone.utc))


def test_a_pending_certificate_is_verified_or_rejected_once():
    assert decided_state(State.pending, Decision.verify) is State.verified
    assert decided_state(State.pending, Decision.reject) is State.rejected
    for decided in (State.verified, State.rejected, State.revoked):
        for decision in (Decision.verify, Decision.reject):
            with pytest.raises(Conflict) as raised:
                decided_state(decided, decision)
            assert raised.value.extra["current_state"] == decided.value


def test_only_a_verified_certificate_is_revoked():
    assert decided_state(State.verified, Decision.revoke) is State.revoked
    for other in (State.pending, State.rejected, State.revoked):
        with pytest.raises(Conflict):
            decided_state(other, Decision.revoke)


def test_reminders_fall_due_30_and_7_days_before_the_end():
    end = date(2027, 1, 31)
    assert reminder_due(end, date(2026, 12, 31)) is None  # 31 days left
    assert reminder_due(end, date(2027, 1, 1)) == 30
    assert reminder_due(end, date(2027, 1, 23)) == 30
    assert reminder_due(end, date(2027, 1, 24)) == 7
    assert reminder_due(end, end) == 7
    assert reminder_due(end, date(2027, 2, 1)) is None


def test_a_number_is_masked_to_its_ends():
    assert mask_number("渝健2026-000123") == "渝健*******0123"


def test_a_supervisor_never_decides_an_employer_never_revokes_and_a_refusal_says_why():
    from market.certificates.model import check_decision
    from market.errors import Forbidden, ValidationFailed

    with pytest.raises(Forbidden):
        check_decision("supervisor", Decision.verify, None)
    with pytest.raises(Forbidden):
        check_decision("employer", Decision.revoke, "forged")
    with pytest.raises(ValidationFailed) as raised:
        check_decision("admin", Decision.reject, None)
    assert raised.value.errors[0].msg == "say why the certificate is rejected"
    check_decision("employer", Decision.verify, None)
