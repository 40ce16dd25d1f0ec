"""Positions for the gateway, read from Redis (the source of truth) rather than derived from the
stream, and encoded once as the Position messages the frames carry."""

from __future__ import annotations

from tradefast.positions.store import PositionStore
from tradefast.proto.tradefast_pb2 import Position


async def read_positions(store: PositionStore) -> dict[str, bytes]:
    """Every stored position as an encoded Position, by "book|instrument": one SCAN and one
    pipelined read."""
    return {
        f"{row.book}|{row.instrument}": Position(
            book_id=row.book,
            instrument_id=row.instrument,
            notional=row.position.notional,
            quantity=row.position.quantity,
            sequence=row.position.sequence,
        ).SerializeToString()
        for row in await store.all_positions()
    }
