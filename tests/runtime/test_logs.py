"""Service logs: one JSON object per line when asked, with the exception text included."""

from __future__ import annotations

import json
import logging
import sys

from tradefast.runtime.logs import JsonFormatter


def test_json_lines_carry_level_logger_message_and_exception() -> None:
    try:
        raise ValueError("bad batch")
    except ValueError:
        record = logging.LogRecord(
            "tradefast.x", logging.ERROR, __file__, 1, "failed %d", (3,), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "ERROR" and entry["logger"] == "tradefast.x"
    assert entry["message"] == "failed 3"
    assert "ValueError: bad batch" in entry["exception"]
    assert entry["time"].endswith("Z")
