"""A client written against the original system's contract and nothing else: it connects to
`/ws/inquiries?clientId=test` without a sub-protocol and parses every binary frame as one
`Inquiry` of inquiry.proto (fields 1-11), compiled here with protoc, not tradefast's schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet
from picows import WSFrame, WSListener, WSMsgType, WSTransport

PROTO = Path(__file__).with_name("inquiry.proto")
# The original's enum values (inquiry.proto).
SELL = 1
DONE, NOT_DONE = 2, 3


def inquiry_class(scratch: Path) -> type[Message]:
    """The Inquiry of inquiry.proto, compiled by protoc into a descriptor set in `scratch`."""
    descriptors = scratch / "inquiry.pb"
    protoc = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO.parent}"]
    subprocess.run(
        [*protoc, f"--descriptor_set_out={descriptors}", PROTO.name], check=True, timeout=60
    )
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes()).file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("original.Inquiry"))


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
