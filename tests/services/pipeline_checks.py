"""What a correct pipeline run looks like, checked from the topics and Redis."""

from __future__ import annotations

import time
from collections import defaultdict
from itertools import accumulate

import redis
from service_io import WAIT
from tradefast.positions.store import redis_key
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status


def key_of(inquiry: Inquiry) -> str:
    return f"{inquiry.book_id}|{inquiry.instrument_id}"


def signed(inquiry: Inquiry) -> tuple[int, int]:
    sign = -1 if inquiry.side == Side.SELL else 1
    return sign * inquiry.quantity * inquiry.price, sign * inquiry.quantity


def dones_by_key(decided: list[Inquiry]) -> dict[str, list[Inquiry]]:
    """The DONE inquiries of each key, in id order, each once."""
    unique = {i.inquiry_id: i for i in decided if i.status == Status.DONE}
    by_key: dict[str, list[Inquiry]] = defaultdict(list)
    for inquiry_id in sorted(unique):
        by_key[key_of(unique[inquiry_id])].append(unique[inquiry_id])
    return by_key


def wait_for_positions(client: redis.Redis, dones: dict[str, list[Inquiry]]) -> None:
    """Until every key's fence shows its last DONE applied (the position service is behind the
    trader by one hop)."""
    deadline = time.monotonic() + WAIT
    for key, inquiries in dones.items():
        last = str(max(i.new_offset for i in inquiries)).encode()
        while client.hget(redis_key(key), "done_offset") != last:
            assert time.monotonic() < deadline, f"{key}: last DONE {last!r} never applied"
            time.sleep(0.05)


def assert_positions_are_sums_of_dones(
    client: redis.Redis, dones: dict[str, list[Inquiry]]
) -> None:
    stored_keys = {k.decode() for k in client.scan_iter(match="position:*")}
    assert stored_keys == {redis_key(key) for key in dones}
    for key, inquiries in dones.items():
        notional = sum(signed(i)[0] for i in inquiries)
        quantity = sum(signed(i)[1] for i in inquiries)
        stored = client.hmget(redis_key(key), ["notional", "quantity", "sequence", "done_offset"])
        assert stored == [
            str(notional).encode(),
            str(quantity).encode(),
            str(len(inquiries)).encode(),
            str(max(i.new_offset for i in inquiries)).encode(),
        ], key


def assert_enriched_positions_are_prefix_sums(
    enriched: list[Inquiry], dones: dict[str, list[Inquiry]]
) -> None:
    prefix = {
        key: list(accumulate((signed(i) for i in inquiries), _add, initial=(0, 0)))
        for key, inquiries in dones.items()
    }
    for inquiry in enriched:
        sums = prefix.get(key_of(inquiry), [(0, 0)])
        assert inquiry.sequence < len(sums), inquiry
        assert (inquiry.position, inquiry.position_quantity) == sums[inquiry.sequence], inquiry


def _add(total: tuple[int, int], delta: tuple[int, int]) -> tuple[int, int]:
    return total[0] + delta[0], total[1] + delta[1]
