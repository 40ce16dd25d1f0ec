"""The auto trader's decision on enriched inquiries: seeded, reproducible, limit-aware."""

import math
from collections.abc import Sequence

from tradefast.core_types import Decisions
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference import errors
from tradefast.reference.validation import (
    UINT64_MAX,
    check_int,
    check_messages,
    decode,
    fits_int64,
    position_key,
    signed_notional,
    status_name,
)

POSITION_LIMIT = "position limit"
DECLINED = "declined"

_MASK64 = 2**64 - 1


def splitmix64(value: int) -> int:
    """The splitmix64 finaliser: a well-mixed u64 from a u64, cheap and identical in Rust."""
    z = (value + 0x9E37_79B9_7F4A_7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & _MASK64
    return z ^ (z >> 31)


def done_threshold(done_fraction: object) -> int:
    """DONE when splitmix64(seed ^ inquiry_id) < this: floor(done_fraction * 2**64), exact in
    floating point (a power-of-two product), so 0 never and 1 always gives DONE."""
    if not isinstance(done_fraction, int | float):
        raise TypeError(f"done_fraction must be a number, not {type(done_fraction).__name__}")
    if not 0 <= done_fraction <= 1 or (
        isinstance(done_fraction, float) and math.isnan(done_fraction)
    ):
        raise errors.CoreError(f"done_fraction must be in [0, 1], got {done_fraction}")
    return int(float(done_fraction) * 2.0**64)


def is_done(seed: int, inquiry_id: int, threshold: int) -> bool:
    return splitmix64(seed ^ inquiry_id) < threshold


def decide(
    messages: Sequence[bytes],
    seed: int,
    done_fraction: float,
    position_limit: int | None,
    decided_ns: int,
) -> Decisions:
    """Answer each POSITION_ENRICHED inquiry DONE or NOT_DONE (see tradefast/_core.pyi)."""
    batch = check_messages(messages)
    checked_seed = check_int(seed, "seed", 0, UINT64_MAX)
    threshold = done_threshold(done_fraction)
    limit = None if position_limit is None else check_int(position_limit, "position_limit")
    if limit is not None and limit < 0:
        raise errors.CoreError(f"position_limit must not be negative, got {limit}")
    stamp = check_int(decided_ns, "decided_ns")
    keys: list[bytes] = []
    values: list[bytes] = []
    rejected: list[tuple[int, str]] = []
    done: list[int] = []
    for index, data in enumerate(batch):
        inquiry = decode(data)
        if isinstance(inquiry, str):
            rejected.append((index, inquiry))
        elif inquiry.status != Status.POSITION_ENRICHED:
            rejected.append((index, errors.unexpected_status(status_name(inquiry))))
        elif not fits_int64(inquiry.version + 1):
            rejected.append((index, errors.VERSION_OVERFLOW))
        else:
            _answer(inquiry, checked_seed, threshold, limit, stamp)
            if inquiry.status == Status.DONE:
                done.append(len(values))
            keys.append(position_key(inquiry).encode())
            values.append(inquiry.SerializeToString())
    return Decisions(keys, values, rejected, done)


def _answer(
    inquiry: Inquiry, seed: int, threshold: int, limit: int | None, decided_ns: int
) -> None:
    """Set the decision in place. The limit applies to the position the trade would leave."""
    if limit is not None and abs(inquiry.position + signed_notional(inquiry)) > limit:
        inquiry.status, inquiry.reject_reason = Status.NOT_DONE, POSITION_LIMIT
    elif is_done(seed, inquiry.inquiry_id, threshold):
        inquiry.status, inquiry.reject_reason = Status.DONE, ""
    else:
        inquiry.status, inquiry.reject_reason = Status.NOT_DONE, DECLINED
    inquiry.version += 1
    inquiry.decided_ns = decided_ns
