"""The auto trader's decision policies: `--policy NAME` picks one; each decides a whole batch with
core `decide` calls, so the per-message work stays in the core.

A policy takes the batch's encoded POSITION_ENRICHED inquiries and the decision stamp and returns
Decisions (keys, decided values, errors, indexes of the DONEs) exactly like `Core.decide`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tradefast.core_types import Decisions
from tradefast.proto.tradefast_pb2 import Inquiry

# At run time only for annotations: the settings import POLICIES, and the core imports them.
if TYPE_CHECKING:
    from tradefast.core import Core

Policy = Callable[[list[bytes], int], Decisions]

POLICIES = ("seeded", "even-ids")


def seeded(core: Core, seed: int, done_fraction: float, position_limit: int | None) -> Policy:
    """DONE for a seeded, reproducible fraction of inquiry ids (the default, as the original)."""

    def decide(values: list[bytes], decided_ns: int) -> Decisions:
        return core.decide(values, seed, done_fraction, position_limit, decided_ns)

    return decide


def even_ids(core: Core, position_limit: int | None) -> Policy:
    """DONE exactly for even inquiry ids, NOT_DONE for odd ones: the original integration test's
    scenario. The core decides the batch twice, everything DONE and everything declined (the
    position limit applies to both), and each inquiry takes the answer its id's parity picks."""

    def decide(values: list[bytes], decided_ns: int) -> Decisions:
        keys, done, errors, accepted = core.decide(values, 0, 1.0, position_limit, decided_ns)
        _, declined, _, _ = core.decide(values, 0, 0.0, position_limit, decided_ns)
        # DONE-all decides DONE unless the limit declines; an even id then keeps that answer.
        even = {i for i in accepted if Inquiry.FromString(done[i]).inquiry_id % 2 == 0}
        chosen = [done[i] if i in even else no for i, no in enumerate(declined)]
        return Decisions(keys, chosen, errors, sorted(even))

    return decide


def build(
    name: str, core: Core, seed: int, done_fraction: float, position_limit: int | None
) -> Policy:
    if name == "even-ids":
        return even_ids(core, position_limit)
    if name == "seeded":
        return seeded(core, seed, done_fraction, position_limit)
    raise ValueError(f"unknown policy {name!r}: use one of {', '.join(POLICIES)}")
