"""Rendering one written agreement: fill its template, render the PDF with the embedded CJK font,
hash it — what the background renderer does per agreement (market/contracts/service.py).

Prints, per relationship type, the median, p95 and worst of N renders in wall-clock and CPU time
(CPU time is what the render costs the machine; wall time also counts waiting for a shared core),
the PDF's size, and against a baseline: filling the template alone (no PDF), so the ratio is what
the PDF costs. The target is ≤ 200 ms a render (issue 17); see docs/benchmarks.md.

    python -m bench.agreements [--renders 30]
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from market.contracts import model
from market.contracts.service import render_document
from market.kernel.relationships import RelationshipType

MADE = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)


def terms(relationship: RelationshipType, n: int) -> model.Terms:
    """A realistic agreement; `n` varies the worker's name so that no two renders are identical."""
    shared = relationship is RelationshipType.shared_labor
    parties = [model.Party("employer", uuid.uuid4(), "重庆山城冷链物流有限公司", "91500103MA5U7JXX1Y"),
               model.Party("worker", uuid.uuid4(), "李秀兰" + "一二三四五六七八九十"[n % 10], "5001**********1234")]
    if shared:
        parties.insert(1, model.Party("lender", uuid.uuid4(), "重庆两江新区精密制造有限公司", "91500000MA5U7JXX2Q"))
    shifts = tuple(model.Shift(MADE + timedelta(days=d), MADE + timedelta(days=d, hours=8)) for d in range(5 if shared else 1))
    return model.Terms(uuid.uuid4(), relationship, tuple(parties), "冷库分拣打包", "双十二高峰，需穿戴防寒服", "沙坪坝区",
                       "沙坪坝区土主镇物流园 3 号库", shifts, "hour", 2850, None, 7, date(2026, 12, 11), 1440, 240, 20,
                       MADE, 2700 if shared else None, 28000 if shared else None)


def timed(fn, n: int) -> tuple[list[float], list[float], int]:
    wall, cpu, size = [], [], 0
    for i in range(n):
        w, c = time.perf_counter(), time.process_time()
        result = fn(i)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        size = len(result[0]) if isinstance(result, tuple) else 0
    return wall, cpu, size


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.1f} {p95:7.1f} {ordered[-1]:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()
    render_document(terms(RelationshipType.labor_service, 0))  # warm: imports, the font's cmap for printable()
    print(f"{'relationship':18} {'wall ms: median   p95   max':30} {'cpu ms: median   p95   max':30} {'PDF kB':>7}  "
          f"{'fill only ms':>12} {'ratio':>6}")
    for relationship in RelationshipType:
        wall, cpu, size = timed(lambda i, r=relationship: render_document(terms(r, i)), args.renders)
        fill_wall, _, _ = timed(lambda i, r=relationship: model.fill(terms(r, i)), args.renders)
        print(f"{relationship.value:18} {summary(wall):30} {summary(cpu):30} {size / 1024:7.1f}  "
              f"{statistics.median(fill_wall):12.3f} {statistics.median(wall) / statistics.median(fill_wall):6.0f}×")


if __name__ == "__main__":
    main()
