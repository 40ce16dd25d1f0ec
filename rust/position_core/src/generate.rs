//! Random NEW inquiries for the generator, as python/tradefast/reference/generate.py: every
//! field of inquiry id n is drawn from a splitmix64 chain started at seed ^ n, so a batch is one
//! call and the same (seed, id) always gives the same inquiry.

use crate::decide::splitmix64;
use crate::enrich::Output;
use crate::proto::{Inquiry, Side, Status};

pub const QUANTITY_LOTS: u64 = 50;
pub const LOT: i64 = 100;
pub const PRICE_LOW: i64 = 100;
pub const PRICE_SPAN: u64 = 9_900;

/// The names inquiries are drawn from; keys are every (book, instrument) pair.
pub struct Universe {
    pub keys: Vec<(String, String)>,
    pub counterparties: Vec<String>,
}

/// The inquiries with ids first_id.. and the given created_ns stamps; each output's slot is the
/// index of its key in `universe.keys`.
pub fn generate(universe: &Universe, seed: u64, first_id: i64, created_ns: &[i64]) -> Output {
    let mut output = Output::with_capacity(created_ns.len(), 64 * created_ns.len());
    let mut inquiry = Inquiry {
        status: Status::New as i32,
        version: 1,
        ..Inquiry::default()
    };
    for (offset, &created) in (0_i64..).zip(created_ns) {
        let inquiry_id = first_id + offset;
        // inquiry_id is positive (checked by the caller), so the cast keeps its value.
        let draw = Draws(splitmix64(seed ^ inquiry_id as u64));
        let slot = draw.pick(0, universe.keys.len());
        let (book, instrument) = &universe.keys[slot];
        inquiry.inquiry_id = inquiry_id;
        inquiry.book_id.clone_from(book);
        inquiry.instrument_id.clone_from(instrument);
        inquiry.quantity = LOT * (1 + draw.below(1, QUANTITY_LOTS));
        inquiry.price = PRICE_LOW + draw.below(2, PRICE_SPAN);
        inquiry.side = if draw.nth(3) & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        } as i32;
        inquiry
            .counterparty
            .clone_from(&universe.counterparties[draw.pick(4, universe.counterparties.len())]);
        inquiry.event_time = created.div_euclid(1_000_000);
        inquiry.created_ns = created;
        output.push(&inquiry, slot);
    }
    output
}

/// The splitmix64 chain of one inquiry: draw k is splitmix64 applied k more times.
struct Draws(u64);

impl Draws {
    fn nth(&self, k: usize) -> u64 {
        (0..k).fold(self.0, |value, _| splitmix64(value))
    }

    fn below(&self, k: usize, bound: u64) -> i64 {
        // bound is small (at most 9,900), so the remainder fits an i64.
        (self.nth(k) % bound) as i64
    }

    fn pick(&self, k: usize, len: usize) -> usize {
        // len >= 1 (checked by the caller); u64 -> usize keeps a value below len.
        (self.nth(k) % len as u64) as usize
    }
}
