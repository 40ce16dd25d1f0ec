"""Choose the hot-path implementation: the Rust extension or the pure-Python reference."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol, cast

from tradefast import config
from tradefast.core_types import Decisions, Enrichment, Position, Recorded, Scan

__all__ = ["MODULES", "Core", "Maker", "Position", "Window", "load"]


class Maker(Protocol):
    def make(self, first_id: int, created_ns: Sequence[int]) -> tuple[list[bytes], list[bytes]]: ...


class Window(Protocol):
    """The gateway's memory of recent inquiries (see `InquiryWindow` in `_core.pyi`)."""

    def offer(
        self,
        values: Sequence[bytes],
        indexes: Sequence[int],
        ids: Sequence[int],
        versions: Sequence[int],
    ) -> int: ...

    def pending_count(self) -> int: ...

    def take_pending(self) -> tuple[list[int], list[int], list[bytes]]: ...

    def snapshot(self) -> list[bytes]: ...

    def versions(self) -> list[tuple[int, int]]: ...

    def __len__(self) -> int: ...


class Core(Protocol):
    """What both `tradefast._core` and `tradefast.reference` provide (see `_core.pyi`)."""

    def enrich(
        self,
        messages: Sequence[bytes],
        keys: Sequence[bytes | None],
        offsets: Sequence[int],
        positions: dict[str, Position],
        recorded: dict[tuple[str, int], Recorded],
        enriched_ns: int,
    ) -> Enrichment: ...

    def decide(
        self,
        messages: Sequence[bytes],
        seed: int,
        done_fraction: float,
        position_limit: int | None,
        decided_ns: int,
    ) -> Decisions: ...

    def scan(self, messages: Sequence[bytes], max_bytes: int) -> Scan: ...

    def InquiryMaker(
        self,
        seed: int,
        books: Sequence[str],
        instruments: Sequence[str],
        counterparties: Sequence[str],
    ) -> Maker: ...

    def InquiryWindow(self, capacity: int) -> Window: ...

    def frame(
        self, inquiries: Sequence[bytes], positions: Sequence[bytes] = (), snapshot: bool = False
    ) -> bytes: ...

    def websocket_frames(self, messages: Sequence[bytes]) -> bytes: ...


MODULES = {"rust": "tradefast._core", "reference": "tradefast.reference"}


def load(name: str | None = None) -> Core:
    """The core named `name`, or by TRADEFAST_CORE (default: rust)."""
    chosen = name or config.load().core
    if chosen not in MODULES:
        raise config.ConfigError(f"unknown core {chosen!r}: use one of {', '.join(MODULES)}")
    try:
        return cast(Core, importlib.import_module(MODULES[chosen]))
    except ImportError as exc:
        raise config.ConfigError(
            f"the {chosen} core is not importable ({exc}); run `make setup` to build it"
        ) from exc
