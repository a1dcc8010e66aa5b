"""What the feed reads, as plain typed rows (pure, standard library)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class FeedWorker(NamedTuple):
    """Whom a feed is for: where they start from (home, or their district's centre), how far they
    travel and the relationship types they accept."""

    id: uuid.UUID
    lat: float
    lon: float
    max_travel_m: int
    relationship_types: list[str]


@dataclass(frozen=True)
class FeedRow:
    """One ranked shift of a worker's feed (queries.FEED), with what the rules and the API read."""

    shift_id: uuid.UUID
    order_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    headcount: int
    filled: int
    organisation_id: uuid.UUID
    title: str
    district_code: str
    site_address: str
    site_lat: float
    site_lon: float
    relationship_type: str
    pay_unit: str
    pay_amount_fen: int
    hourly_pay_fen: int
    allocation_mode: str
    bid_deadline: datetime | None
    sector_code: str | None
    shift_start: datetime
    shift_end: datetime
    distance_m: int
    max_travel_m: int
    seconds_to_start: int
    uses_worker_skill: bool
    has_live_bid: bool
    employer_colour: str  # red, blue or black (market/reputation; no colour yet: blue)
    standby_seats_left: int  # standby seats not yet held (docs/standby.md); 0 when the shift has none
    standby_amount_fen: int | None  # a standby seat's pay; None when the shift has no standby seats
    score: int
    employer_name: str


class ShiftToFit(NamedTuple):
    """A shift whose audience is resolved (queries.SHIFTS_FOR_FIT): where it is, when, for whom."""

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    site_lat: float
    site_lon: float
    organisation_id: uuid.UUID
    relationship_type: str
