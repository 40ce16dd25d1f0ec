//! Position aggregation and enrichment of one batch, as python/tradefast/reference/enrich.py.
//! Pure Rust: runs without the GIL; the caller converts arguments and results.

use std::collections::HashMap;

use prost::Message;

use crate::proto::{Inquiry, Status};
use crate::reasons::{self, Reason};
use crate::validate::{decode_into, write_key, Checked};

/// (notional, quantity, sequence, last_done_id) of one key.
pub type Position = (i64, i64, i64, i64);

/// The working positions of a batch, one slot per distinct key.
#[derive(Default)]
pub struct Book {
    slots: HashMap<String, usize>,
    pub keys: Vec<String>,
    pub positions: Vec<Position>,
    /// Slots a DONE changed, in the order of their first change.
    pub changed: Vec<usize>,
    is_changed: Vec<bool>,
}

impl Book {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            slots: HashMap::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// The slot of `key`, created at position (0, 0, 0, 0) if new.
    pub fn slot(&mut self, key: &str) -> usize {
        if let Some(&slot) = self.slots.get(key) {
            return slot;
        }
        let slot = self.keys.len();
        self.slots.insert(key.to_owned(), slot);
        self.keys.push(key.to_owned());
        self.positions.push((0, 0, 0, 0));
        self.is_changed.push(false);
        slot
    }

    fn set(&mut self, slot: usize, position: Position) {
        self.positions[slot] = position;
        if !self.is_changed[slot] {
            self.is_changed[slot] = true;
            self.changed.push(slot);
        }
    }
}

/// The enriched inquiries, encoded back to back in `encoded`: output i is
/// `encoded[ends[i-1]..ends[i]]` with key `book.keys[slots[i]]`.
#[derive(Default)]
pub struct Output {
    pub encoded: Vec<u8>,
    pub ends: Vec<usize>,
    pub slots: Vec<usize>,
    pub errors: Vec<(usize, Reason)>,
}

impl Output {
    pub fn with_capacity(messages: usize, bytes: usize) -> Self {
        Self {
            encoded: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(messages),
            slots: Vec::with_capacity(messages),
            errors: Vec::new(),
        }
    }

    /// Append the encoded `inquiry` as the next output, with the key of `slot`.
    /// `encode_raw` is `encode` without its capacity check, which a Vec always passes.
    pub fn push(&mut self, inquiry: &Inquiry, slot: usize) {
        inquiry.encode_raw(&mut self.encoded);
        self.ends.push(self.encoded.len());
        self.slots.push(slot);
    }
}

/// Walk the batch in order against `book` (pre-filled with the known positions).
pub fn enrich(messages: &[&[u8]], book: &mut Book, enriched_ns: i64) -> Output {
    let input_bytes = messages.iter().map(|m| m.len()).sum::<usize>();
    // Enrichment adds a few stamped fields per message.
    let mut output = Output::with_capacity(messages.len(), input_bytes + 48 * messages.len());
    let mut inquiry = Inquiry::default();
    let mut key = String::new();
    for (index, data) in messages.iter().enumerate() {
        let checked = match decode_into(data, &mut inquiry) {
            Ok(checked) => checked,
            Err(reason) => {
                output.errors.push((index, reason));
                continue;
            }
        };
        let outcome = match checked.status {
            Status::Done => {
                write_key(&inquiry, &mut key);
                apply_done(&inquiry, checked, book, &key)
            }
            Status::New => {
                write_key(&inquiry, &mut key);
                stamp(&mut inquiry, book, &key, enriched_ns).map(|slot| {
                    output.push(&inquiry, slot);
                })
            }
            Status::NotDone => Ok(()),
            Status::PositionEnriched => Err(reasons::unexpected_status(
                Status::PositionEnriched.as_str_name(),
            )),
        };
        if let Err(reason) = outcome {
            output.errors.push((index, reason));
        }
    }
    output
}

/// Add a DONE to its key unless the last_done_id fence says it is already counted.
fn apply_done(
    inquiry: &Inquiry,
    checked: Checked,
    book: &mut Book,
    key: &str,
) -> Result<(), Reason> {
    let slot = book.slot(key);
    let (notional, quantity, sequence, last_done_id) = book.positions[slot];
    if inquiry.inquiry_id <= last_done_id {
        return Ok(());
    }
    let moved = (|| {
        Some((
            notional.checked_add(checked.signed_notional)?,
            quantity.checked_add(checked.signed_quantity)?,
            sequence.checked_add(1)?,
            inquiry.inquiry_id,
        ))
    })()
    .ok_or(Reason::Borrowed(reasons::POSITION_OVERFLOW))?;
    book.set(slot, moved);
    Ok(())
}

/// Stamp a NEW inquiry with its key's working position; the slot of its key.
fn stamp(
    inquiry: &mut Inquiry,
    book: &mut Book,
    key: &str,
    enriched_ns: i64,
) -> Result<usize, Reason> {
    let version = inquiry
        .version
        .checked_add(1)
        .ok_or(Reason::Borrowed(reasons::VERSION_OVERFLOW))?;
    let slot = book.slot(key);
    let (notional, quantity, sequence, _) = book.positions[slot];
    inquiry.position = notional;
    inquiry.position_quantity = quantity;
    inquiry.sequence = sequence;
    inquiry.status = Status::PositionEnriched as i32;
    inquiry.version = version;
    inquiry.enriched_ns = enriched_ns;
    Ok(slot)
}
