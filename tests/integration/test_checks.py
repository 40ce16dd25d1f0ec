"""The integration checks find what they are meant to find: lost, conflicting, reordered final
updates and wrong positions, each with a message that says what differed."""

from __future__ import annotations

from tradefast.integration import checks
from tradefast.integration.scenarios import original_expectations
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status


def final(
    inquiry_id: int,
    status: Status.ValueType = Status.NOT_DONE,
    book: str = "BOOK1",
    side: Side.ValueType = Side.BUY,
    position: int = 0,
    sequence: int = 0,
) -> Inquiry:
    return Inquiry(
        inquiry_id=inquiry_id,
        book_id=book,
        instrument_id="AAPL",
        quantity=10,
        price=10_000,
        side=side,
        status=status,
        version=3,
        position=position,
        position_quantity=position // 10_000,
        sequence=sequence,
    )


def test_lost_and_unexpected_ids_are_named() -> None:
    problems = checks.missing_finals([final(1), final(3)], range(1, 3))
    assert problems == [
        "1 of 2 inquiries never reached a final state at the client, e.g. ids [2]",
        "1 final updates for ids never sent, e.g. [3]",
    ]


def test_a_final_state_shown_twice_must_not_change() -> None:
    assert checks.conflicting_finals([final(1), final(1)]) == []
    (problem,) = checks.conflicting_finals([final(1), final(1, status=Status.DONE)])
    assert "id 1: NOT_DONE v3" in problem and "then DONE v3" in problem


def test_per_key_order_is_checked_per_key_only() -> None:
    assert checks.out_of_order([final(2, book="A"), final(1, book="B"), final(3, book="A")]) == []
    (problem,) = checks.out_of_order([final(2), final(1)])
    assert "BOOK1|AAPL: id 1 arrived after id 2" in problem


def test_enriched_positions_must_be_prefix_sums_of_dones() -> None:
    done = final(1, status=Status.DONE)
    good = final(2, position=100_000, sequence=1)
    assert checks.enriched_positions_are_prefix_sums([done, good]) == []
    (problem,) = checks.enriched_positions_are_prefix_sums([done, final(2, sequence=1)])
    assert "id 2: enriched position 0 cents" in problem


def test_positions_are_recomputed_from_dones_and_compared() -> None:
    finals = [
        final(1, status=Status.DONE, side=Side.SELL),
        final(2, status=Status.DONE),
        final(3, status=Status.DONE),
        final(3, status=Status.DONE),  # shown twice, counted once
    ]
    expected = checks.done_totals(finals)
    assert expected == {"BOOK1|AAPL": (100_000, 10, 3)}
    assert checks.positions_differ(expected, expected, "Redis") == []
    (problem,) = checks.positions_differ(expected, {"BOOK1|AAPL": (0, 0, 0)}, "Redis")
    assert "BOOK1|AAPL: Redis has (0, 0, 0), recomputed (100000, 10, 3)" in problem


def test_the_original_expectations_catch_a_wrong_decision_and_order() -> None:
    sells_then_buys = [Side.SELL] * 10 + [Side.BUY] * 10
    finals = []
    position = 0
    for inquiry_id, side in enumerate(sells_then_buys, start=1):
        done = inquiry_id % 2 == 0
        finals.append(
            final(
                inquiry_id, Status.DONE if done else Status.NOT_DONE, side=side, position=position
            )
        )
        if done:
            position += (-1 if side == Side.SELL else 1) * 100_000
    assert original_expectations(finals) == []
    finals[2].status = Status.DONE
    finals[3], finals[4] = finals[4], finals[3]
    problems = original_expectations(finals)
    assert problems[0].startswith("final updates arrived in the order [1, 2, 3, 5, 4")
    assert "id 3 is DONE, expected NOT_DONE" in problems
