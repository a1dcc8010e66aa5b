"""What a response carries: the one way each kind of value is written, whatever produced it.

- **An instant** (`LocalMoment`) is written in Chongqing's time, Asia/Shanghai, with its `+08:00`
  offset: `2026-12-01T08:00:00+08:00`. The database hands instants back in UTC and a client may send
  them in any offset; a response speaks one convention, the one people here read, so that two
  fields of one object (a shift's start, its check-in) never differ only by how they are written.
- **A number of hours** (`Hours`) is a JSON number (`24.0`, `1.5`). Pydantic writes a Decimal as a
  string (`"24"`) to keep every digit; hours carry at most two decimals (or a whole number of
  minutes over 60), well within a double, and a client computes with them.

Money is never here: it is integer fen everywhere (`market.kernel.money`). docs/api-conventions.md says
which response values are what.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

from market.kernel.clock import SHANGHAI

SHANGHAI_OFFSET_PATTERN = r"\+08:00$"


def _in_shanghai(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"an instant without a time zone cannot be written: {moment!r}")
    return moment.astimezone(SHANGHAI)


LocalMoment = Annotated[
    datetime,
    PlainSerializer(_in_shanghai, return_type=datetime, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": SHANGHAI_OFFSET_PATTERN,
                    "description": "RFC 3339 in Asia/Shanghai time, always with the +08:00 offset"},
                   mode="serialization"),
]

Hours = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
