"""The test tiers (tests/tiers.py): each test is marked unit or integration from its fixtures, and a
unit test that reaches for a PostgreSQL or Redis server fails, naming what it tried."""
from __future__ import annotations

import pytest

CONFTEST = """
import pytest

pytest_plugins = ["tests.tiers"]


@pytest.fixture(scope="session")
def redis_url():
    return "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_client(redis_url):
    return redis_url
"""


@pytest.fixture
def tiered(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    # pytest-playwright wraps each test's call in Playwright's soft-assertion scope, one per process:
    # the in-process run inside this test would nest a second and fail, so it runs without the plugin.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:playwright\n")
    return pytester


def selected(pytester: pytest.Pytester, marker: str) -> set[str]:
    result = pytester.runpytest("--collect-only", "-q", "-m", marker)
    return {line.split("::")[1] for line in result.outlines if "::" in line}


def test_a_test_is_integration_when_its_fixtures_reach_a_server_and_unit_otherwise(tiered):
    tiered.makepyfile(test_mixed="""
        import pytest

        def test_pure(tmp_path): pass

        def test_direct(redis_url): pass

        def test_through_another_fixture(redis_client): pass

        @pytest.mark.own_servers
        def test_starting_its_own(): pass
    """)
    assert selected(tiered, "unit") == {"test_pure"}
    assert selected(tiered, "integration") == {"test_direct", "test_through_another_fixture", "test_starting_its_own"}


@pytest.mark.parametrize("reach", [
    "socket.create_connection(('127.0.0.1', 5432), timeout=1)",
    "socket.socket().connect_ex(('127.0.0.1', 6379))",
    "subprocess.run(['redis-server', '--port', '0'])",
    "subprocess.run(['/usr/lib/postgresql/16/bin/postgres', '-D', '/nowhere'])",
])
def test_a_unit_test_that_reaches_a_server_fails_saying_so(tiered, reach):
    tiered.makepyfile(test_reaching=f"""
        import socket, subprocess

        def test_reaching():
            {reach}
    """)
    result = tiered.runpytest("-m", "unit")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ServerInUnitTest: test_reaching.py::test_reaching is a unit test*"])


def test_a_unit_test_may_use_other_sockets(tiered):
    tiered.makepyfile(test_other="""
        import socket

        def test_other():
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                probe.listen()
                with socket.create_connection(probe.getsockname(), timeout=1):
                    pass
    """)
    tiered.runpytest("-m", "unit").assert_outcomes(passed=1)
