"""The gateway on a real broker and Redis: snapshot, live frames, conflation, refusals, slow
clients. It runs as a subprocess, exactly as `tradefast service gateway` does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis
from gateway_io import (
    FLOOD,
    SLOW_CLIENT_LIMITS,
    assert_dropped_as_slow,
    connect,
    masked_frame,
    new_inquiry,
    publish,
    publish_flood,
    raw_handshake,
    read_close_code,
    running_gateway,
    upgrade_status,
)
from picows import WSCloseCode, WSMsgType
from tradefast.config import Settings
from tradefast.proto.tradefast_pb2 import Position, Status

DASHBOARD_ORIGIN = "http://127.0.0.1:{port}"


def test_snapshot_then_live_frames(
    settings: Settings, settings_env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    redis_client.hset(
        "position:{BOOK2}:MSFT",
        mapping={"notional": -123456, "quantity": -700, "sequence": 3, "done_offset": 9},
    )
    with running_gateway(settings, settings_env, tmp_path) as gateway:

        async def scenario() -> None:
            first, early = await connect(gateway.url)
            await _until(lambda: bool(early.batches))
            snapshot = early.batches[0]
            assert snapshot.snapshot
            assert list(snapshot.inquiries) == []
            assert list(snapshot.positions) == [
                Position(
                    book_id="BOOK2",
                    instrument_id="MSFT",
                    notional=-123456,
                    quantity=-700,
                    sequence=3,
                )
            ]

            publish(settings, settings.topics.new, [new_inquiry(i) for i in range(1, 41)])
            await early.wait_for(set(range(1, 41)))
            live = early.batches[1:]
            assert live and not any(batch.snapshot for batch in live)
            # Several inquiries share a frame: 40 updates never take 40 frames.
            assert len(live) < 40

            second, late = await connect(gateway.url)
            await _until(lambda: bool(late.batches))
            assert late.batches[0].snapshot
            assert {i.inquiry_id for i in late.batches[0].inquiries} == set(range(1, 41))
            first.disconnect()
            second.disconnect()

        asyncio.run(scenario())


def test_highest_version_wins(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with running_gateway(settings, settings_env, tmp_path) as gateway:

        async def scenario() -> None:
            transport, client = await connect(gateway.url)
            decided = new_inquiry(7, version=3, status=Status.DONE)
            publish(settings, settings.topics.decided, [decided])
            await client.wait_for({7}, version=3)
            # Older versions arriving late (another topic, a replay) must not go backwards.
            publish(
                settings, settings.topics.enriched, [new_inquiry(7, 2, Status.POSITION_ENRICHED)]
            )
            publish(settings, settings.topics.new, [new_inquiry(7, 1), new_inquiry(8)])
            await client.wait_for({8})
            # Many versions of one inquiry at once: conflated, the last one wins.
            burst = [new_inquiry(9, version=v) for v in range(1, 201)]
            publish(settings, settings.topics.decided, burst)
            await client.wait_for({9}, version=200)

            versions_of_7 = [i.version for i in client.inquiries() if i.inquiry_id == 7]
            assert versions_of_7 == [3]
            versions_of_9 = [i.version for i in client.inquiries() if i.inquiry_id == 9]
            assert versions_of_9 == sorted(set(versions_of_9))
            assert len(versions_of_9) < 200

            _, late = await connect(gateway.url)
            await _until(lambda: bool(late.batches))
            snapshot = {i.inquiry_id: i.version for i in late.batches[0].inquiries}
            assert snapshot == {7: 3, 8: 1, 9: 200}
            transport.disconnect()

        asyncio.run(scenario())


def test_bad_clients_get_a_defined_answer(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with running_gateway(settings, settings_env, tmp_path) as gateway:

        async def scenario() -> None:
            watcher_transport, watcher = await connect(gateway.url)

            texter_transport, texter = await connect(gateway.url)
            texter_transport.send(WSMsgType.TEXT, b"subscribe AAPL")
            await asyncio.wait_for(texter.disconnected.wait(), 30)
            assert texter.close_code == WSCloseCode.UNSUPPORTED_DATA

            big_transport, big = await connect(gateway.url)
            big_transport.send(WSMsgType.BINARY, b"x" * 100_000)
            await asyncio.wait_for(big.disconnected.wait(), 30)
            assert big.close_code == WSCloseCode.MESSAGE_TOO_BIG

            # The others are still served.
            publish(settings, settings.topics.new, [new_inquiry(1)])
            await watcher.wait_for({1})
            watcher_transport.disconnect()

        asyncio.run(scenario())

        garbage = raw_handshake(gateway.url)
        garbage.sendall(masked_frame(0, b"", first_byte=0x83))  # opcode 3 is reserved
        assert read_close_code(garbage) == WSCloseCode.PROTOCOL_ERROR.value
        garbage.close()

        assert upgrade_status(gateway.url.replace("/ws/inquiries", "/ws/elsewhere")) == 404
        origin = DASHBOARD_ORIGIN.format(port=settings.dashboard_port)
        assert upgrade_status(gateway.url, Origin="http://evil.example") == 403
        assert upgrade_status(gateway.url, Origin=origin) == 101

        async def still_serving() -> None:
            transport, client = await connect(gateway.url)
            publish(settings, settings.topics.new, [new_inquiry(2)])
            await client.wait_for({2})
            transport.disconnect()

        asyncio.run(still_serving())


def test_token_and_origins(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with running_gateway(
        settings,
        settings_env,
        tmp_path,
        TRADEFAST_WS_TOKEN="s3cret",
        TRADEFAST_ALLOWED_ORIGINS="https://desk.example",
    ) as gateway:
        assert upgrade_status(gateway.url) == 401
        assert upgrade_status(gateway.url + "?token=wrong") == 403
        assert upgrade_status(gateway.url + "?token=s3cret") == 101
        assert upgrade_status(gateway.url, Authorization="Bearer s3cret") == 101
        assert upgrade_status(gateway.url, Authorization="Bearer nope") == 403
        assert upgrade_status(gateway.url, **{"Sec-WebSocket-Protocol": "token.s3cret"}) == 101
        assert upgrade_status(gateway.url + "?token=s3cret", Origin="https://desk.example") == 101
        assert upgrade_status(gateway.url + "?token=s3cret", Origin="http://127.0.0.1:8081") == 403

        async def with_token() -> None:
            transport, client = await connect(gateway.url + "?token=s3cret")
            await _until(lambda: bool(client.batches))
            assert client.batches[0].snapshot
            transport.disconnect()

        asyncio.run(with_token())


def test_client_that_never_reads_is_dropped(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with running_gateway(settings, settings_env, tmp_path, **SLOW_CLIENT_LIMITS) as gateway:
        stuck = raw_handshake(gateway.url, receive_buffer=4096)

        async def scenario() -> None:
            transport, reader = await connect(gateway.url)
            await publish_flood(settings)
            await reader.wait_for(set(FLOOD))
            assert reader.close_code is None
            transport.disconnect()

        asyncio.run(scenario())
        assert_dropped_as_slow(gateway, stuck)


async def _until(condition: object, wait: float = 30.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
