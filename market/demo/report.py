"""The demo's closing summary: the database's figures rolled up by relationship type and by
district, as plain-text tables. Pure formatting over rows read by queries.py."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg

from market.demo import queries

COLUMNS = ("orders", "cancelled", "below_minimum", "seats", "filled", "completed", "no_shows", "hours", "gross_fen",
           "tax_fen", "arrears", "arrears_fen")
HEADERS = ("orders", "cancel", "<min", "seats", "filled", "done", "no-show", "hours", "gross ¥", "tax ¥", "arrears",
           "owed ¥")
RELATIONSHIP_NAMES = {"labor_part_time": "非全日制 labor_part_time", "incomplete_labor": "不完全劳动 incomplete_labor",
                      "labor_service": "劳务 labor_service", "shared_labor": "共享用工 shared_labor"}


@dataclass
class Summary:
    by_relationship: dict[str, dict[str, int]]
    by_district: dict[str, dict[str, int]]
    totals: dict[str, int]
    figures: dict = field(default_factory=dict)  # counts of the whole market (employers, bids, payouts…)

    def planned(self) -> tuple:
        """The figures one seed fixes exactly: the market, its orders and seats, the arrears case.

        Allocation outcomes (fills, hours, pay) can differ by a seat or two between runs: the
        allocation builder orders candidates by their database ids, which are random, and CP-SAT
        stops within its relative gap, so a permuted model may stop at another near-optimum."""
        fixed = ("orders", "cancelled", "below_minimum", "seats", "arrears", "arrears_fen")
        figures = ("employers", "workers", "employments", "agreements", "employer_arrears", "employers_in_arrears")
        return ({k: {c: v[c] for c in fixed} for k, v in sorted(self.by_relationship.items())},
                {k: {c: v[c] for c in fixed} for k, v in sorted(self.by_district.items())},
                {k: self.figures[k] for k in figures})


async def summarise(conn: asyncpg.Connection) -> Summary:
    rows = await queries.summary_rows(conn)
    by_relationship: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    by_district: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    totals = dict.fromkeys(COLUMNS, 0)
    for measure in rows.values():
        for row in measure:
            values = {k: int(v or 0) for k, v in row.items() if k not in ("relationship_type", "district_code")}
            if "approved_minutes" in values:
                values["hours"] = values.pop("approved_minutes") // 60
            for target in (by_relationship[row["relationship_type"]], by_district[row["district_code"]], totals):
                for key, value in values.items():
                    target[key] += value
    return Summary(dict(by_relationship), dict(by_district), totals, await queries.summary_totals(conn))


def table(summary: Summary, district_names: dict[str, str], highlight: str, *, top: int = 8) -> str:
    lines = ["By relationship type", _header("relationship type")]
    for code in RELATIONSHIP_NAMES:
        if code in summary.by_relationship:
            lines.append(_row(RELATIONSHIP_NAMES[code], summary.by_relationship[code]))
    lines.append(_row("total", summary.totals))
    busiest = sorted(summary.by_district, key=lambda c: (-summary.by_district[c]["seats"], c))[:top]
    if highlight in summary.by_district and highlight not in busiest:
        busiest.append(highlight)
    lines += ["", f"By district (the {top} busiest" + (", and the arrears case)" if highlight else ")"),
              _header("district")]
    for code in busiest:
        mark = " ◀ arrears" if code == highlight else ""
        lines.append(_row(f"{code} {district_names.get(code, '')}", summary.by_district[code]) + mark)
    return "\n".join(lines)


def figures(summary: Summary) -> str:
    f = summary.figures
    return "\n".join([
        f"employers {f['employers']}, workers {f['workers']}, lent employees {f['employments']}, "
        f"three-party agreements {f['agreements']}",
        f"bids {f['bids']}, allocation runs {f['runs']}, offers {f['offers']} "
        f"(accepted {f['offers_accepted']}, declined {f['offers_declined']})",
        f"late-cancellation compensations {f['compensations']} (¥{_yuan(f['compensation_fen'])}), "
        f"payout batches {f['payout_batches']} with {f['payouts']} payouts (¥{_yuan(f['paid_out_fen'])} paid)",
        f"standby: {f['standbys']} on call in all, {f['standbys_called']} called to a seat given back, "
        f"{f['standbys_paid']} not called and paid (¥{_yuan(f['standby_paid_fen'])}), "
        f"{f['standbys_on_call']} on call now",
        f"employer arrears open: {f['employer_arrears']} records, {f['employers_in_arrears']} employer(s)",
    ])


def _header(first: str) -> str:
    return f"{first:<30}" + "".join(f"{h:>10}" for h in HEADERS)


def _row(label: str, values: dict[str, int]) -> str:
    cells = [_yuan(values[c]) if c.endswith("_fen") else str(values[c]) for c in COLUMNS]
    return f"{_fit(label, 30)}" + "".join(f"{c:>10}" for c in cells)


def _fit(label: str, width: int) -> str:
    # CJK characters take two columns on a terminal.
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
    return label + " " * max(1, width - shown)


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}"
