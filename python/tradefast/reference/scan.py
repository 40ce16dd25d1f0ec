"""What the gateway needs of each message of a batch: its inquiry id and version, and whether
any is DONE (positions may have moved)."""

from collections.abc import Sequence

from google.protobuf.message import DecodeError

from tradefast.core_types import Scan
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference import wire
from tradefast.reference.validation import UINT64_MAX, check_int, check_messages


def scan(messages: Sequence[bytes], max_bytes: int) -> Scan:
    """Values over `max_bytes` or not decodable as an Inquiry under the strict wire rules count
    as bad; no other check is made (the gateway shows what the stages published)."""
    batch = check_messages(messages)
    limit = check_int(max_bytes, "max_bytes", 0, UINT64_MAX)
    result = Scan([], [], [], False, 0)
    done = False
    bad = 0
    inquiry = Inquiry()
    for index, data in enumerate(batch):
        try:
            if len(data) > limit:
                raise wire.Malformed
            wire.check_inquiry(data)
            inquiry.ParseFromString(data)
        except (wire.Malformed, DecodeError):
            bad += 1
            continue
        result.indexes.append(index)
        result.ids.append(inquiry.inquiry_id)
        result.versions.append(inquiry.version)
        done = done or inquiry.status == Status.DONE
    return result._replace(done=done, bad=bad)
