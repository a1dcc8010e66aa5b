"""HTTP for escrow, settlements, pay slips, statements, payouts: parse, call the
service, serialise."""
from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from market import csvfile
from market.settlement import daily
from market.settlement.records import Deposit, PaySlipRow
from market.kernel import clock
from market.kernel.clock import SHANGHAI
from market.web.auth import principal
from market.web.keys import SETTINGS
from market.web.endpoint import endpoint, path_uuid
from market.errors import FieldError, ValidationFailed
from market.web.inputs import AmountFen, BodyDate, Input, Moment
from market.settlement.keys import SETTLEMENTS
from market.web.outputs import LocalMoment
from market.web.pagination import PageQuery, decode_created_cursor, paginate, request_limit


class DepositIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"amount_fen": 5000000, "bank_reference": "ICBC-20261201-000731"},
    ]})
    amount_fen: AmountFen = Field(description="the amount transferred, in fen: at most ¥100,000,000 a transfer")
    bank_reference: str = Field(min_length=1, max_length=100, description="the bank's reference of the transfer")


class DepositOut(BaseModel):
    id: uuid.UUID
    amount_fen: int
    bank_reference: str
    state: str
    created_at: LocalMoment
    confirmed_at: LocalMoment | None


class BalanceOut(BaseModel):
    available_fen: int
    held_fen: int
    red_flag: bool = Field(description="unpaid wage arrears of this employer (cleared when paid)")
    red_flag_since: LocalMoment | None


class SlipLineOut(BaseModel):
    kind: str
    label: str
    amount_fen: int


class PaySlipOut(BaseModel):
    settlement_id: uuid.UUID
    assignment_id: uuid.UUID | None = Field(description="the seat settled; null for a standby's pay (standby_id)")
    standby_id: uuid.UUID | None = Field(default=None, description=(
        "the standby paid (docs/standby.md): on call for the shift and not called; null for a seat's pay"))
    order_id: uuid.UUID
    order_title: str
    relationship: str
    payer: str = Field(description="who pays this wage: the employer, or for shared labor the lender")
    shift_date: date
    settled_on: date
    due_date: date
    hours: float
    gross_fen: int
    earnings: list[SlipLineOut] = Field(default_factory=list, description=(
        "what the gross is when it is not wages for work done: a late-cancellation compensation "
        "(kind late_cancel_compensation; hours are the compensated hours); standby pay (kind standby_pay; "
        "hours 0: no time was worked); or, for a shift with 宽放 "
        "waiting time, the pay for the minutes worked (gross_wage) and for the waiting (waiting_time_wage), "
        "whose hours are both together"))
    withholdings: list[SlipLineOut]
    contributions: list[SlipLineOut] = Field(description="paid for the worker by the employer or platform")
    net_fen: int | None


class PaySlipPage(BaseModel):
    items: list[PaySlipOut]
    next_cursor: str | None


class PaySlipQuery(PageQuery):
    format: Literal["json", "csv"] | None = None


class StatementQuery(BaseModel):
    # A query string is text: not a strict Input. Years 2020-2099 only: the platform holds nothing
    # earlier, and a month in year 1 or 9999 overflows Python's datetime once the service turns it
    # into a Chongqing-time range.
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=r"^20[2-9]\d-(0[1-9]|1[0-2])$", description="YYYY-MM (Chongqing time), 2020-01 to "
                                                                           "2099-12")


class StatementLine(BaseModel):
    entry_id: int
    kind: str
    at: LocalMoment
    order_id: uuid.UUID | None
    order_title: str | None
    assignment_id: uuid.UUID | None
    amount_fen: int = Field(description="charged to escrow (positive) or credited (negative, deposits)")
    lines: list[dict] | None
    memo: str


class StatementOut(BaseModel):
    month: str
    items: list[StatementLine]
    charged_fen: int
    deposited_fen: int


class SettlementOut(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    relationship: str
    gross_fen: int
    wage_leg_amount_fen: int | None
    wage_leg_due_date: date | None
    wage_leg_confirmed_at: LocalMoment | None


class PayoutRunIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"due_by": "2026-12-15"}]})
    due_by: BodyDate | None = Field(None, description="pay everything due by this day (default today)")
    slot: Moment | None = Field(None, description="run this schedule slot (one of the payout_schedule times, "
                                "Beijing): due by its day, daily pay included, once per slot (docs/faster-pay.md); "
                                "not with due_by")


class PayoutOut(BaseModel):
    id: uuid.UUID
    payee_type: str
    payee_id: uuid.UUID
    amount_fen: int = Field(description="what the bank pays the payee")
    state: str
    fee_fen: int = Field(0, description="the daily-payout fee taken from this payout (docs/faster-pay.md)")


class BatchOut(BaseModel):
    id: uuid.UUID
    due_by: date
    state: str
    payouts: list[PayoutOut]
    slot_key: str | None = Field(None, description="the schedule slot this batch ran for; null: run by hand")


class PayoutPreferenceIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"cadence": "daily"}]})
    cadence: Literal["on_due_date", "daily"] = Field(
        description="daily (日结): settled, approved pay of an eligible relationship type in the next scheduled "
                    "payout; on_due_date: each pay in the first payout on or after its due date")


class PayoutPreferenceOut(BaseModel):
    cadence: Literal["on_due_date", "daily"]
    updated_at: LocalMoment | None
    daily_relationship_types: list[str] = Field(description="the relationship types paid daily when chosen")
    daily_fee_fen: int = Field(description="the fee per payout paid before its due date (0: none); never "
                                           "more than the pay holds above the minimum wage for its minutes")
    schedule: list[str] = Field(description="the payout runs of each day, Beijing time (HH:MM)")


class WorkerPayoutOut(BaseModel):
    id: uuid.UUID
    batch_id: uuid.UUID
    payables_fen: int = Field(description="the pay this payout settles (net of income tax)")
    fee_fen: int = Field(description="the daily-payout fee, itemised")
    amount_fen: int = Field(description="what the bank pays: payables_fen − fee_fen")
    state: str


class WorkerPayoutList(BaseModel):
    items: list[WorkerPayoutOut]


class ArrearsOut(BaseModel):
    id: uuid.UUID
    kind: str
    assignment_id: uuid.UUID
    amount_fen: int | None
    due_date: date
    employer_at_fault: bool
    created_at: LocalMoment
    cleared_at: LocalMoment | None


class ArrearsList(BaseModel):
    items: list[ArrearsOut]


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(SHANGHAI)


def deposit_out(deposit: Deposit) -> DepositOut:
    return DepositOut(**{k: getattr(deposit, k) for k in DepositOut.model_fields})


def slip_out(row: PaySlipRow) -> PaySlipOut:
    slip = row.pay_slip
    payer = row.lender_name if slip["paid_by"] == "lender" else row.payer_name
    return PaySlipOut(settlement_id=row.id, assignment_id=row.assignment_id, standby_id=row.standby_id,
                      order_id=row.order_id,
                      order_title=row.title, relationship=row.relationship_type, payer=payer or "",
                      shift_date=row.shift_date, settled_on=row.settled_on, due_date=date.fromisoformat(slip["due_date"]),
                      hours=round(row.paid_minutes / 60, 2), gross_fen=slip["gross_fen"],
                      earnings=slip.get("earnings", []),  # slips stored before the field have none
                      withholdings=slip["withholdings"], contributions=slip["employer_contributions"],
                      net_fen=slip["net_fen"])


SLIP_CSV_COLUMNS = ("settlement_id", "order_id", "order_title", "relationship", "payer", "shift_date", "due_date",
                    "hours", "gross_fen", "income_tax_withheld_fen", "work_injury_insurance_fen",
                    "occupational_injury_protection_fen", "waiting_time_wage_fen", "net_fen")


def slips_csv(slips: list[PaySlipOut]) -> str:
    # Through the one CSV writer: an order's title is the employer's text and must not reach the
    # worker's spreadsheet as a formula (market/csvfile.py).
    def rows():
        for s in slips:
            amounts = {line.kind: line.amount_fen for line in (*s.earnings, *s.withholdings, *s.contributions)}
            yield [s.settlement_id, s.order_id, s.order_title, s.relationship, s.payer, s.shift_date, s.due_date,
                   s.hours, s.gross_fen, amounts.get("income_tax_withheld", 0),
                   amounts.get("work_injury_insurance", 0), amounts.get("occupational_injury_protection", 0),
                   amounts.get("waiting_time_wage", 0), s.net_fen]
    return csvfile.text(SLIP_CSV_COLUMNS, rows())


# ---- handlers -------------------------------------------------------------------------------------


@endpoint(roles={"employer"}, tag="escrow", summary="Declare a bank transfer into escrow (pending until confirmed)",
          body=DepositIn, response=DepositOut, status=201)
async def declare_deposit(request: web.Request, body: DepositIn) -> DepositOut:
    return deposit_out(await request.app[SETTLEMENTS].declare_deposit(principal(request), body.amount_fen,
                                                                      body.bank_reference))


@endpoint(roles={"admin"}, tag="escrow", summary="Confirm a deposit arrived: credits the employer's escrow",
          response=DepositOut, errors=(404,))
async def confirm_deposit(request: web.Request) -> DepositOut:
    return deposit_out(await request.app[SETTLEMENTS].confirm_deposit(path_uuid(request)))


@endpoint(roles={"employer"}, tag="escrow", summary="Escrow available and held, and any arrears red flag",
          response=BalanceOut)
async def balance(request: web.Request) -> BalanceOut:
    found = await request.app[SETTLEMENTS].balance(principal(request))
    return BalanceOut(available_fen=found.available_fen, held_fen=found.held_fen,
                      red_flag=found.red_flag_since is not None, red_flag_since=found.red_flag_since)


@endpoint(roles={"worker"}, tag="settlement", summary="The caller's pay slips (JSON, or CSV with ?format=csv)",
          query=PaySlipQuery, response=PaySlipPage, produces="text/csv")
async def my_payslips(request: web.Request, query: PaySlipQuery) -> PaySlipPage | web.Response:
    limit = request_limit(request, query)
    rows = await request.app[SETTLEMENTS].payslips(principal(request), decode_created_cursor(query.cursor), limit + 1)
    page, cursor = paginate(rows, limit, lambda r: [r.created_at.isoformat(), str(r.id)])
    slips = [slip_out(r) for r in page]
    wants_csv = query.format == "csv" or (query.format is None and "text/csv" in request.headers.get("Accept", ""))
    if wants_csv:
        headers = {"Link": f'<?format=csv&cursor={cursor}>; rel="next"'} if cursor else {}
        return web.Response(text=slips_csv(slips), content_type="text/csv", charset="utf-8", headers=headers)
    return PaySlipPage(items=slips, next_cursor=cursor)


@endpoint(roles={"employer"}, tag="settlement", summary="Every charge and deposit of one month, with order and assignment",
          query=StatementQuery, response=StatementOut)
async def statement(request: web.Request, query: StatementQuery) -> StatementOut:
    year, month = map(int, query.month.split("-"))
    rows = await request.app[SETTLEMENTS].statement(principal(request), date(year, month, 1))
    items = [StatementLine(entry_id=r.id, kind=r.kind, at=_local(r.created_at), order_id=r.order_id,
                           order_title=r.title, assignment_id=r.assignment_id, amount_fen=-r.amount_fen,
                           lines=r.lines, memo=r.memo) for r in rows]
    return StatementOut(month=query.month, items=items,
                        charged_fen=sum(i.amount_fen for i in items if i.kind != "deposit"),
                        deposited_fen=-sum(i.amount_fen for i in items if i.kind == "deposit"))


@endpoint(roles={"employer"}, tag="settlement", summary="A lender confirms it paid its employee's wage (shared labor)",
          response=SettlementOut, errors=(404,))
async def confirm_wage_paid(request: web.Request) -> SettlementOut:
    leg = await request.app[SETTLEMENTS].confirm_wage_paid(principal(request), path_uuid(request))
    return SettlementOut(id=leg.id, assignment_id=leg.assignment_id, relationship=leg.relationship_type,
                         gross_fen=leg.gross_fen, wage_leg_amount_fen=leg.wage_leg_amount_fen,
                         wage_leg_due_date=leg.wage_leg_due_date, wage_leg_confirmed_at=leg.wage_leg_confirmed_at)


@endpoint(roles={"employer", "worker"}, tag="settlement", summary="Wage arrears concerning the caller",
          response=ArrearsList)
async def my_arrears(request: web.Request) -> ArrearsList:
    rows = await request.app[SETTLEMENTS].arrears_of(principal(request))
    return ArrearsList(items=[ArrearsOut(**asdict(r)) for r in rows])


async def _batch_out(request: web.Request, batch_id: uuid.UUID) -> BatchOut:
    batch, payouts = await request.app[SETTLEMENTS].batch(batch_id)
    return BatchOut(id=batch.id, due_by=batch.due_by, state=batch.state,
                    payouts=[PayoutOut(id=p.id, payee_type=p.payee_type, payee_id=p.payee_id,
                                       amount_fen=p.amount_fen, state=p.state, fee_fen=p.fee_fen) for p in payouts],
                    slot_key=batch.slot_key)


@endpoint(roles={"admin"}, tag="payouts", summary="Run a payout batch of everything due by a day, or a schedule slot",
          body=PayoutRunIn, response=BatchOut, status=201, errors=(409,))
async def run_payouts(request: web.Request, body: PayoutRunIn) -> BatchOut:
    if body.slot is not None:
        local = body.slot.astimezone(SHANGHAI)
        if body.due_by is not None:
            raise ValidationFailed([FieldError(("due_by",), "give due_by or slot, not both")])
        if local.timetz().replace(tzinfo=None) not in request.app[SETTINGS].payout_schedule or local.second \
                or local.microsecond:
            raise ValidationFailed([FieldError(("slot",), "not a time of the payout schedule (Beijing)", {
                "schedule": [t.strftime("%H:%M") for t in sorted(request.app[SETTINGS].payout_schedule)]})])
        batch_id, _ = await request.app[SETTLEMENTS].run_slot(local)
        return await _batch_out(request, batch_id)
    due_by = body.due_by or clock.today()
    return await _batch_out(request, await request.app[SETTLEMENTS].run_payouts(due_by))


@endpoint(roles={"admin"}, tag="payouts", summary="A payout batch as the bank file (CSV)", produces="text/csv",
          errors=(404,))
async def batch_file(request: web.Request) -> web.Response:
    text = await request.app[SETTLEMENTS].batch_csv(path_uuid(request))
    return web.Response(text=text, content_type="text/csv", charset="utf-8")


@endpoint(roles={"admin"}, tag="payouts", summary="The bank paid the batch: mark its payouts paid", response=BatchOut,
          errors=(404, 409))
async def confirm_batch(request: web.Request) -> BatchOut:
    batch_id = path_uuid(request)
    await request.app[SETTLEMENTS].confirm_batch(batch_id)
    return await _batch_out(request, batch_id)


def _preference_out(request: web.Request, cadence: str, updated_at: datetime | None) -> PayoutPreferenceOut:
    settings = request.app[SETTINGS]
    return PayoutPreferenceOut(cadence=cadence, updated_at=updated_at,  # type: ignore[arg-type]
                               daily_relationship_types=daily.daily_payout_types(),
                               daily_fee_fen=settings.daily_payout_fee_fen,
                               schedule=[t.strftime("%H:%M") for t in sorted(settings.payout_schedule)])


@endpoint(roles={"worker"}, tag="settlement", summary="The caller's payout cadence (daily pay, 日结, or on the due date)",
          response=PayoutPreferenceOut)
async def my_payout_preference(request: web.Request) -> PayoutPreferenceOut:
    worker_id = principal(request).worker_id
    assert worker_id is not None  # the worker role
    cadence, updated_at = await request.app[SETTLEMENTS].payout_preference(worker_id)
    return _preference_out(request, cadence, updated_at)


@endpoint(roles={"worker"}, tag="settlement", summary="Choose daily pay (日结) or pay on the due date",
          body=PayoutPreferenceIn, response=PayoutPreferenceOut)
async def set_my_payout_preference(request: web.Request, body: PayoutPreferenceIn) -> PayoutPreferenceOut:
    worker_id = principal(request).worker_id
    assert worker_id is not None  # the worker role
    cadence, updated_at = await request.app[SETTLEMENTS].set_payout_preference(worker_id, body.cadence)
    return _preference_out(request, cadence, updated_at)


@endpoint(roles={"worker"}, tag="settlement", summary="The caller's payouts, newest first, with each daily-payout fee",
          response=WorkerPayoutList)
async def my_payouts(request: web.Request) -> WorkerPayoutList:
    worker_id = principal(request).worker_id
    assert worker_id is not None  # the worker role
    rows = await request.app[SETTLEMENTS].payouts_of_worker(worker_id)
    return WorkerPayoutList(items=[WorkerPayoutOut(id=p.id, batch_id=p.batch_id, payables_fen=p.amount_fen + p.fee_fen,
                                                   fee_fen=p.fee_fen, amount_fen=p.amount_fen, state=p.state)
                                   for p in rows])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v1/workers/me/payout-preference", my_payout_preference)
    app.router.add_put("/v1/workers/me/payout-preference", set_my_payout_preference)
    app.router.add_get("/v1/workers/me/payouts", my_payouts)
    app.router.add_post("/v1/employers/me/deposits", declare_deposit)
    app.router.add_post("/v1/admin/deposits/{id}/confirm", confirm_deposit)
    app.router.add_get("/v1/employers/me/balance", balance)
    app.router.add_get("/v1/employers/me/statements", statement)
    app.router.add_get("/v1/employers/me/arrears", my_arrears)
    app.router.add_get("/v1/workers/me/arrears", my_arrears)
    app.router.add_get("/v1/workers/me/payslips", my_payslips)
    app.router.add_post("/v1/settlements/{id}/confirm-wage-paid", confirm_wage_paid)
    app.router.add_post("/v1/admin/payouts", run_payouts)
    app.router.add_get("/v1/admin/payouts/{id}/file", batch_file)
    app.router.add_post("/v1/admin/payouts/{id}/confirm", confirm_batch)
