"""Fault tests: processes killed with SIGKILL, Redis stopped, PostgreSQL restarted, accept races.

All run against real servers. Those that stop a server start a private one of their own (see
servers.py), so the session's shared PostgreSQL and Redis are never disturbed. Bounded so the
directory runs in about a minute on two cores; MARKET_FAULTS_LONG=1 runs the issue's full outages.
"""
from __future__ import annotations

import os
import random

import pytest
from argon2 import PasswordHasher


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: fault-injection tests (kill -9, server outages, races)")


@pytest.fixture
def rng(request) -> random.Random:
    """The random source of a test's fault points: MARKET_FAULTS_SEED replays a failed run."""
    seed = int(os.environ.get("MARKET_FAULTS_SEED") or random.SystemRandom().randrange(2**32))
    request.node.user_properties.append(("faults_seed", seed))
    print(f"fault seed: MARKET_FAULTS_SEED={seed}")
    return random.Random(seed)


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    """Hundreds of parties are registered through the API here; the production argon2 cost (tens
    of ms per hash, twice per party) is not what these tests are about."""
    monkeypatch.setattr("market.accounts.service.PASSWORD_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
def checks_event_payloads() -> bool:
    """These tests drive the event pipeline with made-up kinds and payloads (tests/conftest.py)."""
    return False
