//! WebSocket frame assembly, as python/tradefast/reference/frame.py: an encoded InquiryBatch
//! built by writing each field's tag and length around the already-encoded messages.

use prost::encoding::{encode_varint, encoded_len_varint, WireType};

use crate::schema::{
    INQUIRY_BATCH_INQUIRIES as INQUIRIES_FIELD, INQUIRY_BATCH_POSITIONS as POSITIONS_FIELD,
    INQUIRY_BATCH_SNAPSHOT as SNAPSHOT_FIELD,
};

fn tag(field: u32, wire_type: WireType) -> u64 {
    u64::from(field << 3 | wire_type as u32)
}

fn field_len(tag: u64, message: &[u8]) -> usize {
    encoded_len_varint(tag) + encoded_len_varint(message.len() as u64) + message.len()
}

/// The frame's length in bytes.
pub fn frame_len(inquiries: &[&[u8]], positions: &[&[u8]], snapshot: bool) -> usize {
    let inquiries_tag = tag(INQUIRIES_FIELD, WireType::LengthDelimited);
    let positions_tag = tag(POSITIONS_FIELD, WireType::LengthDelimited);
    inquiries
        .iter()
        .map(|m| field_len(inquiries_tag, m))
        .sum::<usize>()
        + positions
            .iter()
            .map(|m| field_len(positions_tag, m))
            .sum::<usize>()
        + if snapshot {
            encoded_len_varint(tag(SNAPSHOT_FIELD, WireType::Varint)) + encoded_len_varint(1)
        } else {
            0
        }
}

/// Write the frame into `out`, which has exactly `frame_len` bytes.
pub fn write_frame(inquiries: &[&[u8]], positions: &[&[u8]], snapshot: bool, mut out: &mut [u8]) {
    for (field, messages) in [(INQUIRIES_FIELD, inquiries), (POSITIONS_FIELD, positions)] {
        let field_tag = tag(field, WireType::LengthDelimited);
        for message in messages {
            encode_varint(field_tag, &mut out);
            encode_varint(message.len() as u64, &mut out);
            let (head, rest) = out.split_at_mut(message.len());
            head.copy_from_slice(message);
            out = rest;
        }
    }
    if snapshot {
        encode_varint(tag(SNAPSHOT_FIELD, WireType::Varint), &mut out);
        encode_varint(1, &mut out);
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::{Inquiry, InquiryBatch, Position};

    #[test]
    fn frame_equals_the_encoded_batch() {
        let inquiry = Inquiry {
            inquiry_id: 7,
            book_id: "BOOK1".into(),
            ..Inquiry::default()
        };
        let position = Position {
            book_id: "BOOK1".into(),
            notional: -5,
            ..Position::default()
        };
        let batch = InquiryBatch {
            inquiries: vec![inquiry.clone(), inquiry.clone()],
            positions: vec![position.clone()],
            snapshot: true,
        };
        let (a, b) = (inquiry.encode_to_vec(), position.encode_to_vec());
        let inquiries = [a.as_slice(), a.as_slice()];
        let positions = [b.as_slice()];
        let mut out = vec![0; frame_len(&inquiries, &positions, true)];
        write_frame(&inquiries, &positions, true, &mut out);
        assert_eq!(out, batch.encode_to_vec());
    }
}
