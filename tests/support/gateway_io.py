"""Test-side helpers for the gateway: run it as a subprocess, connect picows clients that record
every frame, speak raw WebSocket over a plain socket, and publish crafted inquiries."""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from confluent_kafka import Producer
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect
from tradefast.config import Settings
from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.infra.kafka_config import producer_config
from tradefast.infra.netcheck import free_port
from tradefast.proto.tradefast_pb2 import Inquiry, InquiryBatch, Status

# Waits are bounded so a broken gateway fails the test instead of hanging it.
WAIT = 60.0


@dataclass(frozen=True)
class Gateway:
    url: str
    health_url: str
    metrics_url: str
    log: Path

    def metric(self, name: str) -> float:
        """The value of one unlabelled sample from /metrics (0 when absent)."""
        with urllib.request.urlopen(self.metrics_url, timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0


def process_env(settings_env: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env.update(settings_env)
    env.update(extra)
    return env


def start_service(
    name: str, settings_env: Mapping[str, str], log_dir: Path, *args: str, **extra: str
) -> tuple[subprocess.Popen[bytes], dict[str, str], Path]:
    """`tradefast service NAME ARGS` as a subprocess with its own metrics port; (process, its
    environment, its log file)."""
    metrics = {f"TRADEFAST_{name.upper()}_METRICS_PORT": str(free_port())}
    env = process_env(settings_env, {**metrics, **extra})
    log = log_dir / f"{name}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tradefast", "service", name, *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, env, log


@contextmanager
def running_gateway(
    settings: Settings, settings_env: Mapping[str, str], log_dir: Path, **extra: str
) -> Iterator[Gateway]:
    """`tradefast service gateway` as a subprocess, ready (consuming from the end) on entry."""
    process, env, log = start_service("gateway", settings_env, log_dir, **extra)
    try:
        host, port = env["TRADEFAST_GATEWAY_HOST"], env["TRADEFAST_GATEWAY_PORT"]
        gateway = Gateway(
            url=f"ws://{host}:{port}/ws/inquiries",
            health_url=f"http://{host}:{port}/healthz",
            metrics_url=f"http://127.0.0.1:{env['TRADEFAST_GATEWAY_METRICS_PORT']}/metrics",
            log=log,
        )
        wait_ready(gateway.health_url, process, log)
        yield gateway
    finally:
        stop(process)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `url` answers 200 (the service's health or page), failing if the process exits."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{log.name}: exited: {log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{log.name}: not ready: {log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class Recorder(WSListener):
    """A picows client listener that decodes and keeps every frame."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[InquiryBatch] = []
        # The highest version seen of each inquiry id.
        self.versions: dict[int, int] = {}
        self.close_code: WSCloseCode | None = None
        self.disconnected = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.BINARY:
            batch = InquiryBatch.FromString(frame.get_payload_as_bytes())
            self.batches.append(batch)
            for inquiry in batch.inquiries:
                if self.versions.get(inquiry.inquiry_id, 0) < inquiry.version:
                    self.versions[inquiry.inquiry_id] = inquiry.version
        elif frame.msg_type == WSMsgType.CLOSE:
            self.close_code = frame.get_close_code()
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.disconnected.set()

    def inquiries(self) -> list[Inquiry]:
        return [i for batch in self.batches for i in batch.inquiries]

    async def wait_for(self, ids: set[int], version: int = 1, wait: float = WAIT) -> None:
        deadline = time.monotonic() + wait
        while True:
            missing = sum(1 for i in ids if self.versions.get(i, 0) < version)
            if not missing:
                return
            assert time.monotonic() < deadline, f"{missing} of {len(ids)} never arrived"
            assert not self.disconnected.is_set(), f"disconnected ({self.close_code})"
            await asyncio.sleep(0.05)


async def connect(
    url: str, protocol: str | None = BATCH_PROTOCOL, **headers: str
) -> tuple[WSTransport, Recorder]:
    """A client of the batched format (or of the format `protocol` asks for)."""
    if protocol is not None:
        headers["Sec-WebSocket-Protocol"] = protocol
    transport, listener = await ws_connect(Recorder, url, extra_headers=headers or None)
    assert isinstance(listener, Recorder)
    return transport, listener


class OriginalRecorder(WSListener):
    """A client of the original format: each binary frame must be one Inquiry."""

    def __init__(self) -> None:
        super().__init__()
        self.inquiries: list[Inquiry] = []
        self.close_code: WSCloseCode | None = None
        self.disconnected = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.BINARY:
            self.inquiries.append(Inquiry.FromString(frame.get_payload_as_bytes()))
        elif frame.msg_type == WSMsgType.CLOSE:
            self.close_code = frame.get_close_code()
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.disconnected.set()

    def updates(self) -> list[tuple[int, int]]:
        """(inquiry id, version) of every frame, in arrival order."""
        return [(i.inquiry_id, i.version) for i in self.inquiries]

    async def wait_for_count(self, count: int, wait: float = WAIT) -> None:
        deadline = time.monotonic() + wait
        while len(self.inquiries) < count:
            assert time.monotonic() < deadline, f"{len(self.inquiries)} of {count} frames came"
            assert not self.disconnected.is_set(), f"disconnected ({self.close_code})"
            await asyncio.sleep(0.02)


async def connect_original(url: str, **headers: str) -> tuple[WSTransport, OriginalRecorder]:
    """A client that asks for no sub-protocol, as the original's clients do."""
    transport, listener = await ws_connect(OriginalRecorder, url, extra_headers=headers or None)
    assert isinstance(listener, OriginalRecorder)
    return transport, listener


def upgrade_status(url: str, **headers: str) -> int:
    """The HTTP status of a WebSocket upgrade request to `url`."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "GET",
            path,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version": "13",
                **headers,
            },
        )
        return connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        raise AssertionError(f"no HTTP answer from {url}: {exc}") from exc
    finally:
        connection.close()


def raw_handshake(
    url: str, receive_buffer: int | None = None, protocol: str | None = BATCH_PROTOCOL
) -> socket.socket:
    """A WebSocket opened over a plain socket, for clients picows would not let us be; of the
    batched format unless `protocol` says otherwise (None: the original format)."""
    rest = url.removeprefix("ws://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(WAIT)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    offer = f"Sec-WebSocket-Protocol: {protocol}\r\n" if protocol is not None else ""
    sock.sendall(
        (
            f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{offer}\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def read_close_code(sock: socket.socket) -> int | None:
    """Read frames until a close frame (its code) or the end of the stream (None)."""
    buffer = b""
    while True:
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                break
            payload, buffer = buffer[start : start + length], buffer[start + length :]
            if opcode == 0x8:
                return int.from_bytes(payload[:2], "big")
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buffer += chunk


def masked_frame(opcode: int, payload: bytes, first_byte: int | None = None) -> bytes:
    """A client frame (clients must mask); `first_byte` overrides FIN/RSV/opcode."""
    mask = os.urandom(4)
    head = bytes([first_byte if first_byte is not None else 0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 65536:
        head += bytes([0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + size.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def new_inquiry(
    inquiry_id: int, version: int = 1, status: int = Status.NEW, **fields: object
) -> Inquiry:
    values: dict[str, object] = {
        "inquiry_id": inquiry_id,
        "book_id": "BOOK1",
        "instrument_id": "AAPL",
        "quantity": 100,
        "price": 250,
        "counterparty": "cpt1",
        "status": status,
        "version": version,
        "created_ns": time.time_ns(),
    }
    values.update(fields)
    return Inquiry(**values)  # type: ignore[arg-type]


# Limits small enough for a test to make a client too slow, and a flood of inquiries large enough
# to fill the kernel's socket buffers and then those limits.
SLOW_CLIENT_LIMITS = {
    "TRADEFAST_GATEWAY_CLIENT_BUFFER": "262144",
    "TRADEFAST_GATEWAY_CLIENT_BACKLOG": "2000",
}
FLOOD = range(1, 30_001)


async def publish_flood(settings: Settings) -> None:
    padding = "p" * 400
    for start in range(FLOOD.start, FLOOD.stop, 5000):
        await publish_async(
            settings,
            settings.topics.new,
            [new_inquiry(i, counterparty=padding) for i in range(start, start + 5000)],
        )


def assert_dropped_as_slow(gateway: Gateway, stuck: socket.socket) -> None:
    """The gateway closed `stuck` (and no other client) for being too slow: with 1013, or it
    cut the connection when the close frame could not be written either."""
    assert gateway.metric("tradefast_gateway_slow_disconnects_total") == 1
    stuck.settimeout(30)
    assert read_close_code(stuck) in (None, WSCloseCode.TRY_AGAIN_LATER.value)
    stuck.close()


async def publish_async(settings: Settings, topic: str, inquiries: list[Inquiry]) -> None:
    """`publish` in a thread, so the test's own clients keep reading meanwhile."""
    await asyncio.to_thread(publish, settings, topic, inquiries)


def publish(settings: Settings, topic: str, inquiries: list[Inquiry]) -> None:
    producer = Producer(producer_config(settings))
    for inquiry in inquiries:
        key = f"{inquiry.book_id}|{inquiry.instrument_id}".encode()
        producer.produce(topic, inquiry.SerializeToString(), key)
        producer.poll(0)
    assert producer.flush(WAIT) == 0
