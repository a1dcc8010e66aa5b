"""Notification rules: the kinds, the channels, quiet hours, the rate limit's wait, the messages.
Pure, no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from market.kernel.clock import SHANGHAI

# The kinds of notification (each fed by an outbox event or by a sweep over the tables).
KINDS = ("offer.made", "offer.expiring", "shift.tomorrow", "checkin.reminder", "timesheet.approved",
         "payout.paid", "certificate.expiring", "case.answered")
CHANNELS = ("log", "sms", "wechat", "web_push")
# The one exception to quiet hours: an offer about to lapse is lost if it waits until morning.
URGENT_KINDS = frozenset({"offer.expiring"})
# Outbox kinds the fan-in reads, and the notification kind each becomes.
EVENT_KINDS = {"offer.made": "offer.made", "timesheet.approved": "timesheet.approved",
               "timesheet.auto_approved": "timesheet.approved", "certificate.expiring": "certificate.expiring",
               "case.moved": "case.answered"}
PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number, without +86
OPENID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

TITLES = {
    "offer.made": "新的工作邀请",
    "offer.expiring": "工作邀请即将过期",
    "shift.tomorrow": "明天有班次",
    "checkin.reminder": "即将开工，请签到",
    "timesheet.approved": "工时已确认",
    "payout.paid": "工资已发放",
    "certificate.expiring": "证书即将到期",
    "case.answered": "您的投诉/申诉有了答复",
}


@dataclass(frozen=True)
class Quiet:
    """Quiet hours in Beijing wall-clock time; start > end spans midnight."""
    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(SHANGHAI).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first instant at or after `moment` outside quiet hours."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(SHANGHAI)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


def due_at(kind: str, quiet: Quiet | None, moment: datetime) -> datetime:
    """When a notification of `kind` made at `moment` may go: at once, or when quiet hours end."""
    if quiet is None or kind in URGENT_KINDS:
        return moment
    return quiet.ends_after(moment)


# A reminder that comes too late says nothing true: a check-in reminder after the start, an offer's
# after it lapsed. It is cancelled instead (quiet hours or the allowance may have held it).
STALE_AFTER = {"offer.made": "expires_at", "offer.expiring": "expires_at", "shift.tomorrow": "start",
               "checkin.reminder": "start"}


def stale(kind: str, facts: dict[str, Any], moment: datetime) -> bool:
    """Whether the moment the notification speaks of has passed."""
    key = STALE_AFTER.get(kind)
    value = facts.get(key) if key else None
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value) <= moment
    except ValueError:
        return False


def rate_wait(slots: list[datetime], per_hour: int, moment: datetime) -> datetime | None:
    """None when one more message fits the hour before `moment` (slots: when the hour's messages
    took their place); else when the oldest slot leaves the window (held until then, not dropped)."""
    window = moment - timedelta(hours=1)
    recent = sorted(s for s in slots if s > window)
    if len(recent) < per_hour:
        return None
    return recent[len(recent) - per_hour] + timedelta(hours=1)


def backoff(attempts: int, first: timedelta, cap: timedelta) -> timedelta:
    """The wait after the n-th failed attempt: first, 2×first, 4×first, … at most cap."""
    return min(cap, first * (2 ** max(0, attempts - 1)))


def channels_for(kind: str, chosen: dict[str, list[str]], default: tuple[str, ...]) -> list[str]:
    """The channels a person gets `kind` on: their choice for it, else the default."""
    return list(chosen.get(kind, default))


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def message(kind: str, facts: dict[str, Any]) -> dict[str, Any]:
    """What the notification says: a title, a body, the ids it is about (no personal data)."""
    body = {
        "offer.made": "「{title}」{start} 开始，请在 {expires_at} 前接受。",
        "offer.expiring": "「{title}」的邀请将于 {expires_at} 过期。",
        "shift.tomorrow": "明天 {start}：「{title}」。",
        "checkin.reminder": "「{title}」{start} 开始，到岗后请签到。",
        "timesheet.approved": "工时 {approved_minutes} 分钟已确认。",
        "payout.paid": "{amount} 元已发放。",
        "certificate.expiring": "您的{certificate}证书将于 {valid_until} 到期。",
        "case.answered": "您的案件有了答复，请查看。",
    }[kind]
    shown = {key: _shown(value) for key, value in facts.items()}
    try:
        text = body.format(**shown)
    except (KeyError, IndexError):
        text = TITLES[kind]
    return {"title": TITLES[kind], "body": text, "data": facts}


def _shown(value: Any) -> str:
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)
