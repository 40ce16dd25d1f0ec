"""Scripted inquiry sequences for the generator (`--scenario NAME`), for checks whose expected
outcome is known in advance. Random inquiries are `generator.InquiryFactory`."""

from __future__ import annotations

from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status

SCENARIOS = ("random", "original")


class OriginalScenario:
    """The original proof of concept's integration test: 20 inquiries on one key (BOOK1, AAPL),
    quantity 10, price 10000 (cents), the first ten SELL and the last ten BUY."""

    COUNT = 20
    BOOK, INSTRUMENT = "BOOK1", "AAPL"
    QUANTITY, PRICE = 10, 10_000

    def __init__(self, start_id: int) -> None:
        self.start_id = start_id
        self.next_id = start_id

    def make_batch(self, created_ns: list[int]) -> tuple[list[bytes], list[bytes]]:
        """The Kafka keys and values of the next inquiries, one per `created_ns` stamp."""
        made = [self.make(stamp) for stamp in created_ns]
        return [key for key, _ in made], [value for _, value in made]

    def make(self, created_ns: int) -> tuple[bytes, bytes]:
        """The Kafka key and value of the next inquiry."""
        index = self.next_id - self.start_id
        if index >= self.COUNT:
            raise IndexError(f"the original scenario has only {self.COUNT} inquiries")
        inquiry = Inquiry(
            inquiry_id=self.next_id,
            book_id=self.BOOK,
            instrument_id=self.INSTRUMENT,
            quantity=self.QUANTITY,
            price=self.PRICE,
            side=Side.SELL if index < self.COUNT // 2 else Side.BUY,
            event_time=created_ns // 1_000_000,
            counterparty="cpt1",
            status=Status.NEW,
            version=1,
            created_ns=created_ns,
        )
        self.next_id += 1
        return f"{self.BOOK}|{self.INSTRUMENT}".encode(), inquiry.SerializeToString()
