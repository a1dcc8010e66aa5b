"""Every setting of the service, in one pydantic-settings class (`MARKET_` prefix).

Nothing else reads the environment. docs/configuration.md lists each field; keep the two in step.
"""
from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from limits import parse_many
from pydantic import BeforeValidator, Field, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict


_DURATION_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}
_DURATION_WITH_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d)", re.IGNORECASE)
_ISO_DURATION = TypeAdapter(timedelta)


def parse_duration(value: Any) -> timedelta:
    """A duration as docs/configuration.md lists them: seconds (`2`, `2.5`), a number and a unit
    (`500ms`, `30s`, `5min`, `1h`, `2d`), ISO 8601 (`PT24H`, `P30D`) or `HH:MM:SS`; never negative."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        duration = timedelta(seconds=value)
    elif isinstance(value, str) and (text := value.strip()):
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            duration = timedelta(seconds=float(text))
        elif match := _DURATION_WITH_UNIT.fullmatch(text):
            duration = timedelta(seconds=float(match[1]) * _DURATION_UNITS[match[2].lower()])
        else:
            try:
                duration = _ISO_DURATION.validate_python(text)
            except ValidationError:
                raise PydanticCustomError("duration", "expected a duration in seconds (e.g. 2 or 2.5)") from None
    else:
        raise PydanticCustomError("duration", "expected a duration in seconds (e.g. 2 or 2.5)")
    if duration < timedelta(0):
        raise PydanticCustomError("duration", "a duration cannot be negative")
    return duration


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def setting_errors(error: ValidationError) -> list[str]:
    """One line per bad setting, naming its environment variable:
    `MARKET_WEBHOOKS_RETRY_FIRST: expected a duration in seconds (e.g. 2 or 2.5), got 'abc'`."""
    lines = []
    for problem in error.errors(include_url=False):
        name = "MARKET_" + "_".join(str(part) for part in problem["loc"]).upper()
        message = problem["msg"].removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        lines.append(f"{name}: {message}, got {problem['input']!r}")
    return lines


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("market", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MARKET_", env_file=None, extra="ignore")

    # Servers. Unset: `market serve` starts an embedded PostgreSQL and Redis under data_dir.
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Field(default_factory=default_data_dir)

    host: str = "127.0.0.1"
    port: int = 8080

    # Keyed hash (HMAC-SHA256) for resident ID numbers and logins, so the database never holds
    # them in clear yet can still find duplicates. Unset: a random key is created once in
    # data_dir/secret.key. Production sets it and keeps it: changing it orphans every stored hash.
    hash_key: SecretStr | None = None

    # GET /metrics is for admins, and for Prometheus when this is set: the scraper sends it as
    # `Authorization: Bearer <token>` (docs/configuration.md). It opens nothing else.
    metrics_token: SecretStr | None = None

    token_ttl: Duration = timedelta(days=30)
    # How long a process may answer for a token from memory instead of PostgreSQL (0: never).
    # Signing out evicts the token in the process that served it at once; another process of the
    # service may accept it for at most this long (market/accounts/service.py, TokenCache).
    token_cache_ttl: Duration = timedelta(seconds=5)
    idempotency_ttl: Duration = timedelta(hours=24)
    # An idempotent request still marked running after this long is taken to have died with its
    # process, and a retry may run it again.
    idempotency_lock_timeout: Duration = timedelta(seconds=60)

    # Request limits (docs/limits.md). Bodies beyond max_body_bytes are a 413; a query string beyond
    # max_query_bytes is a 414; a body not received within body_read_timeout is a 408 and the
    # connection is closed (slow-client protection); an idle keep-alive connection is closed after
    # keepalive_timeout, which must stay above a reverse proxy's upstream keep-alive timeout.
    max_body_bytes: int = Field(1 << 20, gt=0)
    max_query_bytes: int = Field(2048, gt=0)
    body_read_timeout: Duration = timedelta(seconds=20)
    keepalive_timeout: Duration = timedelta(seconds=75)
    page_limit_default: int = 50
    page_limit_max: int = 200

    # Rate limits (docs/limits.md), in the notation of the `limits` library: "5/minute;20/hour"
    # means both must hold. An empty string turns that limit off. Counts live in Redis, so they
    # hold across every process of the service; rate_limit_storage_url names another Redis for
    # them (unset: redis_url).
    rate_limit_sign_in_per_login: str = "5/minute;20/hour"
    rate_limit_sign_in_per_ip: str = "30/minute;300/hour"
    rate_limit_registration_per_ip: str = "10/minute;100/hour"
    rate_limit_writes_per_account: str = "120/minute"
    rate_limit_writes_per_ip: str = "600/minute"
    rate_limit_storage_url: str | None = None
    # How many reverse proxies in front of the service append to X-Forwarded-For. 0 (no proxy):
    # the header is ignored, since any client can send it; the client is the peer address.
    trusted_proxy_count: int = Field(0, ge=0)

    db_pool_min: int = 2
    db_pool_max: int = 20

    log_level: str = "INFO"
    log_json: bool = True

    display_timezone: str = "Asia/Shanghai"

    # Allocation (docs/allocation.md). `market serve` runs one allocator loop too unless this is false.
    allocator_in_serve: bool = True
    # How often an idle allocator looks for queued runs, due bid deadlines, expired offers, auto orders.
    allocator_poll_interval: Duration = timedelta(seconds=2)
    allocator_auto_sweep_interval: Duration = timedelta(seconds=60)
    # A running run not finished within this lease is taken to have died with its allocator.
    allocator_run_lease: Duration = timedelta(minutes=5)
    # Where the solver runs off the event loop: "process" (a process pool) or "thread".
    allocator_solve_in: Literal["process", "thread"] = "process"
    allocator_time_limit_seconds: float = 10.0

    # Settlement (docs/settlement.md): timesheets, escrow, payouts, arrears.
    # A submitted timesheet the employer leaves unanswered this long is approved automatically.
    timesheet_auto_approve_after: Duration = timedelta(hours=24)
    # A no-show may be recorded only this long after the shift start, and only without a check-in.
    no_show_grace: Duration = timedelta(minutes=20)
    # Check-in opens this long before the shift start.
    check_in_opens_before: Duration = timedelta(hours=1)
    # How often serve runs auto-approval, pending settlements and the arrears check.
    settlement_sweep_interval: Duration = timedelta(minutes=5)
    # Test-only: a pause after each payee of a payout run (to kill a run mid-batch in a test).
    payout_delay_per_payee_seconds: float = Field(0.0, ge=0)

    # Faster pay (docs/faster-pay.md): scheduled payout runs at these Beijing times, each slot run
    # once (one batch per slot) however many serve processes there are; () = runs by hand only.
    payout_schedule: tuple[time, ...] = (time(10, 0), time(16, 0))
    # Whether `market serve` runs the schedule (tests run slots themselves).
    payouts_in_serve: bool = True
    # How often serve looks for a schedule slot not yet run.
    payout_schedule_check_interval: Duration = timedelta(minutes=1)
    # The fee for a daily (日结) payout, in fen, per payout paid before its due date; 0 = no fee. Never
    # more than the early pay holds above the minimum wage for its minutes.
    daily_payout_fee_fen: int = Field(0, ge=0, le=100_000)
    # Invoices (docs/invoices.md): the seller printed on invoice requests (the platform's operator).
    invoice_seller_name: str = "重庆零工市场平台运营方（示例）"
    invoice_seller_credit_code: str = Field("91500000MA00000000", pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")

    # Live events (docs/events.md): open SSE streams share one reader of Redis Streams per process
    # (the stream hub). False: each open stream does its own blocking read, as before the hub.
    events_stream_hub: bool = True
    # `market serve`: freeze what start-up allocated out of the garbage collector's sight, so a
    # full collection walks only what requests made (market/serving.py). False: Python's default.
    gc_freeze: bool = True

    # Webhooks (docs/webhooks.md). Deliveries to loopback addresses (http://127.0.0.1…) are refused
    # unless this is true: tests and local development only.
    webhooks_allow_loopback: bool = False
    # How often the delivery worker in serve looks for new events and due retries.
    webhooks_poll_interval: Duration = timedelta(seconds=1)
    # Retries back off exponentially from the first delay, capped, until this long after the event.
    webhooks_retry_first: Duration = timedelta(seconds=30)
    webhooks_retry_cap: Duration = timedelta(hours=1)
    webhooks_retry_for: Duration = timedelta(hours=24)
    # One delivery attempt's time limit (connect + response).
    webhooks_timeout: Duration = timedelta(seconds=10)
    webhooks_in_serve: bool = True

    # Uploads: certificates and case evidence (market/uploads.py, docs/certificates.md). A file
    # beyond upload_max_bytes is a 413; an image beyond upload_max_pixels a 422 (a decompression
    # bomb). Files are kept by content hash under uploads_dir (unset: data_dir/uploads).
    upload_max_bytes: int = Field(10 << 20, gt=0)
    upload_max_pixels: int = Field(40_000_000, gt=0)
    uploads_dir: Path | None = None
    # How often each serve process looks for certificate expiry reminders due (30 and 7 days
    # before; each sent once whichever process finds it first, docs/certificates.md).
    certificate_reminder_interval: Duration = timedelta(hours=1)

    @property
    def uploads_path(self) -> Path:
        return self.uploads_dir if self.uploads_dir is not None else self.data_dir / "uploads"

    # Written agreements (market/contracts, docs/agreements.md). Each assignment's agreement is made
    # pending with the assignment and rendered by a background renderer in serve (every interval,
    # or at once when a party opens it first), in a process of its own ("process") or a thread.
    agreements_render_in_serve: bool = True
    agreements_render_interval: Duration = timedelta(seconds=2)
    agreements_render_in: Literal["process", "thread"] = "process"
    # The niceness of the render process (0–19): on cores the server and PostgreSQL need for
    # requests, rendering gets what they leave (docs/benchmarks.md, "Accept with and without
    # written agreements"). The thread renderer shares the server's process and is not niced.
    agreements_render_nice: int = Field(10, ge=0, le=19)
    # Where the law asks for a written agreement (incomplete_labor, labor_service, shared_labor), the
    # worker checks in only once every party has signed. False: signing is offered, never required
    # (for test suites of other features written before agreements; docs/agreements.md).
    check_in_needs_signed_agreement: bool = True

    # Cases, ratings and colours (market/cases, market/reputation, docs/cases.md).
    # How often serve escalates cases whose answer or reply deadline passed (market/cases/wiring.py).
    cases_sweep_interval: Duration = timedelta(minutes=5)
    # How often serve recomputes the 红蓝黑 colours of organisations from their records (market/reputation).
    colours_sweep_interval: Duration = timedelta(minutes=10)
    # Favourites and private pools (market/favourites, docs/favourites.md).
    # How often serve announces orders whose favourites-first window ended (shift.opened to everyone else).
    pool_sweep_interval: Duration = timedelta(seconds=30)
    # An agency's own pool sees the orders the agency posts for its clients first, for this many
    # minutes when the posting asks for no private_pool window (docs/agencies.md).
    agency_pool_minutes: int = Field(default=60, ge=1, le=10080)

    # Standby seats (market/standby, docs/standby.md). A replacement offer to a standby worker runs
    # this long (or the order's own offer clock, if shorter); a standby worker may withdraw until
    # this long before the shift starts; serve's sweep offers vacated seats (no-shows, lapsed
    # standby offers) and pays the standby workers not called, this often.
    standby_offer_expiry: Duration = timedelta(minutes=15)
    standby_withdraw_cutoff: Duration = timedelta(hours=2)
    standby_sweep_interval: Duration = timedelta(minutes=1)
    # On a shift with a standby worker on call, a seat whose worker has not checked in this long
    # after the start is recorded a no-show by the platform (the sweep) and offered to the standby.
    # Without anyone on call nothing is automatic: the employer may tolerate lateness.
    standby_check_in_grace: Duration = timedelta(minutes=15)

    # Recurring orders (market/recurring, docs/recurring-orders.md): how many days ahead a series'
    # occurrences become orders (the rolling window), and how often serve sweeps the window.
    recurring_window_days: int = Field(14, ge=1, le=90)
    recurring_sweep_interval: Duration = timedelta(minutes=15)

    # Agencies (market/organisations, market/agency_fees, docs/agencies.md).
    # How often serve posts the service fees of settled agency placements.
    agency_fee_interval: Duration = timedelta(minutes=5)

    # Filings: the sealed resident ID and the exports (market/sealing.py, market/filings, docs/filings.md).
    # The keys that seal the full resident ID (AES-GCM), "kid1:base64key,kid2:base64key": the first
    # seals, all open; rotate by putting a new key first, then `market admin reseal-ids`. Unset: a
    # random key is created once in data_dir/sealing.key. Production sets it and keeps every key
    # that still seals a row: losing a key loses the IDs sealed under it.
    sealing_keys: SecretStr | None = None
    # The platform enterprise's name as the social insurance agency knows it: the 平台名称 column of
    # the monthly 职业伤害保障 report (docs/filings.md).
    platform_name: str = Field("market", min_length=1, max_length=200)

    # Notifications (market/notifications, docs/notifications.md). The fan-in reads the outbox and
    # the sweeps (offer expiring, shift tomorrow, check-in reminder, paid); the delivery worker sends
    # due notifications. Both run in every serve unless notifications_in_serve is false (then
    # `market notifications` runs them).
    notifications_in_serve: bool = True
    notifications_poll_interval: Duration = timedelta(seconds=2)
    notifications_sweep_interval: Duration = timedelta(minutes=1)
    # Channels a kind goes to when a person has not chosen any for it.
    notifications_default_channels: tuple[Literal["log", "sms", "wechat", "web_push"], ...] = ("log", "web_push")
    # Reminders: before an offer lapses, before a shift starts; the evening before a shift (Beijing time).
    notifications_offer_expiring_before: Duration = timedelta(minutes=30)
    notifications_checkin_before: Duration = timedelta(minutes=30)
    notifications_shift_tomorrow_at: str = Field("18:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # At most this many notifications per person per channel per hour; the rest wait their turn.
    notifications_per_hour: int = Field(10, ge=1, le=1000)
    # Retries back off from the first delay, capped, until this long after the notification was made.
    notifications_retry_first: Duration = timedelta(seconds=30)
    notifications_retry_cap: Duration = timedelta(minutes=30)
    notifications_retry_for: Duration = timedelta(hours=24)
    notifications_timeout: Duration = timedelta(seconds=10)
    # SMS through Aliyun SMS SendSms (dysmsapi); unset key: the sms channel is off.
    notifications_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    notifications_sms_access_key_id: str | None = None
    notifications_sms_access_key_secret: SecretStr | None = None
    notifications_sms_sign_name: str = "market"
    notifications_sms_template_code: str = "SMS_000000000"
    # WeChat subscription messages (subscribeMessage.send); unset app id: the wechat channel is off.
    notifications_wechat_base_url: str = "https://api.weixin.qq.com"
    notifications_wechat_app_id: str | None = None
    notifications_wechat_app_secret: SecretStr | None = None
    notifications_wechat_template_id: str = ""
    notifications_wechat_page: str = "pages/notifications/index"
    # Web Push (VAPID): the private key (base64url raw P-256 scalar or PEM). Unset: a development key
    # is made once in data_dir/vapid.key. The subject is the contact push services may use.
    notifications_vapid_private_key: SecretStr | None = None
    notifications_vapid_subject: str = "mailto:ops@market.example.cn"
    notifications_web_push_ttl: int = Field(3600, ge=0, le=2419200)
    # Plain http:// push endpoints (a local push service): tests and local development only.
    notifications_web_push_allow_http: bool = False

    @field_validator("sealing_keys")
    @classmethod
    def _sealing_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from market.sealing import Keyring

            Keyring.parse(value.get_secret_value())  # a bad key fails at start-up, not at the first sign-up
        return value

    @field_validator("rate_limit_sign_in_per_login", "rate_limit_sign_in_per_ip", "rate_limit_registration_per_ip",
                     "rate_limit_writes_per_account", "rate_limit_writes_per_ip")
    @classmethod
    def _rate_limit_notation(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # a typo fails at start-up, not on the first request
        return value.strip()
