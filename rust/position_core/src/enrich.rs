//! Position aggregation and enrichment of one batch, as python/tradefast/reference/enrich.py.
//! Pure Rust: runs without the GIL; the caller converts arguments and results.

use std::collections::HashMap;

use prost::Message;

use crate::proto::{Inquiry, Status};
use crate::reasons::{self, Reason};
use crate::validate::{decode_into, write_key, Checked};

/// (notional, quantity, sequence, done_offset, enriched_offset) of one key.
pub type Position = (i64, i64, i64, i64, i64);

/// The position of a key never seen: nothing applied, no offset fenced.
pub const NO_POSITION: Position = (0, 0, 0, -1, -1);

/// What a NEW was enriched with: (notional, quantity, sequence, enriched_ns).
pub type Recorded = (i64, i64, i64, i64);

/// The enrichments of earlier NEWs, by (key, inquiries.new offset).
pub type RecordedMap = HashMap<(String, i64), Recorded>;

/// The inputs of one batch beside the messages themselves.
pub struct Inputs<'a> {
    /// The Kafka key of each message.
    pub keys: &'a [Option<&'a [u8]>],
    /// The inquiries.new offset of each message, negative for one read from another topic.
    pub offsets: &'a [i64],
    pub recorded: &'a RecordedMap,
    pub enriched_ns: i64,
}

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
    /// The working book of a batch, starting from the known `positions`.
    pub fn from_positions(positions: HashMap<String, Position>) -> Self {
        let mut book = Self {
            slots: HashMap::with_capacity(positions.len()),
            ..Self::default()
        };
        for (key, position) in positions {
            book.slots.insert(key.clone(), book.keys.len());
            book.keys.push(key);
            book.positions.push(position);
            book.is_changed.push(false);
        }
        book
    }

    /// The slot of `key`, created at NO_POSITION if new.
    pub fn slot(&mut self, key: &str) -> usize {
        if let Some(&slot) = self.slots.get(key) {
            return slot;
        }
        let slot = self.keys.len();
        self.slots.insert(key.to_owned(), slot);
        self.keys.push(key.to_owned());
        self.positions.push(NO_POSITION);
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
    /// (slot, offset, enrichment) of every NEW enriched for the first time.
    pub records: Vec<(usize, i64, Recorded)>,
    /// Messages recognised as replays.
    pub replayed: usize,
}

impl Output {
    pub fn with_capacity(messages: usize, bytes: usize) -> Self {
        Self {
            encoded: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(messages),
            slots: Vec::with_capacity(messages),
            ..Self::default()
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
pub fn enrich(messages: &[&[u8]], inputs: &Inputs<'_>, book: &mut Book) -> Output {
    let input_bytes = messages.iter().map(|m| m.len()).sum::<usize>();
    // Enrichment adds a few stamped fields per message.
    let mut output = Output::with_capacity(messages.len(), input_bytes + 56 * messages.len());
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
        write_key(&inquiry, &mut key);
        if inputs.keys.get(index).copied().flatten() != Some(key.as_bytes()) {
            output
                .errors
                .push((index, Reason::Borrowed(reasons::KEY_MISMATCH)));
            continue;
        }
        let outcome = match checked.status {
            Status::Done => apply_done(&inquiry, checked, book, &key, &mut output),
            Status::New => {
                let offset = inputs.offsets.get(index).copied().unwrap_or(-1);
                stamp_new(&mut inquiry, offset, inputs, book, &key, &mut output)
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

/// Add a DONE to its key unless its NEW's offset is at or below the key's done_offset fence.
fn apply_done(
    inquiry: &Inquiry,
    checked: Checked,
    book: &mut Book,
    key: &str,
    output: &mut Output,
) -> Result<(), Reason> {
    let new_offset = inquiry
        .new_offset
        .ok_or(Reason::Borrowed(reasons::DONE_WITHOUT_NEW_OFFSET))?;
    if new_offset < 0 {
        return Err(Reason::Borrowed(reasons::NEGATIVE_NEW_OFFSET));
    }
    let slot = book.slot(key);
    let (notional, quantity, sequence, done_offset, enriched_offset) = book.positions[slot];
    if new_offset <= done_offset {
        output.replayed += 1;
        return Ok(());
    }
    let moved = (|| {
        Some((
            notional.checked_add(checked.signed_notional)?,
            quantity.checked_add(checked.signed_quantity)?,
            sequence.checked_add(1)?,
            new_offset,
            enriched_offset,
        ))
    })()
    .ok_or(Reason::Borrowed(reasons::POSITION_OVERFLOW))?;
    book.set(slot, moved);
    Ok(())
}

/// Stamp a NEW with its key's working position, or, if its offset is at or below the key's
/// enriched_offset (a replay), with its recorded enrichment; a replay without a record is
/// skipped (its output was published before the record was dropped).
fn stamp_new(
    inquiry: &mut Inquiry,
    offset: i64,
    inputs: &Inputs<'_>,
    book: &mut Book,
    key: &str,
    output: &mut Output,
) -> Result<(), Reason> {
    if offset < 0 {
        return Err(Reason::Borrowed(reasons::NEW_WITHOUT_OFFSET));
    }
    let version = inquiry
        .version
        .checked_add(1)
        .ok_or(Reason::Borrowed(reasons::VERSION_OVERFLOW))?;
    let slot = book.slot(key);
    let (notional, quantity, sequence, done_offset, enriched_offset) = book.positions[slot];
    let enrichment = if offset <= enriched_offset {
        output.replayed += 1;
        match inputs.recorded.get(&(key.to_owned(), offset)) {
            Some(&recorded) => recorded,
            None => return Ok(()),
        }
    } else {
        let enrichment = (notional, quantity, sequence, inputs.enriched_ns);
        output.records.push((slot, offset, enrichment));
        book.set(slot, (notional, quantity, sequence, done_offset, offset));
        enrichment
    };
    (
        inquiry.position,
        inquiry.position_quantity,
        inquiry.sequence,
        inquiry.enriched_ns,
    ) = enrichment;
    inquiry.status = Status::PositionEnriched as i32;
    inquiry.version = version;
    inquiry.new_offset = Some(offset);
    output.push(inquiry, slot);
    Ok(())
}
