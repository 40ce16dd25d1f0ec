//! Per-message rejection reasons, identical to python/tradefast/reference/errors.py, which also
//! gives each its stable dead-letter code (the `reason.code` header).

use std::borrow::Cow;

pub type Reason = Cow<'static, str>;

pub const MALFORMED: &str = "malformed protobuf";
pub const INQUIRY_ID_NOT_POSITIVE: &str = "inquiry_id must be positive";
pub const EMPTY_BOOK_ID: &str = "empty book_id";
pub const SEPARATOR_IN_BOOK_ID: &str = "book_id must not contain '|'";
pub const EMPTY_INSTRUMENT_ID: &str = "empty instrument_id";
pub const QUANTITY_NOT_POSITIVE: &str = "quantity must be positive";
pub const PRICE_NOT_POSITIVE: &str = "price must be positive";
pub const UNKNOWN_SIDE: &str = "unknown side";
pub const UNKNOWN_STATUS: &str = "unknown status";
pub const NOTIONAL_OVERFLOW: &str = "notional overflows int64";
pub const VERSION_OVERFLOW: &str = "version overflows int64";
pub const POSITION_OVERFLOW: &str = "position overflows int64";
pub const KEY_MISMATCH: &str = "Kafka key is not the inquiry's book|instrument";
pub const NEW_WITHOUT_OFFSET: &str = "NEW not read from inquiries.new";
pub const DONE_WITHOUT_NEW_OFFSET: &str =
    "DONE without new_offset (not enriched by the position service)";
pub const NEGATIVE_NEW_OFFSET: &str = "new_offset must not be negative";

/// The reason for a known status the called stage does not handle.
pub fn unexpected_status(name: &str) -> Reason {
    Cow::Owned(format!("unexpected status {name}"))
}
