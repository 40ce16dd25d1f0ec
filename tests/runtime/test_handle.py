"""How the service loop treats a failing handler, without a broker: a passing failure is
retried, a core's CoreError stops the service."""

from __future__ import annotations

import asyncio

import pytest
from confluent_kafka import Message
from tradefast.core_types import CoreError
from tradefast.runtime.metrics import ServiceMetrics
from tradefast.runtime.outcome import Outcome
from tradefast.runtime.service import ServiceSpec, _handle
from tradefast.runtime.shutdown import Shutdown

BATCH = [Message(topic="inquiries.new", partition=0, offset=0, value=b"", timestamp=(0, 0))]


def handle(failures: list[Exception]) -> tuple[Outcome | None, int]:
    """The outcome of a handler that raises `failures` in turn, then succeeds; and its calls."""
    calls = 0

    async def handler(batch: list[Message]) -> Outcome:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return Outcome("out")

    spec = ServiceSpec("test-handle", ("inquiries.new",), handler)
    outcome = asyncio.run(_handle(spec, BATCH, ServiceMetrics("test-handle"), Shutdown()))
    return outcome, calls


def test_a_passing_failure_is_retried() -> None:
    outcome, calls = handle([ConnectionError("redis restarting")])
    assert outcome == Outcome("out") and calls == 2


def test_a_core_error_stops_the_service_at_once() -> None:
    # Retried, the second call would succeed: the raise shows there was none.
    with pytest.raises(CoreError, match="done_fraction"):
        handle([CoreError("done_fraction must be in [0, 1], got 3.0")])
