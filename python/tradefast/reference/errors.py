"""The per-message rejection reasons shared by both cores, and the exception they raise.

The Rust core (rust/position_core/src/reasons.rs) uses exactly these strings, so the
differential tests can compare errors as values.
"""

from tradefast.core_types import CoreError as CoreError

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


_UNEXPECTED_STATUS_PREFIX = "unexpected status "


def unexpected_status(name: str) -> str:
    """The reason for a known status the called stage does not handle."""
    return f"{_UNEXPECTED_STATUS_PREFIX}{name}"


# The stable code of each reason: the `reason.code` header of a dead letter, for alerting and
# counting by kind while the text stays free to improve (docs/reliability.md lists them).
UNEXPECTED_STATUS_CODE = "unexpected_status"
UNCLASSIFIED_CODE = "unclassified"
CODES = {
    MALFORMED: "malformed",
    INQUIRY_ID_NOT_POSITIVE: "inquiry_id_not_positive",
    EMPTY_BOOK_ID: "empty_book_id",
    SEPARATOR_IN_BOOK_ID: "separator_in_book_id",
    EMPTY_INSTRUMENT_ID: "empty_instrument_id",
    QUANTITY_NOT_POSITIVE: "quantity_not_positive",
    PRICE_NOT_POSITIVE: "price_not_positive",
    UNKNOWN_SIDE: "unknown_side",
    UNKNOWN_STATUS: "unknown_status",
    NOTIONAL_OVERFLOW: "notional_overflow",
    VERSION_OVERFLOW: "version_overflow",
    POSITION_OVERFLOW: "position_overflow",
    KEY_MISMATCH: "key_mismatch",
    NEW_WITHOUT_OFFSET: "new_without_offset",
    DONE_WITHOUT_NEW_OFFSET: "done_without_new_offset",
    NEGATIVE_NEW_OFFSET: "negative_new_offset",
}


def code_of(reason: str) -> str:
    """The stable code of a core's rejection reason; UNCLASSIFIED_CODE for a text this table
    does not know (a reason added to one core and not here: tests/core catches that)."""
    code = CODES.get(reason)
    if code is not None:
        return code
    if reason.startswith(_UNEXPECTED_STATUS_PREFIX):
        return UNEXPECTED_STATUS_CODE
    return UNCLASSIFIED_CODE
