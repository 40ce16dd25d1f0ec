"""The exception and the per-message rejection reasons shared by both cores.

The Rust core (rust/position_core/src/reasons.rs) uses exactly these strings, so the
differential tests can compare errors as values.
"""


class CoreError(ValueError):
    """Raised for a call the core cannot serve at all (never for one bad message)."""


MALFORMED = "malformed protobuf"
INQUIRY_ID_NOT_POSITIVE = "inquiry_id must be positive"
EMPTY_BOOK_ID = "empty book_id"
SEPARATOR_IN_BOOK_ID = "book_id must not contain '|'"
EMPTY_INSTRUMENT_ID = "empty instrument_id"
QUANTITY_NOT_POSITIVE = "quantity must be positive"
PRICE_NOT_POSITIVE = "price must be positive"
UNKNOWN_SIDE = "unknown side"
UNKNOWN_STATUS = "unknown status"
NOTIONAL_OVERFLOW = "notional overflows int64"
VERSION_OVERFLOW = "version overflows int64"
POSITION_OVERFLOW = "position overflows int64"
KEY_MISMATCH = "Kafka key is not the inquiry's book|instrument"
NEW_WITHOUT_OFFSET = "NEW not read from inquiries.new"
DONE_WITHOUT_NEW_OFFSET = "DONE without new_offset (not enriched by the position service)"
NEGATIVE_NEW_OFFSET = "new_offset must not be negative"


def unexpected_status(name: str) -> str:
    """The reason for a known status the called stage does not handle."""
    return f"unexpected status {name}"
