"""A pure module imports without the web stack or a database driver: not itself (import-linter's
contract in pyproject.toml holds that), and not through its package's __init__.py either, which
import-linter does not follow. Each module is imported alone, in a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import market

PACKAGE = Path(market.__file__).parent
PURE = sorted(
    {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts) for path in PACKAGE.glob("*/model.py")}
    | {"market.kernel.money", "market.kernel.clock", "market.kernel.relationships", "market.kernel.principal",
       "market.orders.records", "market.orders.lifecycle", "market.attendance.timesheet"}
)
IO_LIBRARIES = ("aiohttp", "asyncpg", "redis")


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_imports_no_web_stack_and_no_database_driver(module: str) -> None:
    script = (f"import sys, {module}; "
              f"print(' '.join(name for name in {IO_LIBRARIES!r} if name in sys.modules))")
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              cwd=PACKAGE.parent).stdout.split()
    assert imported == [], f"importing {module} imports {', '.join(imported)}"
