"""Every `market` command run beside a running `market serve` on the same data directory (the
embedded default) leaves serve's PostgreSQL and Redis running: the README tells operators to do
exactly that (`market admin create-supervisor`). market/embedded.py says who stops the servers."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from tests import factories
from tests.events.support import EventStreamReader
from tests.test_schema import free_port

# Some fifteen commands in turn, the demo among them: well past the suite's 180 s default on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.own_servers, pytest.mark.timeout(600)]

COMMAND_TIMEOUT_SECONDS = 120.0


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh machine (a root shell, a container: no XDG_RUNTIME_DIR either):
    no MARKET_ setting but the data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_") and k != "XDG_RUNTIME_DIR"}
    return {**env, "MARKET_DATA_DIR": str(data_dir), "MARKET_ALLOCATOR_SOLVE_IN": "thread"}


async def market(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "market", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_SECONDS)
    return process.returncode, out.decode(), err.decode()


async def market_until_signalled(env: dict[str, str], args: tuple[str, ...], ready_line: str, signum: int) -> int:
    """A long-running command (relay, allocator): started, left running until it logs `ready_line`
    (it has attached to the servers and works), then signalled as an operator would stop it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "market", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    seen = []
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
            while ready_line not in (line := (await process.stderr.readline()).decode()):
                assert line, f"`market {' '.join(args)}` ended early: {''.join(seen)[-2000:]}"
                seen.append(line)
        process.send_signal(signum)
        await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode


async def readiness(session: aiohttp.ClientSession) -> tuple[int, dict]:
    async with session.get("/readyz") as response:
        return response.status, await response.json()


async def start_serve(env: dict[str, str], port: int, logs: Path) -> asyncio.subprocess.Process:
    # Output to files, not pipes: nothing reads serve's log while the test runs, and a full pipe would block it.
    with open(logs / "serve.out", "wb") as out, open(logs / "serve.err", "wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "market", "serve", "--port", str(port), env=env, stdout=out, stderr=err)
    deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        while time.monotonic() < deadline:
            assert process.returncode is None, (logs / "serve.err").read_text()[-3000:]
            try:
                if (await readiness(session))[0] == 200:
                    return process
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("serve did not become ready")


async def test_every_command_run_beside_serve_leaves_its_servers_running_and_its_streams_delivering(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    env = embedded_env(data_dir)
    serve = await start_serve(env, port, tmp_path)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            employer = await factories.employer(session, escrow_fen=0)
            auth = {"Authorization": f"Bearer {employer.token}"}
            async with session.post("/v1/employers/me/deposits", headers=auth,
                                    json={"amount_fen": 500_000, "bank_reference": "T-beside-serve"}) as response:
                assert response.status == 201, await response.text()
                deposit_id = (await response.json())["id"]
            async with session.get("/v1/employers/me/events", headers=auth,
                                   timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as stream:
                assert stream.status == 200
                events = EventStreamReader(stream)

                async def still_ready(after: str) -> None:
                    status, body = await readiness(session)
                    assert status == 200, f"after `market {after}`: {body}"

                one_shot = [
                    (("db", "upgrade"), 0),
                    (("admin", "create-supervisor", "--name", "区监管员", "--districts", "500103"), 0),
                    (("admin", "create-admin", "--name", "平台管理员"), 0),
                    (("timesheets", "auto-approve"), 0),
                    (("payouts", "run"), 0),
                    (("payouts", "confirm", str(uuid.uuid4())), 2),  # no such batch: an error, and nothing else
                    (("arrears", "check"), 0),
                    (("ledger", "check"), 0),
                    (("demo", "--scale", "0.01"), 0),  # its own database, on serve's PostgreSQL
                    # A second serve on the taken port fails, says why, and leaves the first one be.
                    (("serve", "--port", str(port)), 1),
                ]
                for args, expected in one_shot:
                    status, out, err = await market(env, *args)
                    assert status == expected, f"`market {' '.join(args)}` exited {status}: {err[-2000:]}"
                    assert "Traceback" not in err, err[-3000:]
                    if args[0] == "admin":  # a token's expiry is told in Beijing time, to the second
                        assert re.search(r"expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\):", out), out
                    if args[0] == "serve":
                        assert f"market: cannot listen on 127.0.0.1:{port}: Address already in use" in err, err
                    await still_ready(" ".join(args))

                for args, signum in ((("relay",), signal.SIGTERM), (("allocator",), signal.SIGINT)):
                    await market_until_signalled(env, args, "embedded servers ready", signum)
                    await still_ready(args[0])

                # Last, a command whose work serve's stream carries: the deposit confirmed beside it
                # reaches the employer's open stream through serve's relay and Redis.
                status, out, err = await market(env, "admin", "confirm-deposit", deposit_id)
                assert status == 0, err[-2000:]
                await still_ready("admin confirm-deposit")
                frame = await events.next_event(timeout=30)
                assert frame.event == "deposit.confirmed"
                assert json.loads(frame.data)["deposit_id"] == deposit_id
    finally:
        serve.send_signal(signal.SIGTERM)
        await asyncio.wait_for(serve.wait(), COMMAND_TIMEOUT_SECONDS)
    assert serve.returncode == 0, (tmp_path / "serve.err").read_text()[-3000:]
    # One plain line for people on stdout; every line of the log JSON, and no warning a user cannot act on.
    [line] = (tmp_path / "serve.out").read_text().splitlines()
    assert line == (f"market listening on http://127.0.0.1:{port} (PostgreSQL: embedded at {data_dir / 'postgres'}, "
                    f"Redis: embedded at {data_dir / 'redis' / 'redis.socket'})")
    log = (tmp_path / "serve.err").read_text().splitlines()
    assert [json.loads(entry)["level"] for entry in log]
    assert "XDG_RUNTIME_DIR" not in "".join(log)
    # serve, the last process to use them, stopped them.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "redis.pid").exists()


async def test_two_commands_started_at_once_on_a_fresh_directory_share_one_pair_of_servers(tmp_path):
    data_dir = tmp_path / "data"
    env = embedded_env(data_dir)
    results = await asyncio.gather(*(market(env, "admin", "create-admin", "--name", f"管理员{n}") for n in range(2)))
    for status, _out, err in results:
        assert status == 0, err[-3000:]
    started = [json.loads(line) for _, _, err in results for line in err.splitlines()
               if '"embedded servers ready"' in line]
    # One of them started each server, the other waited on the start lock and attached.
    assert sorted(entry["postgres"] for entry in started) == ["attached", "started"]
    assert sorted(entry["redis"] for entry in started) == ["attached", "started"]
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "redis.pid").exists()


async def test_servers_left_by_a_serve_killed_with_minus_9_are_attached_to_then_stopped_by_the_last_user(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    env = embedded_env(data_dir)
    serve = await start_serve(env, port, tmp_path)
    serve.kill()  # no clean-up: its servers run on, its pid and lock files are left as they were
    await serve.wait()
    assert (data_dir / "postgres" / "postmaster.pid").exists() and (data_dir / "redis" / "redis.pid").exists()

    status, _, err = await market(env, "db", "upgrade")
    assert status == 0, err[-3000:]
    [ready] = [json.loads(line) for line in err.splitlines() if '"embedded servers ready"' in line]
    assert (ready["postgres"], ready["redis"]) == ("attached", "attached")
    # The killed serve held no lock any more (the kernel let go of it), so this was the last user.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "redis.pid").exists()

    serve = await start_serve(env, port, tmp_path)  # and the next serve starts afresh
    serve.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(serve.wait(), COMMAND_TIMEOUT_SECONDS) == 0
