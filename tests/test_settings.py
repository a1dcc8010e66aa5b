"""Settings as docs/configuration.md describes them, and a bad one as one line naming its variable."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from market.cli import main
from market.config import Settings


@pytest.mark.parametrize(("text", "expected"), [
    ("2", timedelta(seconds=2)),
    ("2.5", timedelta(seconds=2.5)),
    ("PT2S", timedelta(seconds=2)),
    ("P30D", timedelta(days=30)),
    ("00:00:02", timedelta(seconds=2)),
    ("500ms", timedelta(milliseconds=500)),
    ("30 s", timedelta(seconds=30)),
    ("5min", timedelta(minutes=5)),
    ("1 h", timedelta(hours=1)),
    ("2d", timedelta(days=2)),
    ("0", timedelta(0)),
])
def test_a_duration_setting_is_read_in_seconds_iso_8601_or_with_a_unit(monkeypatch, text, expected):
    monkeypatch.setenv("MARKET_WEBHOOKS_RETRY_FIRST", text)
    assert Settings().webhooks_retry_first == expected


def test_a_bad_duration_is_one_line_naming_the_variable_and_exit_status_2(monkeypatch, capsys):
    monkeypatch.setenv("MARKET_WEBHOOKS_RETRY_FIRST", "abc")
    assert main(["db", "upgrade"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "market: MARKET_WEBHOOKS_RETRY_FIRST: expected a duration in seconds (e.g. 2 or 2.5), got 'abc'\n"


def test_a_negative_duration_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("MARKET_TOKEN_TTL", "-PT5S")
    assert main(["db", "upgrade"]) == 2
    assert capsys.readouterr().err == "market: MARKET_TOKEN_TTL: a duration cannot be negative, got '-PT5S'\n"


def test_every_bad_setting_is_one_line_of_its_own_and_no_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MARKET_DATA_DIR": str(tmp_path), "MARKET_PORT": "eighty",
           "MARKET_WEBHOOKS_TIMEOUT": "soon", "MARKET_RATE_LIMIT_WRITES_PER_IP": "many/fortnight"}
    result = subprocess.run([sys.executable, "-m", "market", "serve"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert "market: MARKET_PORT: input should be a valid integer, unable to parse string as an integer, got 'eighty'" in lines
    assert "market: MARKET_WEBHOOKS_TIMEOUT: expected a duration in seconds (e.g. 2 or 2.5), got 'soon'" in lines
    assert any(line.startswith("market: MARKET_RATE_LIMIT_WRITES_PER_IP: ") and line.endswith(", got 'many/fortnight'")
               for line in lines), lines
    assert not list(tmp_path.iterdir())  # nothing was started
