"""The original system's integration test, end to end through the original format: a client that
knows only the original contract (no sub-protocol, one Inquiry of fields 1-11 per frame) watches
tradefast's pipeline run the original scenario (`--scenario original`, `--policy even-ids`) and
makes the original test's checks."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from original_client import DONE, NOT_DONE, OriginalContractClient, inquiry_class, original_checks
from picows import ws_connect
from tradefast.config import Settings
from tradefast.integration.pipeline import Pipeline

WAIT = 120.0
# The original scenario is 20 inquiries on one key; each goes NEW, POSITION_ENRICHED, final.
COUNT = 20
STATES = 3


def test_original_scenario_through_the_original_format(settings: Settings, tmp_path: Path) -> None:
    inquiry = inquiry_class(tmp_path)
    pipeline = Pipeline(settings, tmp_path / "logs", trader_args=("--policy", "even-ids"))
    try:
        pipeline.start()
        client = asyncio.run(_watch(pipeline, inquiry))
    finally:
        pipeline.stop()

    assert client.undecodable == 0 and client.text_frames == 0
    assert client.frames == COUNT * STATES, "every state of every inquiry, each its own frame"
    finals = client.finals()
    assert original_checks(finals) == []
    assert [i.status for i in finals] == [DONE if i % 2 == 0 else NOT_DONE for i in range(1, 21)]
    # Each inquiry's states in order: NEW, POSITION_ENRICHED, then its decision.
    for inquiry_id in range(1, COUNT + 1):
        states = [(i.status, i.version) for i in client.inquiries if i.inquiry_id == inquiry_id]
        assert [s for s, _ in states][:2] == [0, 1] and [v for _, v in states] == [1, 2, 3]
    # What it parsed carried tradefast's additions, which its schema does not know.
    assert {12, 13, 14, 16, 18} <= client.skipped_fields


async def _watch(pipeline: Pipeline, inquiry: type) -> OriginalContractClient:
    url = pipeline.settings.gateway_url + "?clientId=test"
    transport, client = await ws_connect(lambda: OriginalContractClient(inquiry), url)
    assert isinstance(client, OriginalContractClient)
    try:
        generator = pipeline.generator(["--scenario", "original", "--rate", "1", "--start-id", "1"])
        deadline = time.monotonic() + WAIT
        while len(client.finals()) < COUNT or generator.poll() is None:
            assert not pipeline.exited(), pipeline.exited()
            assert not client.closed, "the gateway closed the connection"
            assert time.monotonic() < deadline, f"{len(client.finals())} of {COUNT} finals came"
            await asyncio.sleep(0.1)
        assert generator.returncode == 0
        # Anything more (a duplicate, a stray frame) would have come by now.
        await asyncio.sleep(1.0)
    finally:
        transport.disconnect()
    return client
