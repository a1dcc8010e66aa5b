"""The service's log lines: JSON, and no library chatter at INFO (market/logs.py)."""
import json
import logging

from market import logs


def test_rendering_an_agreement_logs_no_font_subsetting_lines_at_info(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("INFO")
        logging.getLogger("fontTools.subset").info("glyf pruned")
        logging.getLogger("market.contracts").info("agreement rendered")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("fontTools").setLevel(logging.NOTSET)
    assert [(line["logger"], line["message"]) for line in lines] == [("market.contracts", "agreement rendered")]
