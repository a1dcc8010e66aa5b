"""Settling approved timesheets, one or many at a time, in the caller's transaction.

`settle(conn, items, ...)` is the one place a settlement is computed and posted: approval passes
one timesheet, the sweep (`Settlements.settle_pending`) pages of hundreds. Whatever the number,
the database work is a fixed handful of statements — the rows, the holds, the tax facts, the
journal (`ledger.post_entries`), the settlements, payables, alerts and events — so 100k
timesheets settle in seconds, not minutes (bench/settlement.py).

Order of work, and why:
0. Plan each statement for the tables as they are (`PLAN_EACH_STATEMENT`, this transaction only).
   The pool's prepared statements otherwise switch to a generic plan after five runs, and one made
   while `settlements` was small (a seq scan) stays until the table is next analysed: the sweep's
   probes of `settlements` then read the whole table per batch, and 100k timesheets cost
   quadratic time (bench/settlement.py, autovacuum off).
1. Lock the employers' escrow accounts, in account order. Escrow and the tax facts are both per
   employer, so this serialises every settlement of an employer (two sweeps, a sweep and an
   approval) without deadlock; what was read after the lock is what the batch may rely on.
2. Skip timesheets already settled (a retry, or another sweep got there first): retry-safe.
3. Read each employer–worker pair's tax facts once; the batch's own settlements are added as they
   are made, in the order given, exactly as if each had been settled in its own transaction.
4. Per timesheet, the pure rules (rules.py). A refusal (below the minimum wage) becomes a
   supervisor alert and posts nothing. A settlement escrow cannot cover (held amount + available)
   is reported as `InsufficientEscrow` and posts nothing either: the caller decides (approval
   refuses with a 409; the sweep leaves it for a later sweep, and arrears if past due).
5. Write: the holds marked posted, the settlement entries (each also moving its hold from held
   back to escrow, in the same entry), settlements, payables, alerts, events.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import asyncpg

from market.catalogue.model import MinimumWageTable
from market.errors import Conflict
from market.events.outbox import emit_many
from market.kernel.clock import local_date
from market.kernel.relationships import RelationshipType
from market.settlement import escrow, ledger, model, queries
from market.settlement.model import InsufficientEscrow
from market.settlement.records import PayableRow, SettlementRow
from market.settlement.rules import (
    LONGEST_PAY_CYCLE_DAYS, LateCancellation, Party, Settlement, SettlementRefused,
    SharedLaborTimesheet, Timesheet, gross_for_minutes, pay_slip, postings, settle_incomplete_labor,
    settle_labor_part_time, settle_labor_service, settle_late_cancellation, settle_shared_labor,
)
from market.settlement.rules import settle_standby as standby_rule
from market.settlement.tax import LaborRemunerationMonthToDate, WageYearToDate, months_employed_this_year

Outcome = uuid.UUID | InsufficientEscrow | None  # the settlement; escrow short; nothing to post


@dataclass(frozen=True)
class CompensationDue:
    """A late-cancellation compensation of a cancelled assignment (a `compensations` row), settled by
    the same engine as a timesheet: it is income, taxed by the relationship type's rule and counted
    in the pair's tax facts, and it is the assignment's one settlement (a cancelled seat has no
    timesheet to settle)."""

    id: uuid.UUID
    amount_fen: int
    minutes: int


@dataclass(frozen=True)
class StandbyDue:
    """A standby on call at its shift's end and not called (docs/standby.md): its amount, held in
    escrow since sign-up, settled by the same engine as a compensation. It has no assignment, so
    its settlement names the standby (settlements.standby_id) instead."""

    id: uuid.UUID
    order_id: uuid.UUID
    organisation_id: uuid.UUID
    worker_id: uuid.UUID
    relationship_type: RelationshipType
    amount_fen: int
    shift_date: date  # the shift's local date: the slip's day and the pay's due day


Work = int | CompensationDue  # what is settled for an assignment: approved minutes, or a compensation


@dataclass
class _Facts:
    """An employer–worker pair's tax facts so far this year (wages) and month (劳务报酬)."""

    wages_fen: int = 0
    wage_tax_fen: int = 0
    wage_days: set[date] = field(default_factory=set)
    remuneration_fen: int = 0
    remuneration_tax_fen: int = 0


@dataclass
class _Writes:
    hold_posts: list[uuid.UUID] = field(default_factory=list)
    entries: list[ledger.Entry] = field(default_factory=list)
    settlements: list[tuple[SettlementRow, str]] = field(default_factory=list)  # and its entry's business key
    payables: list[PayableRow] = field(default_factory=list)
    alerts: list[tuple] = field(default_factory=list)
    events: list[tuple[dict, list, list]] = field(default_factory=list)


async def settle(conn: asyncpg.Connection, items: list[tuple[asyncpg.Record, Work]], *,
                 minimum_wages: MinimumWageTable, now: datetime) -> dict[uuid.UUID, Outcome]:
    """Settle each (ASSIGNMENT_FOR_MONEY row, approved minutes or a compensation), in order; the
    outcome of each."""
    if not conn.is_in_transaction():
        raise RuntimeError("settle() runs inside the caller's transaction")
    outcomes: dict[uuid.UUID, Outcome] = {}
    if not items:
        return outcomes
    settled_on = local_date(now)
    ids = [row["id"] for row, _ in items]
    await conn.execute(queries.PLAN_EACH_STATEMENT)
    available = await escrow.lock_available(conn, {row["organisation_id"] for row, _ in items})
    existing = {r["assignment_id"]: r["id"] for r in await conn.fetch(queries.SETTLEMENTS_OF_ASSIGNMENTS, ids)}
    held = {r["assignment_id"]: r["amount_fen"] for r in await conn.fetch(queries.LOCK_HELD, ids)}
    facts = await _tax_facts(conn, [row for row, _ in items], settled_on)
    writes = _Writes()
    for row, work in items:
        assignment_id, organisation_id = row["id"], row["organisation_id"]
        if assignment_id in existing:
            outcomes[assignment_id] = existing[assignment_id]
            continue
        if isinstance(work, int) and work <= 0:
            await escrow.release_hold(conn, assignment_id, "approved with no paid time", now=now)
            outcomes[assignment_id] = None
            continue
        pair = facts[(organisation_id, row["worker_id"])]
        if isinstance(work, CompensationDue):
            computed = await _compute_compensation(conn, row, work, pair, minimum_wages, settled_on)
        else:
            computed = await _compute(conn, row, work, pair, minimum_wages, settled_on)
        if isinstance(computed, SettlementRefused):
            writes.alerts += _alerts(row, computed.alerts, f"settlement_refused:{assignment_id}")
            outcomes[assignment_id] = None
            continue
        result, lender_id = computed
        hold = held.get(assignment_id, 0)
        if result.employer_total_fen > available[organisation_id] + hold:
            outcomes[assignment_id] = InsufficientEscrow(result.employer_total_fen, available[organisation_id] + hold)
            continue
        available[organisation_id] += hold - result.employer_total_fen
        _count(pair, result, settled_on)
        if assignment_id in held:
            writes.hold_posts.append(assignment_id)
        outcomes[assignment_id] = _record(writes, row, work, result, lender_id, settled_on, hold)
    await _write(conn, writes, now)
    return outcomes


async def settle_standby(conn: asyncpg.Connection, due: StandbyDue, *, now: datetime) -> uuid.UUID:
    """Settle a standby's pay in the caller's transaction (the standby sweep's, which has just moved
    the standby out of on_call under its row lock): the employer's escrow locked as every
    settlement of the employer does (what orders the pair's tax facts), the pair's facts read, the
    relationship type's withholding (`rules.settle_standby`), and one journal entry
    `standby_pay:<id>` (kind compensation, as before) that returns the standby's hold from held
    escrow and pays the gross out of escrow: net to the worker's payable, the tax to the employer's
    tax payable. The settlements row (standby_id, paid_minutes 0: no time worked) is the worker's
    pay slip and counts in the pair's later tax facts; the payable (source compensation, source_id
    the standby, no assignment) is due the shift's day. No `settlement.posted`: its payload names an
    assignment (a webhook event); `standby.paid` reports the pay. The hold covers the gross exactly
    (no fee, no contribution), so escrow is never short. Exactly once: the unique standby_id
    refuses a second row whatever races."""
    if not conn.is_in_transaction():
        raise RuntimeError("settle_standby() runs inside the caller's transaction")
    settled_on = local_date(now)
    organisation_id, worker_id = due.organisation_id, due.worker_id
    await escrow.lock_available(conn, {organisation_id})
    existing = await conn.fetchval(queries.SETTLEMENT_OF_STANDBY, due.id)
    if existing is not None:
        return existing
    pair = (await _tax_facts(conn, [{"organisation_id": organisation_id, "worker_id": worker_id}],
                             settled_on))[(organisation_id, worker_id)]
    result = standby_rule(
        due.shift_date, due.amount_fen, due.relationship_type,
        wage_year_to_date=WageYearToDate(pair.wages_fen, pair.wage_tax_fen,
                                         months_employed_this_year(pair.wage_days, settled_on)),
        month_to_date=LaborRemunerationMonthToDate(pair.remuneration_fen, pair.remuneration_tax_fen),
        rate_book=escrow.rate_book(), settled_on=settled_on)
    parties = {Party.EMPLOYER: organisation_id, Party.WORKER: worker_id}
    key = f"standby_pay:{due.id}"
    writes = _Writes()
    writes.entries.append(ledger.Entry(
        key, "compensation", escrow.hold_posting(organisation_id, due.amount_fen) + tuple(
            (ledger.concrete(p.account, parties), p.amount_fen) for p in postings(result)),
        memo=f"standby pay ({result.relationship_type.value})", organisation_id=organisation_id,
        order_id=due.order_id))
    settlement_id = uuid.uuid4()
    writes.settlements.append((SettlementRow(
        id=settlement_id, assignment_id=None, order_id=due.order_id, organisation_id=organisation_id,
        worker_id=worker_id, lender_id=None, relationship_type=result.relationship_type.value,
        shift_date=result.shift_date, settled_on=settled_on, due_date=result.due_date, paid_minutes=0,
        gross_fen=result.gross_fen, income_tax_withheld_fen=result.income_tax_withheld_fen,
        net_pay_fen=result.net_pay_fen, employer_total_fen=result.employer_total_fen,
        lines=_lines_json(result), pay_slip=_slip_json(result), wage_leg_amount_fen=None, wage_leg_due_date=None,
        journal_entry_id=0, standby_id=due.id), key))
    if result.net_pay_fen > 0:
        writes.payables.append(PayableRow("compensation", due.id, "worker", worker_id, organisation_id, None,
                                          result.net_pay_fen, result.due_date))
    await _write(conn, writes, now)
    return settlement_id


async def _tax_facts(conn: asyncpg.Connection, rows: list, settled_on: date) -> dict:
    pairs = sorted({(r["organisation_id"], r["worker_id"]) for r in rows})
    facts = {pair: _Facts() for pair in pairs}
    organisations, workers = [p[0] for p in pairs], [p[1] for p in pairs]
    for r in await conn.fetch(queries.WAGE_YEAR_TO_DATE_OF_PAIRS, organisations, workers,
                              date(settled_on.year, 1, 1), settled_on):
        pair = facts[(r["organisation_id"], r["worker_id"])]
        pair.wages_fen, pair.wage_tax_fen, pair.wage_days = r["wages_paid_fen"], r["tax_withheld_fen"], set(r["days"])
    for r in await conn.fetch(queries.LABOR_REMUNERATION_MONTH_TO_DATE_OF_PAIRS, organisations, workers,
                              settled_on.replace(day=1), settled_on):
        pair = facts[(r["organisation_id"], r["worker_id"])]
        pair.remuneration_fen, pair.remuneration_tax_fen = r["paid_fen"], r["tax_fen"]
    return facts


async def _compute(conn: asyncpg.Connection, row: asyncpg.Record, minutes: int, pair: _Facts,
                   minimum_wages: MinimumWageTable, settled_on: date
                   ) -> tuple[Settlement, uuid.UUID | None] | SettlementRefused:
    relationship = RelationshipType(row["relationship_type"])
    shift_date = local_date(row["starts_at"])
    minimum = minimum_wages.hourly_minimum_fen(row["tier"], shift_date)
    cycle = min(row["pay_cycle_days"], LONGEST_PAY_CYCLE_DAYS)
    book = escrow.rate_book()
    if relationship is RelationshipType.shared_labor:
        terms = await conn.fetchrow(queries.SHARED_TERMS, row["order_id"], row["worker_id"])
        if terms is None:
            raise Conflict("no three-party agreement for this shared-labor assignment")
        result = settle_shared_labor(SharedLaborTimesheet(
            shift_date=local_date(row["ends_at"] - timedelta(microseconds=1)),
            days_worked=model.days_covered(row["starts_at"], row["ends_at"]), worked_minutes=minutes,
            lender_fee_per_worker_day_fen=terms["fee_per_worker_day_fen"] or row["fee_per_worker_day_fen"],
            worker_agreed_wage_fen=gross_for_minutes(terms["wage_hourly_fen"], minutes),
        ), hourly_minimum_fen=minimum, rate_book=book, settled_on=settled_on)
        return result if isinstance(result, SettlementRefused) else (result, terms["lender_id"])
    sheet = Timesheet(shift_date=shift_date, worked_minutes=minutes,
                      hourly_rate_fen=model.hourly_rate(row["rate_fen"], row["pay_unit"], row["pay_stated_hours"]),
                      waiting_minutes=row["waiting_minutes"], sector_code=row["sector_code"])
    if relationship is RelationshipType.labor_part_time:
        year = WageYearToDate(pair.wages_fen, pair.wage_tax_fen, months_employed_this_year(pair.wage_days, settled_on))
        result = settle_labor_part_time(sheet, hourly_minimum_fen=minimum, wage_year_to_date=year, rate_book=book,
                                        settled_on=settled_on, pay_cycle_days=cycle)
    else:
        month = LaborRemunerationMonthToDate(pair.remuneration_fen, pair.remuneration_tax_fen)
        rule = settle_incomplete_labor if relationship is RelationshipType.incomplete_labor else settle_labor_service
        result = rule(sheet, hourly_minimum_fen=minimum, month_to_date=month, rate_book=book, settled_on=settled_on,
                      pay_cycle_days=cycle)
    return result if isinstance(result, SettlementRefused) else (result, None)


async def _compute_compensation(conn: asyncpg.Connection, row: asyncpg.Record, due: CompensationDue, pair: _Facts,
                                minimum_wages: MinimumWageTable, settled_on: date) -> tuple[Settlement, uuid.UUID | None]:
    relationship = RelationshipType(row["relationship_type"])
    minimum = minimum_wages.hourly_minimum_fen(row["tier"], local_date(row["starts_at"]))
    lender_id, agreed_wage = None, 0
    if relationship is RelationshipType.shared_labor:
        terms = await conn.fetchrow(queries.SHARED_TERMS, row["order_id"], row["worker_id"])
        if terms is None:
            raise Conflict("no three-party agreement for this shared-labor assignment")
        lender_id, agreed_wage = terms["lender_id"], gross_for_minutes(terms["wage_hourly_fen"], due.minutes)
    result = settle_late_cancellation(
        LateCancellation(local_date(row["starts_at"]), due.amount_fen, due.minutes, agreed_wage), relationship,
        hourly_minimum_fen=minimum,
        wage_year_to_date=WageYearToDate(pair.wages_fen, pair.wage_tax_fen,
                                         months_employed_this_year(pair.wage_days, settled_on)),
        month_to_date=LaborRemunerationMonthToDate(pair.remuneration_fen, pair.remuneration_tax_fen),
        rate_book=escrow.rate_book(), settled_on=settled_on,
        pay_cycle_days=min(row["pay_cycle_days"], LONGEST_PAY_CYCLE_DAYS))
    return result, lender_id


def _count(pair: _Facts, result: Settlement, settled_on: date) -> None:
    """Add a settlement to its pair's facts, as the tax-fact queries would see it once written."""
    if result.relationship_type is RelationshipType.labor_part_time:
        pair.wages_fen += result.gross_fen
        pair.wage_tax_fen += result.income_tax_withheld_fen
        pair.wage_days.add(settled_on)
    elif result.relationship_type in (RelationshipType.incomplete_labor, RelationshipType.labor_service):
        pair.remuneration_fen += result.gross_fen
        pair.remuneration_tax_fen += result.income_tax_withheld_fen


def _record(writes: _Writes, row: asyncpg.Record, work: Work, result: Settlement, lender_id: uuid.UUID | None,
            settled_on: date, hold: int) -> uuid.UUID:
    """Queue the settlement's writes. Its journal entry also posts the assignment's escrow hold:
    held → available (`escrow.hold_posting`), merged with the debit of escrow, so a settled hold
    is one entry, not two. A compensation keeps its own entry key, entry kind and payable source
    (`compensation:<id>`), so statements and payouts read it as before."""
    assignment_id, organisation_id, worker_id = row["id"], row["organisation_id"], row["worker_id"]
    settlement_id = uuid.uuid4()
    if isinstance(work, CompensationDue):
        minutes, kind, memo = work.minutes, "compensation", "late-cancellation compensation"
        key, source, source_id = f"compensation:{work.id}", "compensation", work.id
    else:
        # paid minutes: the approved working minutes and the 宽放 waiting minutes paid with them
        minutes, kind, memo = work + row["waiting_minutes"], "settlement", f"{result.relationship_type.value} settlement"
        key, source, source_id = f"settlement:{assignment_id}", "settlement", settlement_id
    parties = {Party.EMPLOYER: organisation_id, Party.WORKER: worker_id}
    if lender_id is not None:
        parties[Party.LENDER] = lender_id
    legs = postings(result)
    writes.entries.append(ledger.Entry(
        key, kind, escrow.hold_posting(organisation_id, hold) + tuple(
            (ledger.concrete(p.account, parties), p.amount_fen) for p in legs),
        memo=memo, organisation_id=organisation_id, order_id=row["order_id"], assignment_id=assignment_id))
    wage_leg = result.shared_wage_leg
    writes.settlements.append((SettlementRow(
        id=settlement_id, assignment_id=assignment_id, order_id=row["order_id"], organisation_id=organisation_id,
        worker_id=worker_id, lender_id=lender_id, relationship_type=result.relationship_type.value,
        shift_date=result.shift_date, settled_on=settled_on, due_date=result.due_date, paid_minutes=minutes,
        gross_fen=result.gross_fen, income_tax_withheld_fen=result.income_tax_withheld_fen,
        net_pay_fen=None if wage_leg else result.net_pay_fen, employer_total_fen=result.employer_total_fen,
        lines=_lines_json(result), pay_slip=_slip_json(result),
        wage_leg_amount_fen=wage_leg.amount_fen if wage_leg else None,
        wage_leg_due_date=wage_leg.due_date if wage_leg else None, journal_entry_id=0), key))
    if wage_leg is None and result.net_pay_fen > 0:
        writes.payables.append(PayableRow(source, source_id, "worker", worker_id, organisation_id, assignment_id,
                                          result.net_pay_fen, result.due_date))
    lender_fee = -sum(p.amount_fen for p in legs if p.account.party is Party.LENDER)
    if lender_id is not None and lender_fee > 0:
        writes.payables.append(PayableRow(source, source_id, "organisation", lender_id, organisation_id,
                                          assignment_id, lender_fee, result.due_date))
    writes.alerts += _alerts(row, result.alerts, f"settlement:{assignment_id}")
    writes.events.append(({"settlement_id": str(settlement_id), "assignment_id": str(assignment_id),
                           "due_date": result.due_date.isoformat()},
                          [worker_id], [organisation_id, *([lender_id] if lender_id else [])]))
    return settlement_id


async def _write(conn: asyncpg.Connection, writes: _Writes, now: datetime) -> None:
    """The batch's rows, all at `now`; the postings last, because they lock the accounts they touch
    until commit (`ledger.Postings.post`): batches of other employers run side by side up to that
    statement."""
    await escrow.mark_holds_posted(conn, writes.hold_posts, now=now)
    keyed, postings = await ledger.open_entries(conn, writes.entries, now=now)
    entry_ids = {e.business_key: entry_id for e, (entry_id, _) in zip(writes.entries, keyed)}
    if writes.settlements:  # one statement each, rows bound by column name (executemany costs a round of work per row)
        await queries.insert_settlements(conn, [replace(settlement, journal_entry_id=entry_ids[key])
                                                for settlement, key in writes.settlements], now)
    if writes.payables:  # by column name, as the settlements
        await queries.insert_payables(conn, writes.payables, now)
    if writes.alerts:
        await conn.executemany(queries.INSERT_ALERT, [(*alert, now) for alert in writes.alerts])
    await emit_many(conn, "settlement.posted", writes.events)
    await postings.post(conn)


def _alerts(row: asyncpg.Record, alerts, key: str) -> list[tuple]:
    return [(alert.kind.value, row["district_code"], row["organisation_id"], row["order_id"],
             f"{alert.kind.value}:{key}", {"detail": alert.detail, "assignment_id": str(row["id"]), **dict(alert.facts)})
            for alert in alerts]


def _account_json(account) -> dict:
    return {"kind": account.kind.value, "party": account.party.value}


def _lines_json(settlement: Settlement) -> list[dict]:
    return [{"kind": line.kind.value, "amount_fen": line.amount_fen, "payer": _account_json(line.payer),
             "payee": _account_json(line.payee)} for line in settlement.lines]


def _slip_json(settlement: Settlement) -> dict:
    slip = pay_slip(settlement)
    return {"relationship_type": slip.relationship_type.value, "shift_date": slip.shift_date.isoformat(),
            "due_date": slip.due_date.isoformat(), "paid_by": slip.paid_by.value, "gross_fen": slip.gross_fen,
            "withholdings": [{"kind": l.kind, "label": l.label, "amount_fen": l.amount_fen} for l in slip.withholdings],
            "employer_contributions": [{"kind": l.kind, "label": l.label, "amount_fen": l.amount_fen}
                                       for l in slip.employer_contributions],
            "net_fen": slip.net_fen,
            "earnings": [{"kind": l.kind, "label": l.label, "amount_fen": l.amount_fen} for l in slip.earnings]}


__all__ = ["CompensationDue", "Outcome", "StandbyDue", "settle", "settle_standby"]
