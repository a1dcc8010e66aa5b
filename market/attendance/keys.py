"""Typed application keys of attendance."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from market.attendance.service import Attendance, TimesheetMoney

ATTENDANCE: web.AppKey[Attendance] = web.AppKey("attendance")
# What approvals and no-shows do to the money: set by settlement's wiring (a layer above), read
# when an approval or a no-show happens.
TIMESHEET_MONEY: web.AppKey[TimesheetMoney] = web.AppKey("timesheet_money")
