"""The 个人所得税 withholding file (market/filings/model.py) for a fixed data set, byte for byte
equal to tests/filings/golden/* (both income items; a worker whose ID is missing)."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from market.filings.model import IncomeItem, Withholding, withholding_csv

GOLDEN = Path(__file__).parent / "golden"
ROWS = (
    Withholding(uuid.UUID("00000000-0000-4000-8000-000000000001"), "张三", "11010519491231002X", False,
                1_234_500, 3_210, 3),
    Withholding(uuid.UUID("00000000-0000-4000-8000-000000000002"), "=李四", "500103199001011234", False, 80_000, 0, 1),
    Withholding(uuid.UUID("00000000-0000-4000-8000-000000000003"), "王五", None, False, 50_050, 0, 1),
    Withholding(uuid.UUID("00000000-0000-4000-8000-000000000004"), "赵六", None, True, 10, 0, 1),
)


@pytest.mark.parametrize("item", list(IncomeItem))
def test_the_file_matches_its_golden_file(item):
    produced = withholding_csv(item, ROWS).encode("utf-8")
    assert produced == (GOLDEN / f"iit_{item.value}.csv").read_bytes()
