"""Clients written against the original system's contract and nothing else: they connect to
`/ws/inquiries?clientId=test` without a sub-protocol and parse every binary frame as one
`Inquiry` of inquiry.proto (fields 1-11), compiled here with protoc, not tradefast's schema. One
in Python (protobuf), one in Java (protobuf-java, java.net.http, the Origin of the host it
connects to, as the original's Vert.x client sends)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet
from picows import WSFrame, WSListener, WSMsgType, WSTransport
from tradefast.infra.kafka_jars import cache_root

HERE = Path(__file__).resolve().parent
PROTO = HERE / "inquiry.proto"
JAVA_CLIENT = HERE / "OriginalJavaClient.java"
PROTOBUF_JAVA = "com.google.protobuf:protobuf-java:4.36.2"
# The original's enum values (inquiry.proto).
SELL = 1
DONE, NOT_DONE = 2, 3
STATUS_NUMBERS = {"NEW": 0, "POSITION_ENRICHED": 1, "DONE": DONE, "NOT_DONE": NOT_DONE}


def descriptor_set(scratch: Path) -> Path:
    """inquiry.proto compiled by protoc into a descriptor set in `scratch`."""
    descriptors = scratch / "inquiry.pb"
    if not descriptors.exists():
        protoc = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO.parent}"]
        subprocess.run(
            [*protoc, f"--descriptor_set_out={descriptors}", PROTO.name], check=True, timeout=60
        )
    return descriptors


def inquiry_class(scratch: Path) -> type[Message]:
    """The Inquiry of inquiry.proto."""
    pool = descriptor_pool.DescriptorPool()
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set(scratch).read_bytes())
    for file in files.file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("original.Inquiry"))


def protobuf_java() -> Path:
    """The protobuf-java jar, fetched once from Maven Central into tradefast's cache folder."""
    version = PROTOBUF_JAVA.rsplit(":", 1)[1]
    folder = cache_root() / f"protobuf-java-{version}"
    jar = folder / f"protobuf-java-{version}.jar"
    if jar.exists():
        return jar
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="protobuf-java-", dir=folder.parent))
    maven = ["mvn", "--batch-mode", "--quiet", "dependency:copy", f"-Dartifact={PROTOBUF_JAVA}"]
    try:
        subprocess.run([*maven, f"-DoutputDirectory={scratch}"], check=True, timeout=600)
        # Renamed whole, so an interrupted fetch never leaves a jar that later runs would trust.
        try:
            scratch.rename(folder)
        except OSError:
            if not jar.exists():  # else a parallel run fetched it first
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return jar


def java_client(url: str, origin: str, scratch: Path, finals: int) -> subprocess.Popen[str]:
    """OriginalJavaClient.java run from source; its first line is "connected" once it is."""
    argv = ["java", "-Djava.net.preferIPv4Stack=true", "-cp", str(protobuf_java())]
    argv += [str(JAVA_CLIENT), url, origin, str(descriptor_set(scratch)), str(finals)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@dataclass(frozen=True)
class JavaSeen:
    """One Inquiry as the Java client printed it."""

    inquiry_id: int
    version: int
    status: int
    side: int
    quantity: int
    price: int
    position: int
    unknown_fields: frozenset[int]


def parse_java_line(line: str) -> JavaSeen | None:
    """An "inquiry ..." line of the Java client, None for any other line."""
    parts = line.split()
    if not parts or parts[0] != "inquiry":
        return None
    id_, version, status, side, quantity, price, position, unknown = parts[1:]
    return JavaSeen(
        inquiry_id=int(id_),
        version=int(version),
        status=STATUS_NUMBERS[status],
        side=SELL if side == "SELL" else 0,
        quantity=int(quantity),
        price=int(price),
        position=int(position),
        unknown_fields=frozenset() if unknown == "-" else frozenset(map(int, unknown.split(","))),
    )


class OriginalContractClient(WSListener):
    """Every frame parsed as one Inquiry; the final ones (DONE, NOT_DONE) kept in order, as the
    original's integration test keeps them."""

    def __init__(self, inquiry: type[Message]) -> None:
        super().__init__()
        self._inquiry = inquiry
        self.frames = 0
        self.undecodable = 0
        self.text_frames = 0
        self.inquiries: list[Any] = []
        # Field numbers the parser skipped as unknown (tradefast's additions).
        self.skipped_fields: set[int] = set()
        self.closed = False

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()
            return
        if frame.msg_type == WSMsgType.TEXT:
            self.text_frames += 1
            return
        if frame.msg_type != WSMsgType.BINARY:
            return
        self.frames += 1
        try:
            inquiry = self._inquiry.FromString(frame.get_payload_as_bytes())
        except DecodeError:
            self.undecodable += 1
            return
        unknown = UnknownFieldSet(inquiry)
        self.skipped_fields.update(unknown[i].field_number for i in range(len(unknown)))
        self.inquiries.append(inquiry)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True

    def finals(self) -> list[Any]:
        return [i for i in self.inquiries if i.status in (DONE, NOT_DONE)]


def original_checks(finals: list[Any]) -> list[str]:
    """The original integration test's checks on its first 20 final inquiries: consecutive ids,
    and each one's enriched position the sum of the signed notional (quantity * price, negative
    for SELL) of the DONE inquiries before it. The problems found (empty: all good)."""
    problems = []
    if len(finals) < 20:
        return [f"only {len(finals)} final inquiries arrived, expected 20"]
    first = finals[:20]
    ids = [i.inquiry_id for i in first]
    if ids != list(range(ids[0], ids[0] + 20)):
        problems.append(f"final inquiries not consecutive: {ids}")
    position = 0
    for inquiry in first:
        if inquiry.position != position:
            problems.append(
                f"id {inquiry.inquiry_id}: enriched position {inquiry.position}, expected "
                f"{position} (the DONE inquiries before it)"
            )
        if inquiry.status == DONE:
            notional = inquiry.quantity * inquiry.price
            position += -notional if inquiry.side == SELL else notional
    return problems
