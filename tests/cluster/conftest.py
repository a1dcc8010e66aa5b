"""A real three-master Redis Cluster on loopback, for the `cluster` tests.

It needs the `redis-server` and `redis-cli` binaries (Debian's redis-server package; .ci/run
installs it). Without them the tests are skipped and say so, except where MARKET_REQUIRE_CLUSTER=1
(CI sets it): there a missing binary is a failure, so CI cannot pass without running them.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis

MASTERS = 3
START_TIMEOUT_SECONDS = 20.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: runs against a real Redis Cluster started by the test session "
                                       "(needs redis-server; MARKET_REQUIRE_CLUSTER=1 makes its absence a failure)")


def _binary(name: str) -> str | None:
    return shutil.which(name) or next((path for path in (f"/usr/bin/{name}", f"/usr/local/bin/{name}")
                                       if os.access(path, os.X_OK)), None)


def _free_port() -> int:
    """A free port whose cluster-bus port (port + 10000) is free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if condition():
                return
        except (redis.RedisError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis Cluster: timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_cluster_url():
    """`redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`: three masters, no replicas, all slots covered."""
    server, cli = _binary("redis-server"), _binary("redis-cli")
    if server is None or cli is None:
        message = "no redis-server/redis-cli binary: the Redis Cluster tests did not run (apt-get install redis-server)"
        if os.environ.get("MARKET_REQUIRE_CLUSTER") == "1":
            pytest.fail(message + "; MARKET_REQUIRE_CLUSTER=1 requires them", pytrace=False)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="market-test-redis-cluster-"))
    ports: list[int] = []
    processes: list[subprocess.Popen] = []
    try:
        for _ in range(MASTERS):
            port = _free_port()
            node_dir = directory / str(port)
            node_dir.mkdir()
            processes.append(subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", str(node_dir / "nodes.conf"), "--cluster-node-timeout", "2000",
                 "--dir", str(node_dir), "--save", "", "--appendonly", "no", "--protected-mode", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            ports.append(port)
        for port in ports:
            _wait(lambda port=port: redis.Redis(port=port, socket_timeout=1).ping(), f"node {port} to answer")
        subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=START_TIMEOUT_SECONDS)
        for port in ports:
            _wait(lambda port=port: b"cluster_state:ok" in redis.Redis(port=port, socket_timeout=1)
                  .execute_command("CLUSTER", "INFO", NEVER_DECODE=True), f"node {port} to see the cluster ok")
        yield "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in ports)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def checks_event_payloads() -> bool:
    """These tests drive the event pipeline with made-up kinds and payloads (tests/conftest.py)."""
    return False
