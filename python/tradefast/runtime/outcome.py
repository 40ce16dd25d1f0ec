"""What a batch handler returns: the messages to publish and the inputs it rejected."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    """Messages for one output `topic` (`keys[i]`, `values[i]`, in order) and the (index in the
    batch, reason) of every input message that goes to the dead-letter topic instead."""

    topic: str
    keys: list[bytes] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)
