"""The commit policy without a broker: plain fakes of the consumer's commits, the producer's
acknowledgements and the clock, through every order of handling, acknowledgement, failure,
revoke and close."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from confluent_kafka import Message
from tradefast.runtime.checkpoint import Checkpoint, Offsets
from tradefast.runtime.producer import DeliveryFailed

INTERVAL = 0.5


class Commits:
    def __init__(self, failing: bool = False) -> None:
        self.made: list[tuple[Offsets, bool]] = []
        self.failing = failing

    def commit(self, offsets: Mapping[tuple[str, int], int], asynchronous: bool) -> None:
        if self.failing:
            raise RuntimeError("the coordinator is gone")
        self.made.append((dict(offsets), asynchronous))


class Acks:
    def __init__(self) -> None:
        self.all_acknowledged = False
        self.failure: str | None = None
        self.flushed = 0

    def acknowledged(self) -> bool:
        if self.failure is not None:
            raise DeliveryFailed(self.failure)
        return self.all_acknowledged

    def flush_blocking(self) -> None:
        if self.failure is not None:
            raise DeliveryFailed(self.failure)
        self.flushed += 1
        self.all_acknowledged = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def messages(topic: str, partition: int, *offsets: int) -> list[Message]:
    return [Message(topic=topic, partition=partition, offset=o, value=b"") for o in offsets]


@pytest.fixture
def parts() -> tuple[Checkpoint, Commits, Acks, Clock, list[Offsets]]:
    commits, acks, clock = Commits(), Acks(), Clock()
    told: list[Offsets] = []
    checkpoint = Checkpoint(commits, acks, INTERVAL, told.append, clock)
    return checkpoint, commits, acks, clock, told


Parts = tuple[Checkpoint, Commits, Acks, Clock, list[Offsets]]


def test_nothing_is_committed_before_the_outputs_are_acknowledged(parts: Parts) -> None:
    checkpoint, commits, acks, _, told = parts
    checkpoint.handled(messages("new", 0, 5, 6))
    checkpoint.poll()
    assert commits.made == []
    acks.all_acknowledged = True
    checkpoint.poll()
    # The next offset to read, asynchronously in the hot loop, and the service is told.
    assert commits.made == [({("new", 0): 7}, True)]
    assert told == [{("new", 0): 7}]


def test_at_most_one_commit_per_interval_and_none_without_news(parts: Parts) -> None:
    checkpoint, commits, acks, clock, _ = parts
    acks.all_acknowledged = True
    checkpoint.handled(messages("new", 0, 1))
    checkpoint.poll()
    checkpoint.handled(messages("new", 0, 2))
    clock.now += INTERVAL / 2
    checkpoint.poll()
    assert len(commits.made) == 1
    clock.now += INTERVAL / 2
    checkpoint.poll()
    checkpoint.poll()
    assert commits.made[1:] == [({("new", 0): 3}, True)]


def test_a_batch_handled_after_the_check_waits_for_its_own_acknowledgement(parts: Parts) -> None:
    checkpoint, commits, acks, clock, _ = parts
    checkpoint.handled(messages("new", 0, 1))
    acks.all_acknowledged = True
    checkpoint.poll()
    checkpoint.handled(messages("new", 1, 9))
    acks.all_acknowledged = False
    clock.now += INTERVAL
    checkpoint.poll()
    assert commits.made == [({("new", 0): 2}, True)]


def test_a_due_commit_with_outputs_in_flight_must_settle_then_commits(parts: Parts) -> None:
    checkpoint, commits, acks, clock, _ = parts
    assert not checkpoint.must_settle  # nothing handled
    acks.all_acknowledged = True
    checkpoint.handled(messages("decided", 2, 0))
    checkpoint.poll()
    assert not checkpoint.must_settle  # acknowledged already: committed
    assert commits.made == [({("decided", 2): 1}, True)]
    acks.all_acknowledged = False
    for offset in range(1, 50):
        checkpoint.handled(messages("decided", 2, offset))
        checkpoint.poll()
        assert not checkpoint.must_settle  # in flight, but no commit due yet
    clock.now += INTERVAL
    checkpoint.poll()
    assert checkpoint.must_settle
    checkpoint.settled()
    assert not checkpoint.must_settle
    assert commits.made[1:] == [({("decided", 2): 50}, True)]


def test_a_failed_delivery_commits_nothing_and_raises(parts: Parts) -> None:
    checkpoint, commits, acks, _, _ = parts
    checkpoint.handled(messages("new", 0, 1))
    acks.failure = "broker gone"
    with pytest.raises(DeliveryFailed):
        checkpoint.poll()
    with pytest.raises(DeliveryFailed):
        checkpoint.revoke({("new", 0)})
    assert commits.made == []


def test_revoke_settles_commits_only_the_revoked_synchronously_and_forgets_them(
    parts: Parts,
) -> None:
    checkpoint, commits, acks, clock, _ = parts
    checkpoint.handled(messages("new", 0, 1) + messages("new", 1, 4) + messages("decided", 0, 7))
    checkpoint.revoke({("new", 1), ("new", 5)})
    assert acks.flushed == 1
    assert commits.made == [({("new", 1): 5}, False)]
    clock.now += INTERVAL
    checkpoint.poll()
    assert commits.made[1:] == [({("new", 0): 2, ("decided", 0): 8}, True)]


def test_a_failed_commit_on_revoke_or_close_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    checkpoint = Checkpoint(Commits(failing=True), Acks(), INTERVAL)
    checkpoint.handled(messages("new", 0, 1))
    checkpoint.revoke({("new", 0)})
    checkpoint.handled(messages("new", 1, 1))
    checkpoint.close(delivered=True)
    assert "commit on revoke failed" in caplog.text
    assert "final commit failed" in caplog.text


def test_close_commits_everything_only_when_delivered(parts: Parts) -> None:
    checkpoint, commits, _, _, _ = parts
    checkpoint.handled(messages("new", 0, 3))
    checkpoint.close(delivered=False)
    assert commits.made == []
    checkpoint.close(delivered=True)
    assert commits.made == [({("new", 0): 4}, False)]


def test_close_with_nothing_handled_commits_nothing(parts: Parts) -> None:
    checkpoint, commits, _, _, _ = parts
    checkpoint.close(delivered=True)
    assert commits.made == []
