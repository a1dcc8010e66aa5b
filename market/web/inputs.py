"""What a request may carry: the one base of request bodies and the bounded types they are built of.

Bodies are parsed strictly (`parse_body`): an integer is a JSON integer, never `"100"`, `100.0` or
`true`; a boolean is `true`/`false`. JSON has no date type, so dates and times stay RFC 3339 strings
even in strict mode, and a Decimal takes a JSON number (or a decimal string). Every number has a
documented minimum and maximum in the OpenAPI document, and every date a documented range, so
that nothing a client sends can overflow a column or Python's datetime further in (a 422 naming
the field, never a 500). The bounds are the kernel's (`market.kernel.money`) and the rules' (SPEC §4);
docs/api-conventions.md says why each is what it is.

Query strings are all text, so query models cannot be strict; they are bounded the same way, and
a date in a query string must be written YYYY-MM-DD (`QueryDate`), not as a number of seconds.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from market.kernel.money import MAX_AMOUNT_FEN, MAX_RATE_FEN, MAX_STATED_HOURS, MIN_STATED_HOURS, STATED_HOURS_DECIMALS


class Input(BaseModel):
    """A request body. Unknown fields are refused, not ignored (a client setting `state` or
    `below_minimum_wage` learns at once that it cannot); values are taken only in their own type."""

    model_config = ConfigDict(extra="forbid", strict=True)


# ---- money and quantities ---------------------------------------------------------------------------

RateFen = Annotated[int, Field(gt=0, le=MAX_RATE_FEN, description=(
    f"fen (分), 1 to {MAX_RATE_FEN:_} (¥{MAX_RATE_FEN // 100:,}) per unit"))]
AmountFen = Annotated[int, Field(gt=0, le=MAX_AMOUNT_FEN, description=(
    f"fen (分), 1 to {MAX_AMOUNT_FEN:_} (¥{MAX_AMOUNT_FEN // 100:,})"))]
StatedHours = Annotated[Decimal, Field(ge=MIN_STATED_HOURS, le=MAX_STATED_HOURS, decimal_places=STATED_HOURS_DECIMALS,
                                       allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="WGS-84 latitude, degrees")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="WGS-84 longitude, degrees")]

# A page size: the server serves at most MARKET_PAGE_LIMIT_MAX rows a page (200 by default) whatever
# is asked; more than this is a mistake worth telling the client about.
MAX_PAGE_LIMIT = 1000
# Event ids are PostgreSQL bigints.
MAX_EVENT_ID = 2**63 - 1

# ---- dates --------------------------------------------------------------------------------------------

# Every date and time a request carries lies in these years. The rules narrow it further (a shift
# starts in the future and within the booking horizon, docs/orders-rules.md); this outer range keeps
# date arithmetic and time-zone conversion (±14 h) far from Python's year 1 and year 9999.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
_DATE_RANGE = {"formatMinimum": EARLIEST_DATE.isoformat(), "formatMaximum": LATEST_DATE.isoformat()}
_MOMENT_RANGE = {"formatMinimum": f"{EARLIEST_DATE.isoformat()}T00:00:00Z",
                 "formatMaximum": f"{LATEST_DATE.isoformat()}T23:59:59Z"}


def _within_years(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise PydanticCustomError("date_out_of_range", "must be between {first} and {last}",
                                  {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()})
    return value


def _moment_within_years(value: datetime) -> datetime:
    """The instant in UTC (when the time carries a zone) must lie in the supported years too:
    `9999-12-31T23:59:59-14:00` is in year 10000 in UTC and cannot be converted at all."""
    _within_years(value)
    if value.utcoffset() is not None:
        _within_years(value.astimezone(timezone.utc))  # cannot overflow: the local year is 2000–2099
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    """A query-string date must be written as one: pydantic would read `0` or `1700000000` as a
    Unix time (1970-01-01, 2023-11-14)."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
    return value


BodyDate = Annotated[date, AfterValidator(_within_years), Field(json_schema_extra=_DATE_RANGE)]
Moment = Annotated[datetime, AfterValidator(_moment_within_years), Field(json_schema_extra=_MOMENT_RANGE)]
QueryDate = Annotated[date, BeforeValidator(_iso_date_text), AfterValidator(_within_years),
                      WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                                      **_DATE_RANGE})]
