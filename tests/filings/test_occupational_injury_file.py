"""The monthly 职业伤害保障 report (market/filings/model.py) for a fixed data set, byte for byte
equal to tests/filings/golden/occupational_injury.csv (a sector, none, a name that looks like a formula)."""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from market.filings.model import CoveredOrder, occupational_injury_csv
from market.kernel.clock import SHANGHAI

GOLDEN = Path(__file__).parent / "golden"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


ROWS = (
    CoveredOrder(uuid.UUID("00000000-0000-4000-8000-000000000001"), "张三", "1101**********002X",
                 uuid.UUID("00000000-0000-4000-8000-0000000000a1"), uuid.UUID("00000000-0000-4000-8000-0000000000b1"),
                 "重庆渝中快送有限公司", "incomplete_labor", "instant_delivery", "即时配送", at(2, 9), at(2, 13), 7),
    CoveredOrder(uuid.UUID("00000000-0000-4000-8000-000000000001"), "张三", "1101**********002X",
                 uuid.UUID("00000000-0000-4000-8000-0000000000a2"), uuid.UUID("00000000-0000-4000-8000-0000000000b2"),
                 "重庆两江货运有限公司", "labor_service", "same_city_freight", "同城货运", at(16, 22), at(17, 2, 30), 18),
    CoveredOrder(uuid.UUID("00000000-0000-4000-8000-000000000002"), "=李四", "5001**********1234",
                 uuid.UUID("00000000-0000-4000-8000-0000000000a3"), uuid.UUID("00000000-0000-4000-8000-0000000000b3"),
                 "重庆解放碑餐饮有限公司", "labor_service", None, None, at(31, 11), at(31, 14), 7),
)


def test_the_report_matches_its_golden_file():
    produced = occupational_injury_csv("重庆零工市场", ROWS).encode("utf-8")
    assert produced == (GOLDEN / "occupational_injury.csv").read_bytes()


def test_the_report_never_holds_a_clear_resident_id():
    text = occupational_injury_csv("重庆零工市场", ROWS)
    assert "证件号码（脱敏）" in text.splitlines()[0] and "**********" in text
