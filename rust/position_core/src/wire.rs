//! The strict wire-format check applied before decoding an Inquiry, identical to
//! python/tradefast/reference/wire.py (read its docstring for the rules and why they exist).
//! prost itself verifies the UTF-8 of string fields, with the same strictness as Python.

use crate::schema::{INQUIRY_WIRE_TYPES, NOT_A_FIELD};

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LENGTH_DELIMITED: u8 = 2;
const FIXED32: u8 = 5;
const MAX_VARINT_BYTES: usize = 10;
const MAX_TAG_BYTES: usize = 5;
const MAX_LENGTH_BYTES: usize = 5;

/// The bytes break the wire-format rules.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// The varint at `pos` (at most `max_bytes` long) and the position after it.
fn read_varint(data: &[u8], mut pos: usize, max_bytes: usize) -> Result<(u64, usize), Malformed> {
    let mut value: u64 = 0;
    for index in 0..max_bytes {
        let byte = *data.get(pos).ok_or(Malformed)?;
        pos += 1;
        if index == MAX_VARINT_BYTES - 1 && byte > 1 {
            return Err(Malformed);
        }
        value |= u64::from(byte & 0x7F) << (7 * index);
        if byte < 0x80 {
            return Ok((value, pos));
        }
    }
    Err(Malformed)
}

/// Ok when `data` follows the rules for an Inquiry.
pub fn check_inquiry(data: &[u8]) -> Result<(), Malformed> {
    let mut pos = 0;
    while pos < data.len() {
        let (tag, after_tag) = read_varint(data, pos, MAX_TAG_BYTES)?;
        pos = after_tag;
        let (number, wire_type) = (tag >> 3, (tag & 7) as u8);
        if tag > u64::from(u32::MAX) || number == 0 {
            return Err(Malformed);
        }
        let expected = usize::try_from(number)
            .ok()
            .and_then(|n| INQUIRY_WIRE_TYPES.get(n))
            .copied()
            .unwrap_or(NOT_A_FIELD);
        if expected != NOT_A_FIELD && wire_type != expected {
            return Err(Malformed);
        }
        let length = match wire_type {
            VARINT => {
                pos = read_varint(data, pos, MAX_VARINT_BYTES)?.1;
                continue;
            }
            FIXED64 => 8,
            FIXED32 => 4,
            LENGTH_DELIMITED => {
                let (length, after_length) = read_varint(data, pos, MAX_LENGTH_BYTES)?;
                pos = after_length;
                length
            }
            _ => return Err(Malformed),
        };
        let remaining = (data.len() - pos) as u64;
        if length > remaining {
            return Err(Malformed);
        }
        pos += length as usize;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_empty_and_simple_fields() {
        assert_eq!(check_inquiry(&[]), Ok(()));
        assert_eq!(check_inquiry(&[0x08, 0x05, 0x12, 0x01, b'A']), Ok(()));
    }

    #[test]
    fn refuses_what_upb_and_prost_disagree_on() {
        let mut ten_bytes = vec![0x08];
        ten_bytes.extend([0xFF; 9]);
        ten_bytes.push(0x02);
        assert_eq!(check_inquiry(&ten_bytes), Err(Malformed));
        assert_eq!(
            check_inquiry(&[0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x05]),
            Err(Malformed)
        );
        assert_eq!(check_inquiry(&[0x0A, 0x01, 0x41]), Err(Malformed));
        assert_eq!(check_inquiry(&[0xA3, 0x01, 0xA4, 0x01]), Err(Malformed));
    }
}
