"""The pure rules: quiet hours (across midnight, Beijing time), the hourly allowance's wait, the
backoff, and Aliyun's RPC signature checked against the worked example in Aliyun's own SendSms
documentation."""
from datetime import datetime, time, timedelta

from market.kernel.clock import SHANGHAI
from market.notifications import model
from market.notifications.channels import aliyun_signature


def at(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_quiet_hours_across_midnight_end_the_next_morning():
    quiet = model.Quiet(time(22), time(7))
    assert not quiet.contains(at(21, 59)) and quiet.contains(at(22)) and quiet.contains(at(3))
    assert not quiet.contains(at(7))
    assert quiet.ends_after(at(23, 30)) == at(7, day=8)
    assert quiet.ends_after(at(2)) == at(7)
    assert quiet.ends_after(at(12)) == at(12)


def test_quiet_hours_within_a_day_and_in_beijing_time_whatever_the_zone_given():
    quiet = model.Quiet(time(12), time(14))
    assert quiet.contains(at(13).astimezone(SHANGHAI.__class__("UTC")))
    assert quiet.ends_after(at(13)) == at(14)


def test_an_expiring_offer_is_the_one_kind_that_does_not_wait_for_morning():
    quiet = model.Quiet(time(22), time(7))
    assert model.due_at("offer.expiring", quiet, at(23)) == at(23)
    assert model.due_at("offer.made", quiet, at(23)) == at(7, day=8)
    assert model.due_at("offer.made", None, at(23)) == at(23)


def test_the_allowance_holds_the_excess_until_the_oldest_place_leaves_the_hour():
    now = at(12)
    slots = [now - timedelta(minutes=m) for m in (50, 30, 10)]
    assert model.rate_wait(slots, 4, now) is None
    assert model.rate_wait(slots, 3, now) == now + timedelta(minutes=10)
    assert model.rate_wait(slots, 2, now) == now + timedelta(minutes=30)
    assert model.rate_wait([now - timedelta(minutes=61)] * 5, 1, now) is None


def test_backoff_doubles_up_to_the_cap():
    first, cap = timedelta(seconds=30), timedelta(minutes=5)
    assert [model.backoff(n, first, cap).total_seconds() for n in (1, 2, 3, 4, 5, 9)] == [30, 60, 120, 240, 300, 300]


def test_messages_show_beijing_times_and_never_fail_on_missing_facts():
    text = model.message("offer.made", {"title": "分拣", "start": "2026-12-08T01:00:00+00:00",
                                        "expires_at": "2026-12-07T12:30:00+08:00"})
    assert text["body"] == "「分拣」12-08 09:00 开始，请在 12-07 12:30 前接受。"
    assert model.message("payout.paid", {})["body"] == "工资已发放"


def test_the_aliyun_signature_matches_the_worked_example_of_aliyuns_documentation():
    # help.aliyun.com, SendSms / 签名机制 (RPC): this request, AccessKeySecret "testSecret", GET
    query = ("AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou"
             "&SignName=阿里云短信测试专用&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466"
             "&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam={\"customer\":\"test\"}"
             "&Timestamp=2017-07-12T02:42:19Z&Version=2017-05-25")
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    assert aliyun_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_phones_and_openids_are_checked_and_masked():
    assert model.PHONE.match("13912345678") and not model.PHONE.match("12912345678")
    assert model.mask_phone("13912345678") == "139****5678"


def test_a_reminder_past_its_moment_is_stale():
    start = at(9).isoformat()
    assert not model.stale("checkin.reminder", {"start": start}, at(8, 59))
    assert model.stale("checkin.reminder", {"start": start}, at(9))
    assert model.stale("offer.expiring", {"expires_at": start}, at(10))
    assert not model.stale("payout.paid", {"start": start}, at(10))
    assert not model.stale("offer.made", {}, at(10))
