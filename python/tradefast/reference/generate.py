"""Random NEW inquiries for the generator: every field of inquiry id n is drawn from a splitmix64
chain started at seed ^ n (draw k is splitmix64 applied k more times), so a batch is one call and
the same (seed, id) always gives the same inquiry:

key (book, instrument) = keys[draw0 % len(keys)], keys ordered book by book;
quantity = 100 * (1 + draw1 % 50); price = 100 + draw2 % 9900 (cents); side = BUY if draw3 is
even; counterparty = counterparties[draw4 % len(counterparties)]; event_time = created_ns // 10**6;
status NEW, version 1.
"""

from collections.abc import Sequence

from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.reference import errors
from tradefast.reference.decide import splitmix64
from tradefast.reference.validation import INT64_MAX, UINT64_MAX, check_int


class InquiryMaker:
    def __init__(
        self,
        seed: int,
        books: Sequence[str],
        instruments: Sequence[str],
        counterparties: Sequence[str],
    ) -> None:
        self._seed = check_int(seed, "seed", 0, UINT64_MAX)
        checked_books = _names(books, "books")
        checked_instruments = _names(instruments, "instruments")
        self._counterparties = _names(counterparties, "counterparties")
        for book in checked_books:
            if not book or "|" in book:
                raise errors.CoreError(f"book {book!r} must be non-empty and without '|'")
        if not all(checked_instruments):
            raise errors.CoreError("instruments must be non-empty")
        self._keys = [(b, i) for b in checked_books for i in checked_instruments]

    def make(self, first_id: int, created_ns: Sequence[int]) -> tuple[list[bytes], list[bytes]]:
        """The Kafka keys and encoded values of inquiries first_id, first_id + 1, ... stamped
        with `created_ns`, one per stamp."""
        check_int(first_id, "first_id")
        stamps = [check_int(ns, "created_ns") for ns in created_ns]
        if not 1 <= first_id <= INT64_MAX - len(stamps):
            raise errors.CoreError(
                f"first_id must be in [1, {INT64_MAX - len(stamps)}], got {first_id}"
            )
        keys: list[bytes] = []
        values: list[bytes] = []
        for offset, created in enumerate(stamps):
            inquiry_id = first_id + offset
            draws = [splitmix64(self._seed ^ inquiry_id)]
            for _ in range(4):
                draws.append(splitmix64(draws[-1]))
            book, instrument = self._keys[draws[0] % len(self._keys)]
            inquiry = Inquiry(
                inquiry_id=inquiry_id,
                book_id=book,
                instrument_id=instrument,
                quantity=100 * (1 + draws[1] % 50),
                price=100 + draws[2] % 9900,
                side=Side.BUY if draws[3] % 2 == 0 else Side.SELL,
                event_time=created // 1_000_000,
                counterparty=self._counterparties[draws[4] % len(self._counterparties)],
                status=Status.NEW,
                version=1,
                created_ns=created,
            )
            keys.append(f"{book}|{instrument}".encode())
            values.append(inquiry.SerializeToString())
        return keys, values


def _names(names: Sequence[str], what: str) -> list[str]:
    if isinstance(names, str):
        raise TypeError(f"{what} must be a sequence of str, not str")
    checked = list(names)
    if not checked:
        raise errors.CoreError(f"{what} must not be empty")
    for name in checked:
        if not isinstance(name, str):
            raise TypeError(f"{what} must contain str, not {type(name).__name__}")
    return checked
