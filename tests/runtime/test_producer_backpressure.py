"""A full local queue (no broker answers) never blocks the event loop, is logged and counted, and
a stop requested meanwhile ends the wait instead of hanging the service."""

from __future__ import annotations

import asyncio

import pytest
from tradefast.infra.netcheck import free_port
from tradefast.runtime.producer import QUEUE_FULL, BatchProducer, SendInterrupted
from tradefast.runtime.shutdown import Shutdown


def test_a_full_queue_waits_off_the_loop_and_a_stop_interrupts_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> tuple[int, float]:
        shutdown = Shutdown()
        # Nothing listens there: messages stay queued, and five fill the queue.
        config = {
            "bootstrap.servers": f"127.0.0.1:{free_port()}",
            "queue.buffering.max.messages": 5,
            "message.timeout.ms": 600_000,
            "log_level": 0,
        }
        producer = BatchProducer(config, shutdown)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        counting = asyncio.create_task(ticker())
        before = QUEUE_FULL._value.get()
        sending = asyncio.create_task(producer.send_many("t", [b"k"] * 20, [b"v"] * 20))
        await asyncio.sleep(1.0)
        assert not sending.done(), "the queue is full: the send waits"
        waited = QUEUE_FULL._value.get() - before
        shutdown.request("test")
        with pytest.raises(SendInterrupted):
            await asyncio.wait_for(sending, 30)
        counting.cancel()
        producer.close(timeout=0)
        return ticks, waited

    ticks, waited = asyncio.run(scenario())
    # Blocking the loop for the wait, as a plain poll() would, leaves the ticker at 0.
    assert ticks >= 10, f"the event loop ran only {ticks} ticks while the send waited"
    assert waited >= 1
    assert "the local queue is full" in caplog.text
