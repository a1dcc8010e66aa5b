"""The test session's plugins; nothing heavy is imported here.

tests/tiers.py marks each test `unit` (pure: no PostgreSQL, no Redis, no app served) or
`integration` (it needs real servers) from the fixtures it asks for, and holds unit tests to it;
tests/server_fixtures.py holds the PostgreSQL, Redis and app fixtures, importing the stack only
when a test asks for them; tests/browser.py the real-browser fixtures (Playwright driving Debian's
Chromium). `pytest -m unit` runs the unit tier alone, with no server anywhere.
"""

pytest_plugins = ["pytester", "tests.tiers", "tests.server_fixtures", "tests.browser"]
