"""Consents and three-party agreements of shared employment (共享用工, 人社厅发〔2020〕98号), pure.

A lender's bid asks each employee it names for consent (the consent rows are written with the bid,
market/bids); the employee decides here, and an accepted consent writes the agreement the borrower,
the lender and the employee are party to, with its terms as each read them.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from market.bids.model import StoredSharedBid
from market.orders.records import StoredOrder


@dataclass(frozen=True)
class PendingConsent:
    """A consent as its decision reads it, under its lock (queries.consent_for_update)."""

    id: uuid.UUID
    shared_bid_id: uuid.UUID
    employment_id: uuid.UUID
    worker_id: uuid.UUID
    wage_hourly_fen: int
    state: str


@dataclass(frozen=True)
class Agreement:
    id: uuid.UUID
    consent_id: uuid.UUID
    order_id: uuid.UUID
    borrower_id: uuid.UUID
    lender_id: uuid.UUID
    worker_id: uuid.UUID
    terms: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


def agreement_terms(order: StoredOrder, bid: StoredSharedBid, wage_hourly_fen: int, names: dict[uuid.UUID, str],
                    worker_id: uuid.UUID, worker_name: str, district_name: str) -> dict[str, Any]:
    """The three-party agreement (人社厅发〔2020〕98号): place, job, hours, pay, period — what the
    borrower, the lender and the employee each read and agreed to."""
    schedule = order.schedule
    if schedule is None:
        raise ValueError("a three-party agreement is for a shared order, which always has a schedule")
    return {
        "borrower": {"id": str(bid.borrower_id), "name": names[bid.borrower_id]},
        "lender": {"id": str(bid.lender_id), "name": names[bid.lender_id]},
        "worker": {"id": str(worker_id), "name": worker_name},
        "place": {"district_code": order.district_code, "district_name": district_name,
                  "address": order.site.address, "lat": order.site.lat, "lon": order.site.lon},
        "job": {"title": order.title, "description": order.description,
                "skills": [{"skill_code": s.skill_code, "min_level": s.min_level} for s in order.skills]},
        "period": {"start_date": schedule.start_date.isoformat(), "end_date": schedule.end_date.isoformat(),
                   "working_days": len(order.shifts)},
        "hours": {"daily_start": schedule.daily_start.strftime("%H:%M"),
                  "daily_end": schedule.daily_end.strftime("%H:%M"), "time_zone": "Asia/Shanghai"},
        "pay": {"wage_hourly_fen": wage_hourly_fen, "wage_paid_by": "lender",
                "fee_per_worker_day_fen": bid.fee_per_worker_day_fen, "fee_paid_by": "borrower",
                "note": "The labor relationship stays with the lender, which pays the wage in full and keeps "
                        "social insurance; the borrower pays the lender the fee."},
    }
