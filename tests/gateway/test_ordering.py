"""Each inquiry's states in version order for the original format, without a network: a state
that overtook its predecessor waits for it, at most its patience; replays are left out."""

from __future__ import annotations

from tradefast.gateway.ordering import StateOrder


def offered(order: StateOrder, now: float, *states: tuple[int, int]) -> list[bytes]:
    out: list[bytes] = []
    for inquiry_id, version in states:
        order.offer(inquiry_id, version, f"{inquiry_id}v{version}".encode(), now, out)
    return out


def test_states_in_order_go_on_at_once_and_replays_are_left_out() -> None:
    order = StateOrder(capacity=100, patience=1.0)
    assert offered(order, 0.0, (1, 1), (2, 1), (1, 2), (1, 3), (1, 2), (2, 1)) == [
        b"1v1",
        b"2v1",
        b"1v2",
        b"1v3",
    ]
    # A producer that sets no version: its first state is version 0.
    assert offered(order, 0.0, (3, 0), (3, 1)) == [b"3v0", b"3v1"]
    assert order.next_deadline() is None


def test_a_state_that_overtook_its_predecessor_waits_for_it() -> None:
    order = StateOrder(capacity=100, patience=1.0)
    assert offered(order, 0.0, (1, 2), (2, 1), (1, 3)) == [b"2v1"]
    assert order.next_deadline() == 1.0
    assert offered(order, 0.5, (1, 1)) == [b"1v1", b"1v2", b"1v3"]
    assert order.next_deadline() is None
    # A gap left after the predecessor came: the rest keeps waiting.
    assert offered(order, 0.6, (5, 1), (5, 3), (5, 4)) == [b"5v1"]
    assert offered(order, 0.7, (5, 2)) == [b"5v2", b"5v3", b"5v4"]


def test_after_its_patience_a_state_goes_on_alone() -> None:
    order = StateOrder(capacity=100, patience=1.0)
    assert offered(order, 0.0, (1, 3), (1, 2)) == []
    assert offered(order, 0.5, (2, 2)) == []
    out: list[bytes] = []
    order.expire(0.99, out)
    assert out == []
    order.expire(1.0, out)
    assert out == [b"1v2", b"1v3"]
    assert order.next_deadline() == 1.5
    # The predecessor came too late: it would go back in time.
    assert offered(order, 1.2, (1, 1)) == []
    order.expire(2.0, out)
    assert out == [b"1v2", b"1v3", b"2v2"]


def test_a_second_wait_keeps_its_own_deadline() -> None:
    order = StateOrder(capacity=100, patience=1.0)
    assert offered(order, 0.0, (1, 2)) == []
    assert offered(order, 0.1, (1, 1)) == [b"1v1", b"1v2"]
    assert offered(order, 0.8, (1, 4)) == []
    out: list[bytes] = []
    order.expire(1.0, out)
    assert out == [], "the first wait's deadline is not the second's"
    assert order.next_deadline() == 1.8


def test_known_inquiries_and_capacity() -> None:
    # Seen before the first original client connected: their next states need not wait.
    order = StateOrder(capacity=2, patience=1.0, known=[(1, 1), (2, 2)])
    assert offered(order, 0.0, (1, 2), (2, 3)) == [b"1v2", b"2v3"]
    # Remembering a third inquiry forgets the oldest: its next state waits for a predecessor.
    assert offered(order, 0.0, (3, 1), (1, 3)) == [b"3v1"]
    assert order.next_deadline() == 1.0
