"""When a service commits: what it has handled, what the broker has acknowledged, and when.

Offsets are committed only for batches whose outputs the broker has acknowledged: the handled
offsets are committed right after everything published so far is seen acknowledged, so they
cover acknowledged outputs only. At most one commit per `interval`: at low rates a commit per
batch made the broker's commit requests its largest load, and a crash replays at most that much
more input, which the services absorb. At high rates the producer always has something in
flight, so outputs are never all seen acknowledged between batches: once a commit is due the
service waits for them (`must_settle`, then `settled`), at most once per interval. On revoke, every
output is settled and the revoked partitions' offsets are committed synchronously before they go;
on close, everything handled, if every output was delivered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from confluent_kafka import Message

log = logging.getLogger(__name__)

Offsets = dict[tuple[str, int], int]
"""The next offset to read, per (topic, partition)."""


class Committer(Protocol):
    def commit(self, offsets: Mapping[tuple[str, int], int], asynchronous: bool) -> None: ...


class Acknowledger(Protocol):
    def acknowledged(self) -> bool:
        """Whether everything published so far is acknowledged, without waiting; raises when a
        delivery failed."""
        ...

    def flush_blocking(self) -> None:
        """Wait until everything published is acknowledged; raises when a delivery failed."""
        ...


class Checkpoint:
    def __init__(
        self,
        committer: Committer,
        acknowledger: Acknowledger,
        interval: float,
        on_commit: Callable[[Offsets], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._committer = committer
        self._acknowledger = acknowledger
        self._interval = interval
        self._on_commit = on_commit
        self._clock = clock
        self._handled: Offsets = {}
        self._pending = False  # handled offsets not committed yet
        self._last_commit = float("-inf")

    def handled(self, batch: Iterable[Message]) -> None:
        """`batch` is handled and its outputs are published (not yet acknowledged)."""
        for message in batch:
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            if topic is not None and partition is not None and offset is not None:
                self._handled[(topic, partition)] = offset + 1
        self._pending = True

    @property
    def must_settle(self) -> bool:
        """True when a commit is due but outputs are still unacknowledged (ask after `poll`):
        the service then waits for them, so offsets are committed at high rates too."""
        return self._commit_due

    @property
    def _commit_due(self) -> bool:
        return self._pending and self._clock() - self._last_commit >= self._interval

    def poll(self) -> None:
        """Commit if everything published is acknowledged (asked without waiting) and a commit
        is due. Raises what the acknowledger raises: then nothing is committed."""
        if self._pending and self._acknowledger.acknowledged():
            self.settled()

    def settled(self) -> None:
        """Everything published so far is acknowledged: commit if a commit is due."""
        if self._commit_due:
            offsets = dict(self._handled)
            self._committer.commit(offsets, asynchronous=True)
            self._pending = False
            self._last_commit = self._clock()
            if self._on_commit is not None:
                self._on_commit(offsets)

    def revoke(self, partitions: set[tuple[str, int]]) -> None:
        """The partitions go to another member: settle, commit theirs, forget them. Raises if an
        output failed; then nothing is committed and the service stops to replay."""
        self._acknowledger.flush_blocking()
        offsets = {tp: offset for tp, offset in self._handled.items() if tp in partitions}
        if offsets:
            try:
                self._committer.commit(offsets, asynchronous=False)
            except Exception as exc:  # the new owner replays; the fences absorb it
                log.warning("commit on revoke failed: %s", exc)
        for tp in partitions:
            self._handled.pop(tp, None)

    def close(self, delivered: bool) -> None:
        """Commit everything handled, synchronously, if every output was `delivered`."""
        if not delivered or not self._handled:
            return
        try:
            self._committer.commit(dict(self._handled), asynchronous=False)
        except Exception as exc:  # closing goes on: the next owner replays from there
            log.warning("final commit failed (%s): the next owner replays from there", exc)
