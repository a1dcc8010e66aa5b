"""GET and PATCH /v1/workers/me: the worker's own profile."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from market.kernel import clock as kernel_clock
from market.kernel.relationships import RelationshipType
from market.orders.model import WorkerSkill
from market.web.auth import principal
from market.web.endpoint import endpoint
from market.web.inputs import BodyDate, Input
from market.profiles.keys import WORKER_PROFILES
from market.profiles import model
from market.profiles.model import (
    CHONGQING_BOUNDS, UNCHANGED, AvailabilityException, Home, ProfileChanges, WeeklyWindow, WorkerProfile,
)


StartClock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:30"],
                                  description="HH:MM, Asia/Shanghai local time")]
EndClock = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["17:30", "24:00"],
                                description="HH:MM, Asia/Shanghai local time; 24:00 is midnight at the day's end")]


class HomeIO(Input):
    # The range is Chongqing's, checked by the profile rules (model.home_problems): they name both
    # fields and suggest a swap when lat and lon are swapped, which a plain range check could not.
    lat: float = Field(allow_inf_nan=False, description="Latitude (WGS-84/GCJ-02 degrees), within Chongqing",
                       json_schema_extra={"minimum": CHONGQING_BOUNDS.min_lat, "maximum": CHONGQING_BOUNDS.max_lat})
    lon: float = Field(allow_inf_nan=False, description="Longitude, within Chongqing",
                       json_schema_extra={"minimum": CHONGQING_BOUNDS.min_lon, "maximum": CHONGQING_BOUNDS.max_lon})


class SkillIO(Input):
    skill_code: str = Field(min_length=1, max_length=64, description="A code from GET /v1/skills")
    level: int = Field(ge=1, le=5, description="1 (beginner) to 5 (expert), the worker's own assessment")
    has_certificate: bool | None = Field(
        None, deprecated=True, description="Ignored, kept so that older clients are not refused: a certificate "
        "counts only once uploaded (POST /v1/workers/me/certificates) and verified; GET /v1/workers/me shows it")


class SkillOut(BaseModel):
    skill_code: str
    level: int = Field(description="1 (beginner) to 5 (expert), the worker's own assessment")
    has_certificate: bool = Field(description="Read-only: the worker holds a verified certificate of the kind the "
                                              "skill names (GET /v1/skills) that counts today")
    certificate_valid_until: date | None = Field(
        description="Read-only: the last day (Chongqing) that certificate counts; a shift ending later is refused")


class WeeklyWindowIO(Input):
    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 = Monday … 7 = Sunday")
    start: StartClock
    end: EndClock


class ExceptionIO(Input):
    date: BodyDate = Field(description="Local date the exception replaces the weekly pattern on")
    start: StartClock | None = Field(None, description="With end: available only start–end that day")
    end: EndClock | None = Field(None, description="Without start and end: unavailable all day")


class AvailabilityOut(BaseModel):
    weekly: list[WeeklyWindowIO] = Field(description="Weekly pattern; empty means available at any time")
    exceptions: list[ExceptionIO] = Field(description="Dated exceptions, each replacing the pattern on its date")


class ProfileOut(BaseModel):
    id: uuid.UUID
    name: str = Field(description="Read-only: fixed at registration")
    id_number_masked: str = Field(description="Read-only, e.g. 5001**********1234")
    district_code: str = Field(description="Home district (GET /v1/districts)")
    home: HomeIO | None = Field(description="Home location; the feed and allocation measure travel from here")
    max_travel_m: int = Field(description="Furthest site from home the worker will travel to, metres")
    accepts_auto_allocation: bool = Field(description="May be allocated to auto orders without bidding")
    relationship_types: list[RelationshipType] = Field(description="Kinds of engagement the worker accepts")
    skills: list[SkillOut]
    availability: AvailabilityOut
    reliability: int = Field(description="Read-only, 0–100 (50 neutral): completed work raises it, no-shows and "
                                         "late cancellations lower it")


READ_ONLY = {
    "id": "is read-only",
    "account_id": "is read-only",
    "name": "is read-only: fixed at registration",
    "id_number_masked": "is read-only: fixed at registration",
    "reliability": "is read-only: the platform keeps it from completed work and no-shows",
}
NOT_NULL = "may not be null; leave the field out to keep its value"


def _refuse_read_only(value: Any, info) -> Any:
    raise PydanticCustomError("read_only", READ_ONLY[info.field_name])


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", NOT_NULL)
    return value


class AvailabilityPatch(Input):
    weekly: list[WeeklyWindowIO] | None = Field(None, max_length=70, description="Replaces the weekly pattern")
    exceptions: list[ExceptionIO] | None = Field(None, max_length=400, description="Replaces every exception")

    # After, not before, validation: a before-validator would hand the rest of the field's validation
    # Python objects instead of JSON, where strict mode refuses the strings dates and enums arrive as.
    _not_null = field_validator("weekly", "exceptions", mode="after")(_refuse_null)


class ProfilePatch(Input):
    """A partial update: fields left out keep their value; a list given replaces the whole list.
    Read-only fields (name, id_number_masked, reliability, ids) are refused with a 422, not ignored."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {
            "home": {"lat": 29.5627, "lon": 106.5516}, "max_travel_m": 8000, "accepts_auto_allocation": True,
            "relationship_types": ["labor_part_time", "labor_service"],
            "skills": [{"skill_code": "warehouse_picking", "level": 3}],
        },
        {
            "availability": {
                "weekly": [{"weekday": 6, "start": "08:00", "end": "18:00"}],
                "exceptions": [{"date": "2027-02-10"}],
            },
        },
    ]})
    district_code: str | None = None
    home: HomeIO | None = Field(None, description="Both lat and lon; null clears the home location")
    max_travel_m: int | None = Field(None, ge=100, le=200_000, description="100–200000 metres")
    accepts_auto_allocation: bool | None = None
    relationship_types: list[RelationshipType] | None = Field(None, min_length=1, max_length=4)
    skills: list[SkillIO] | None = Field(None, max_length=50, description="Replaces the whole list")
    availability: AvailabilityPatch | None = None

    id: SkipJsonSchema[Any] = None
    account_id: SkipJsonSchema[Any] = None
    name: SkipJsonSchema[Any] = None
    id_number_masked: SkipJsonSchema[Any] = None
    reliability: SkipJsonSchema[Any] = None

    _read_only = field_validator(*READ_ONLY, mode="before")(_refuse_read_only)
    _not_null = field_validator("district_code", "max_travel_m", "accepts_auto_allocation", "relationship_types",
                                "skills", "availability", mode="after")(_refuse_null)

    def to_domain(self) -> ProfileChanges:
        given = self.model_fields_set
        availability = self.availability
        weekly_given = availability is not None and "weekly" in availability.model_fields_set
        exceptions_given = availability is not None and "exceptions" in availability.model_fields_set
        return ProfileChanges(
            district_code=self.district_code if "district_code" in given else UNCHANGED,
            home=(Home(self.home.lat, self.home.lon) if self.home else None) if "home" in given else UNCHANGED,
            max_travel_m=self.max_travel_m if "max_travel_m" in given else UNCHANGED,
            accepts_auto_allocation=(self.accepts_auto_allocation if "accepts_auto_allocation" in given
                                     else UNCHANGED),
            relationship_types=(frozenset(self.relationship_types)
                                if "relationship_types" in given and self.relationship_types else UNCHANGED),
            skills=(tuple(WorkerSkill(s.skill_code, s.level) for s in self.skills)
                    if "skills" in given and self.skills is not None else UNCHANGED),
            weekly=(tuple(WeeklyWindow(w.weekday, _minutes(w.start), _minutes(w.end)) for w in availability.weekly)
                    if weekly_given and availability.weekly is not None else UNCHANGED),
            exceptions=(tuple(AvailabilityException(e.date, _minutes(e.start), _minutes(e.end))
                              for e in availability.exceptions)
                        if exceptions_given and availability.exceptions is not None else UNCHANGED),
        )


def _minutes(clock: str | None) -> int | None:
    if clock is None:
        return None
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def profile_out(profile: WorkerProfile) -> ProfileOut:
    def clock(minute: int | None) -> str | None:
        return None if minute is None else model.clock(minute)

    today = kernel_clock.today()

    return ProfileOut(
        id=profile.id, name=profile.name, id_number_masked=profile.id_number_masked,
        district_code=profile.district_code,
        home=HomeIO(lat=profile.home.lat, lon=profile.home.lon) if profile.home else None,
        max_travel_m=profile.max_travel_m, accepts_auto_allocation=profile.accepts_auto_allocation,
        relationship_types=sorted(profile.relationship_types),
        skills=[SkillOut(skill_code=s.skill_code, level=s.level,
                         has_certificate=s.certificate_valid_until is not None and s.certificate_valid_until >= today,
                         certificate_valid_until=s.certificate_valid_until) for s in profile.skills],
        availability=AvailabilityOut(
            weekly=[WeeklyWindowIO(weekday=w.weekday, start=model.clock(w.start), end=model.clock(w.end))
                    for w in profile.availability.weekly],
            exceptions=[ExceptionIO(date=e.day, start=clock(e.start), end=clock(e.end))
                        for e in profile.availability.exceptions],
        ),
        reliability=profile.reliability,
    )


@endpoint(roles={"worker"}, tag="workers", summary="The caller's own worker profile", response=ProfileOut)
async def get_own_profile(request: web.Request) -> ProfileOut:
    return profile_out(await request.app[WORKER_PROFILES].own(principal(request)))


@endpoint(roles={"worker"}, tag="workers", summary="Change the caller's profile (partial update)",
          body=ProfilePatch, response=ProfileOut)
async def patch_own_profile(request: web.Request, body: ProfilePatch) -> ProfileOut:
    return profile_out(await request.app[WORKER_PROFILES].update_own(principal(request), body.to_domain()))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/workers/me", get_own_profile)
    app.router.add_patch("/v1/workers/me", patch_own_profile)
