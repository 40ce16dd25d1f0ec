"""The original scenario's scripted inquiries and the even-ids trader policy, on both cores."""

from __future__ import annotations

import pytest
from tradefast import core
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.services.policies import build
from tradefast.services.scenarios import OriginalScenario


def test_original_scenario_is_twenty_inquiries_on_one_key_sell_then_buy() -> None:
    scenario = OriginalScenario(start_id=1)
    made = [scenario.make(created_ns=1000 + i) for i in range(OriginalScenario.COUNT)]
    inquiries = [Inquiry.FromString(value) for _key, value in made]
    assert {key for key, _value in made} == {b"BOOK1|AAPL"}
    assert [i.inquiry_id for i in inquiries] == list(range(1, 21))
    assert [i.side for i in inquiries] == [Side.SELL] * 10 + [Side.BUY] * 10
    assert {(i.quantity, i.price, i.status, i.version) for i in inquiries} == {
        (10, 10_000, Status.NEW, 1)
    }
    with pytest.raises(IndexError):
        scenario.make(created_ns=0)


@pytest.mark.parametrize("core_name", ["rust", "reference"])
def test_even_ids_policy_is_done_exactly_for_even_ids(core_name: str) -> None:
    enriched = [
        Inquiry(
            inquiry_id=i,
            book_id="BOOK1",
            instrument_id="AAPL",
            quantity=10,
            price=10_000,
            status=Status.POSITION_ENRICHED,
            version=2,
        ).SerializeToString()
        for i in range(1, 11)
    ]
    decide = build("even-ids", core.load(core_name), 0, 0.1, None)
    keys, values, errors, done = decide([*enriched, b"\xff"], 123)
    decided = [Inquiry.FromString(v) for v in values]
    assert errors and errors[0][0] == 10
    assert keys == [b"BOOK1|AAPL"] * 10
    assert [i.status for i in decided] == [Status.NOT_DONE, Status.DONE] * 5
    assert done == [1, 3, 5, 7, 9]
    assert {(i.version, i.decided_ns) for i in decided} == {(3, 123)}


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        build("coin-flip", core.load("reference"), 0, 0.1, None)
