"""The original system's integration test, end to end through the original format: clients that
know only the original contract (no sub-protocol, one Inquiry of fields 1-11 per frame), one in
Python and one in Java, watch tradefast's pipeline run the original scenario (`--scenario
original`, `--policy even-ids`) and make the original test's checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from original_client import (
    DONE,
    NOT_DONE,
    JavaSeen,
    OriginalContractClient,
    inquiry_class,
    java_client,
    original_checks,
    parse_java_line,
)
from picows import ws_connect
from tradefast.config import Settings
from tradefast.integration.pipeline import Pipeline

WAIT = 120.0
# The original scenario is 20 inquiries on one key; each goes NEW, POSITION_ENRICHED, final.
COUNT = 20
STATES = 3
# tradefast's additions the stages stamp on every inquiry: created_ns, enriched_ns, decided_ns,
# sequence, new_offset. A reader of the original schema must skip them.
ADDED_FIELDS = {12, 13, 14, 16, 18}


def test_original_scenario_through_the_original_format(settings: Settings, tmp_path: Path) -> None:
    inquiry = inquiry_class(tmp_path)
    pipeline = Pipeline(settings, tmp_path / "logs", trader_args=("--policy", "even-ids"))
    url = settings.gateway_url + "?clientId=test"
    try:
        pipeline.start()
        # The Java client names the host it connects to as Origin, as Vert.x's client does.
        java_url = url.replace("127.0.0.1", "localhost")
        java = java_client(java_url, f"http://localhost:{settings.gateway_port}", tmp_path, COUNT)
        try:
            assert java.stdout is not None
            first = java.stdout.readline().strip()
            assert first == "connected", first + java.stdout.read()
            client = asyncio.run(_watch(pipeline, inquiry, url))
            java_lines = java.communicate(timeout=WAIT)[0].splitlines()
        finally:
            if java.poll() is None:
                java.kill()
                java.wait()
    finally:
        pipeline.stop()

    assert client.undecodable == 0 and client.text_frames == 0
    assert client.frames == COUNT * STATES, "every state of every inquiry, each its own frame"
    _check_like_the_original(client.inquiries)
    assert client.skipped_fields >= ADDED_FIELDS

    assert java.returncode == 0, java_lines
    seen = [parse_java_line(line) for line in java_lines]
    java_inquiries = [i for i in seen if i is not None]
    assert len(java_inquiries) == len(java_lines), f"lines other than inquiries: {java_lines}"
    _check_like_the_original(java_inquiries)
    java_skipped: set[int] = set().union(*(i.unknown_fields for i in java_inquiries))
    assert java_skipped >= ADDED_FIELDS


def _check_like_the_original(inquiries: Sequence[Any | JavaSeen]) -> None:
    finals = [i for i in inquiries if i.status in (DONE, NOT_DONE)]
    assert original_checks(finals) == []
    assert [i.status for i in finals] == [DONE if i % 2 == 0 else NOT_DONE for i in range(1, 21)]
    # Each inquiry's states in order: NEW (status 0, version 1), POSITION_ENRICHED, decision.
    for inquiry_id in range(1, COUNT + 1):
        states = [(i.status, i.version) for i in inquiries if i.inquiry_id == inquiry_id]
        assert states[:2] == [(0, 1), (1, 2)] and len(states) == STATES, (inquiry_id, states)


async def _watch(pipeline: Pipeline, inquiry: type, url: str) -> OriginalContractClient:
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
