"""What a batch handler returns: the messages to publish and the inputs it rejected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from tradefast.reference.errors import code_of


class Rejection(NamedTuple):
    """An input message that goes to the dead-letter topic instead of being processed."""

    at: int
    """Its index in the batch."""
    code: str
    """The stable code of the reason (the dead letter's `reason.code` header)."""
    reason: str
    """Why, in words (the dead letter's `reason` header)."""


def rejections(errors: list[tuple[int, str]]) -> list[Rejection]:
    """A core's (index, reason) errors as rejections with their codes."""
    return [Rejection(at, code_of(reason), reason) for at, reason in errors]


class Publication(NamedTuple):
    """Messages for one more topic (`keys[i]`, `values[i]`, in order)."""

    topic: str
    keys: list[bytes]
    values: list[bytes]


@dataclass
class Outcome:
    """Messages for one output `topic` (`keys[i]`, `values[i]`, in order), the input messages
    that go to the dead-letter topic instead, and what else the batch publishes elsewhere (`also`:
    sent and acknowledged with the main output, before the batch's offsets are committed)."""

    topic: str
    keys: list[bytes] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    rejects: list[Rejection] = field(default_factory=list)
    also: list[Publication] = field(default_factory=list)
