//! Decoding and validating one Inquiry, as python/tradefast/reference/validation.py.

use prost::Message;

use crate::proto::{Inquiry, Side, Status};
use crate::reasons::{self, Reason};
use crate::wire;

/// What validation learnt about an inquiry.
#[derive(Clone, Copy, Debug)]
pub struct Checked {
    pub status: Status,
    /// quantity * price, negative for SELL.
    pub signed_notional: i64,
    /// quantity, negative for SELL.
    pub signed_quantity: i64,
}

/// Decode `data` into `inquiry` (reusing its string buffers) and validate it.
pub fn decode_into(data: &[u8], inquiry: &mut Inquiry) -> Result<Checked, Reason> {
    wire::check_inquiry(data).map_err(|_| reasons::MALFORMED)?;
    inquiry.clear();
    inquiry.merge(data).map_err(|_| reasons::MALFORMED)?;
    validate(inquiry).map_err(Reason::Borrowed)
}

/// The checks every stage applies, in the reference's order.
fn validate(inquiry: &Inquiry) -> Result<Checked, &'static str> {
    if inquiry.inquiry_id <= 0 {
        return Err(reasons::INQUIRY_ID_NOT_POSITIVE);
    }
    if inquiry.book_id.is_empty() {
        return Err(reasons::EMPTY_BOOK_ID);
    }
    if inquiry.book_id.contains('|') {
        return Err(reasons::SEPARATOR_IN_BOOK_ID);
    }
    if inquiry.instrument_id.is_empty() {
        return Err(reasons::EMPTY_INSTRUMENT_ID);
    }
    if inquiry.quantity <= 0 {
        return Err(reasons::QUANTITY_NOT_POSITIVE);
    }
    if inquiry.price <= 0 {
        return Err(reasons::PRICE_NOT_POSITIVE);
    }
    let side = Side::try_from(inquiry.side).map_err(|_| reasons::UNKNOWN_SIDE)?;
    let status = Status::try_from(inquiry.status).map_err(|_| reasons::UNKNOWN_STATUS)?;
    let notional = inquiry
        .quantity
        .checked_mul(inquiry.price)
        .ok_or(reasons::NOTIONAL_OVERFLOW)?;
    // Both are positive here, so negating cannot overflow.
    let (signed_notional, signed_quantity) = match side {
        Side::Buy => (notional, inquiry.quantity),
        Side::Sell => (-notional, -inquiry.quantity),
    };
    Ok(Checked {
        status,
        signed_notional,
        signed_quantity,
    })
}

/// Write the position key "book|instrument" into `key`.
pub fn write_key(inquiry: &Inquiry, key: &mut String) {
    key.clear();
    key.push_str(&inquiry.book_id);
    key.push('|');
    key.push_str(&inquiry.instrument_id);
}
