//! What the gateway needs of each message, without building Python objects for whole
//! inquiries, as python/tradefast/reference/scan.py.

use prost::Message;

use crate::proto::{Inquiry, Status};
use crate::wire;

/// The (index, inquiry_id, version) of each value that decodes as an Inquiry and is at most
/// `max_bytes` long, whether one of them is DONE, and how many did not qualify.
#[derive(Default)]
pub struct Scanned {
    pub indexes: Vec<usize>,
    pub ids: Vec<i64>,
    pub versions: Vec<i64>,
    pub done: bool,
    pub bad: usize,
}

pub fn scan(messages: &[&[u8]], max_bytes: usize) -> Scanned {
    let mut scanned = Scanned {
        indexes: Vec::with_capacity(messages.len()),
        ids: Vec::with_capacity(messages.len()),
        versions: Vec::with_capacity(messages.len()),
        ..Scanned::default()
    };
    let mut inquiry = Inquiry::default();
    for (index, data) in messages.iter().enumerate() {
        inquiry.clear();
        let decoded = data.len() <= max_bytes
            && wire::check_inquiry(data).is_ok()
            && inquiry.merge(*data).is_ok();
        if !decoded {
            scanned.bad += 1;
            continue;
        }
        scanned.indexes.push(index);
        scanned.ids.push(inquiry.inquiry_id);
        scanned.versions.push(inquiry.version);
        scanned.done |= inquiry.status == Status::Done as i32;
    }
    scanned
}
