"""The gateway's two formats on one path, as a process on a real broker and Redis: a client that
asks for no sub-protocol gets the original system's feed (every state, one Inquiry per frame, no
snapshot), one that asks for tradefast's gets snapshot and batches; same-origin clients such as
the original's Java client are accepted; a never-reading client of the original format is closed
with 1013 while another receives every update."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis
from gateway_io import (
    FLOOD,
    SLOW_CLIENT_LIMITS,
    assert_dropped_as_slow,
    connect,
    connect_original,
    new_inquiry,
    publish,
    publish_flood,
    raw_handshake,
    running_gateway,
    upgrade_status,
)
from tradefast.config import Settings
from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.proto.tradefast_pb2 import Status

PROTOCOL_HEADER = "Sec-WebSocket-Protocol"


def test_each_client_gets_the_format_it_asks_for(
    settings: Settings, settings_env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    # A position, so that a snapshot would not be empty.
    redis_client.hset("position:{BOOK1}:AAPL", mapping={"notional": 5, "quantity": 1})
    with running_gateway(settings, settings_env, tmp_path) as gateway:

        async def scenario() -> None:
            original_transport, original = await connect_original(gateway.url + "?clientId=test")
            batched_transport, batched = await connect(gateway.url)
            assert PROTOCOL_HEADER not in original_transport.response.headers
            assert batched_transport.response.headers[PROTOCOL_HEADER] == BATCH_PROTOCOL

            # One stage at a time, so the order across topics is known.
            publish(settings, settings.topics.new, [new_inquiry(1), new_inquiry(2)])
            await original.wait_for_count(2)
            enriched = new_inquiry(1, 2, Status.POSITION_ENRICHED, position=-500)
            publish(settings, settings.topics.enriched, [enriched])
            await original.wait_for_count(3)
            publish(settings, settings.topics.decided, [new_inquiry(1, 3, Status.DONE)])
            await original.wait_for_count(4)
            # Not news: a replayed enrichment; then a burst of 200 versions of one inquiry.
            publish(settings, settings.topics.enriched, [enriched])
            burst = [new_inquiry(9, version=v) for v in range(1, 201)]
            publish(settings, settings.topics.decided, burst)
            await original.wait_for_count(204)
            await batched.wait_for({9}, version=200)

            assert original.updates() == [
                *((1, 1), (2, 1), (1, 2), (1, 3)),
                *((9, version) for version in range(1, 201)),
            ], "every state, in order, nothing twice, nothing conflated"
            assert original.inquiries[2].position == -500
            assert original.inquiries[2].status == Status.POSITION_ENRICHED
            assert batched.batches[0].snapshot and len(batched.batches[0].positions) == 1
            versions_of_9 = [i.version for i in batched.inquiries() if i.inquiry_id == 9]
            assert len(versions_of_9) < 200, "the batched format conflates"
            original_transport.disconnect()
            batched_transport.disconnect()

        asyncio.run(scenario())


def test_same_origin_clients_are_accepted_by_default(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with running_gateway(settings, settings_env, tmp_path) as gateway:
        port = settings.gateway_port
        # What the original's Vert.x client sends: the host it connects to.
        assert upgrade_status(gateway.url, Origin=f"http://localhost:{port}") == 101
        assert upgrade_status(gateway.url, Origin=f"http://127.0.0.1:{port}") == 101
        assert upgrade_status(gateway.url, Origin=f"http://localhost:{port + 1}") == 403
        assert upgrade_status(gateway.url, Origin="http://evil.example") == 403

        async def java_like() -> None:
            transport, client = await connect_original(
                gateway.url + "?clientId=test", Origin=f"http://localhost:{port}"
            )
            publish(settings, settings.topics.new, [new_inquiry(1)])
            await client.wait_for_count(1)
            transport.disconnect()

        asyncio.run(java_like())


def test_original_client_that_never_reads_is_dropped(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with running_gateway(settings, settings_env, tmp_path, **SLOW_CLIENT_LIMITS) as gateway:
        stuck = raw_handshake(gateway.url, receive_buffer=4096, protocol=None)

        async def scenario() -> None:
            transport, reader = await connect_original(gateway.url)
            await publish_flood(settings)
            await reader.wait_for_count(len(FLOOD))
            assert reader.updates() == [(i, 1) for i in FLOOD]
            assert reader.close_code is None
            transport.disconnect()

        asyncio.run(scenario())
        assert_dropped_as_slow(gateway, stuck)
