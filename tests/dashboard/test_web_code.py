"""The dashboard's JavaScript under Node: its decoder reads what the core frames (generated from
the same proto/tradefast.proto), and its model's unit tests (`npm test`) pass."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tradefast.core import load
from tradefast.proto.tradefast_pb2 import Inquiry, Position, Side, Status

WEB = Path(__file__).resolve().parents[2] / "web"


def _node_decode(frame: bytes) -> dict[str, Any]:
    assert (WEB / "node_modules").is_dir(), "web/node_modules is missing: run `make web`"
    done = subprocess.run(
        ["node", "tools/decode-frame.mjs", frame.hex()],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    decoded: dict[str, Any] = json.loads(done.stdout)
    return decoded


@pytest.mark.parametrize("core", ["rust", "reference"])
def test_the_page_decodes_what_the_gateway_frames(core: str) -> None:
    inquiry = Inquiry(
        inquiry_id=1_795_541_374_555_014,
        book_id="BOOK2",
        instrument_id="TSLA",
        quantity=4900,
        price=9999,
        side=Side.SELL,
        status=Status.NOT_DONE,
        version=3,
        position=-123_456_789,
        created_ns=1_795_541_374_555_014_123,
        decided_ns=1_795_541_374_565_014_999,
        reject_reason="position limit",
    )
    position = Position(
        book_id="BOOK2", instrument_id="TSLA", notional=-987_654_321, quantity=-4900, sequence=12
    )
    frame = load(core).frame(
        [inquiry.SerializeToString(), Inquiry(inquiry_id=2, version=1).SerializeToString()],
        [position.SerializeToString()],
        True,
    )
    decoded = _node_decode(frame)

    assert decoded["snapshot"] is True
    first, second = decoded["inquiries"]
    assert first == {
        "inquiryId": 1_795_541_374_555_014,
        "bookId": "BOOK2",
        "instrumentId": "TSLA",
        "quantity": 4900,
        "price": 9999,
        "side": Side.SELL,
        "status": Status.NOT_DONE,
        "version": 3,
        "position": -123_456_789,
        # Nanosecond stamps are JavaScript numbers in the page: exact to well under a microsecond.
        "createdNs": pytest.approx(inquiry.created_ns, abs=1000),
        "decidedNs": pytest.approx(inquiry.decided_ns, abs=1000),
        "rejectReason": "position limit",
    }
    assert second["inquiryId"] == 2 and second["status"] == Status.NEW
    assert decoded["positions"] == [
        {
            "bookId": "BOOK2",
            "instrumentId": "TSLA",
            "notional": -987_654_321,
            "quantity": -4900,
            "sequence": 12,
        }
    ]


def test_dashboard_unit_tests_pass() -> None:
    done = subprocess.run(
        ["npm", "test"], cwd=WEB, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "# fail 0" in done.stdout
