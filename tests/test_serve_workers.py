"""`market serve --workers N`: N server processes share one port and stop cleanly on SIGTERM."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import psutil
import pytest

pytestmark = pytest.mark.slow

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 40.0
CONNECTIONS = 16


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_until_ready(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited with {process.returncode}"
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("serve did not become ready")


def server_processes(parent_pid: int) -> list[psutil.Process]:
    return [child for child in psutil.Process(parent_pid).children()
            if any("spawn_main" in part for part in child.cmdline())]


def connections(process: psutil.Process, port: int, status: str) -> int:
    return sum(1 for c in process.net_connections(kind="tcp")
               if c.laddr and c.laddr.port == port and c.status == status)


async def wait_until_listening(parent_pid: int, workers: int, port: int) -> list[psutil.Process]:
    """The server processes, once each has its own listening socket on the port (readiness is
    answered by whichever started first)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        servers = server_processes(parent_pid)
        if len(servers) == workers and all(connections(s, port, psutil.CONN_LISTEN) for s in servers):
            return servers
        await asyncio.sleep(0.2)
    raise AssertionError("the server processes did not all listen")


async def test_two_server_processes_share_the_port_and_stop_on_sigterm(database, redis_url, redis_client, tmp_path):
    port = free_port()
    env = {**os.environ, "MARKET_DATABASE_URL": database, "MARKET_REDIS_URL": redis_url,
           "MARKET_DATA_DIR": str(tmp_path), "MARKET_HASH_KEY": "test-hash-key", "MARKET_LOG_JSON": "false",
           "MARKET_ALLOCATOR_SOLVE_IN": "thread"}
    process = subprocess.Popen([sys.executable, "-m", "market", "serve", "--workers", "2", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_ready(base, process)
        servers = await wait_until_listening(process.pid, 2, port)

        # Separate keep-alive connections: the kernel spreads them over the processes (SO_REUSEPORT),
        # and each stays open in the process that answered on it.
        sessions = [aiohttp.ClientSession() for _ in range(CONNECTIONS)]
        try:
            for session in sessions:
                async with session.get(f"{base}/readyz") as response:
                    assert response.status == 200
            answered = {server.pid: connections(server, port, psutil.CONN_ESTABLISHED) for server in servers}
        finally:
            await asyncio.gather(*(session.close() for session in sessions))
        assert sum(answered.values()) == CONNECTIONS
        assert all(count > 0 for count in answered.values()), answered

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=STOP_TIMEOUT_SECONDS)
        assert process.returncode == 0, output.decode(errors="replace")[-3000:]
        assert not any(server.is_running() and server.status() != psutil.STATUS_ZOMBIE for server in servers)
        assert b"Traceback" not in output, output.decode(errors="replace")[-3000:]
        # Each process froze its start-up heap (market/serving.py, MARKET_GC_FREEZE).
        assert output.count(b"start-up objects frozen out of the garbage collector") == 2, output.decode()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
