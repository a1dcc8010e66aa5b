"""Shared plumbing of the HTTP benchmarks (bench/http.py, bench/feed.py): a scratch database,
parties inserted straight into it, `market serve` as a subprocess, and the figures.

Parties are written with SQL rather than signed up through the API: sign-up and sign-in run
argon2 (tens of milliseconds each, on purpose), and a few thousand of them would take longer
than the benchmark. Tokens are ordinary bearer tokens stored the way `Accounts` stores them.
"""
from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from market.accounts.service import token_hash

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# 渝中区 解放碑: where the benchmark's workers live and its nearby orders are.
CENTRE_LAT, CENTRE_LON = 29.5600, 106.5750
# Rate limits no benchmark reaches; the limiter still runs and still counts in Redis.
GENEROUS_RATE_LIMITS = {
    f"MARKET_RATE_LIMIT_{rule}": "1000000/second"
    for rule in ("SIGN_IN_PER_LOGIN", "SIGN_IN_PER_IP", "REGISTRATION_PER_IP", "WRITES_PER_ACCOUNT", "WRITES_PER_IP")
}

INSERT_EMPLOYER = """
WITH a AS (INSERT INTO accounts (role, login_hash, login_masked, password_hash, display_name)
           VALUES ('employer', $1, 'b***@example.com', 'x', $2) RETURNING id)
INSERT INTO organisations (account_id, name, credit_code, district_code)
SELECT id, $2, $3, '500103' FROM a RETURNING id, account_id
"""
INSERT_WORKER = """
WITH a AS (INSERT INTO accounts (role, login_hash, login_masked, password_hash, display_name)
           VALUES ('worker', $1, '139****0000', 'x', '测试') RETURNING id)
INSERT INTO workers (account_id, name, id_number_hash, id_number_masked, district_code, home_lat, home_lon,
                     max_travel_m)
SELECT id, '测试', $2, '5001**********0000', '500103', $3, $4, $5 FROM a RETURNING id, account_id
"""
INSERT_TOKEN = "INSERT INTO tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)"


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def database_url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


async def create_database(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass(frozen=True)
class Party:
    id: uuid.UUID  # organisation or worker id
    account_id: uuid.UUID
    token: str


def _credit_code(rng: random.Random) -> str:
    from market.demo import identities

    return identities.credit_code(rng)


async def insert_employers(conn: asyncpg.Connection, count: int, rng: random.Random) -> list[Party]:
    parties = []
    for index in range(count):
        row = await conn.fetchrow(INSERT_EMPLOYER, rng.randbytes(32), f"重庆压测企业{index}有限公司",
                                  _credit_code(rng))
        parties.append(Party(row["id"], row["account_id"], await _token(conn, row["account_id"])))
    return parties


async def insert_workers(conn: asyncpg.Connection, count: int, rng: random.Random, *,
                         lat: float = CENTRE_LAT, lon: float = CENTRE_LON, max_travel_m: int = 10_000) -> list[Party]:
    parties = []
    for _ in range(count):
        row = await conn.fetchrow(INSERT_WORKER, rng.randbytes(32), rng.randbytes(32),
                                  lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01), max_travel_m)
        parties.append(Party(row["id"], row["account_id"], await _token(conn, row["account_id"])))
    return parties


async def _token(conn: asyncpg.Connection, account_id: uuid.UUID) -> str:
    token = "mkt_" + secrets.token_urlsafe(32)
    await conn.execute(INSERT_TOKEN, token_hash(token), account_id, datetime.now(timezone.utc) + timedelta(days=1))
    return token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(database: str, redis: str, port: int, workers: int, *, log_file: Path | None = None,
                  extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """`market serve` as in production (JSON access log at INFO, background loops on), limits high."""
    env = {**os.environ, "MARKET_DATABASE_URL": database, "MARKET_REDIS_URL": redis,
           "MARKET_HASH_KEY": "bench-hash-key", **GENEROUS_RATE_LIMITS, **(extra_env or {})}
    command = [sys.executable, "-m", "market", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    if log_file is None:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(log_file, "ab") as output:  # the child holds its own copy of the descriptor
        return subprocess.Popen(command, env=env, stdout=output, stderr=output)


def start_python(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL)


async def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        # With several processes the first answers first; give the rest a moment.
                        await asyncio.sleep(2.0)
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:g} s")


def stop(process: subprocess.Popen, timeout: float = 30.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]
