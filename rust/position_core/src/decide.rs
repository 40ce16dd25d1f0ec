//! The auto trader's decision, as python/tradefast/reference/decide.py. Pure Rust.

use crate::enrich::{Book, Output};
use crate::proto::{Inquiry, Status};
use crate::reasons::{self, Reason};
use crate::validate::{decode_into, write_key, Checked};

pub const POSITION_LIMIT: &str = "position limit";
pub const DECLINED: &str = "declined";

/// The splitmix64 finaliser: a well-mixed u64 from a u64.
pub fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// floor(done_fraction * 2**64) for done_fraction in [0, 1]: exact, as the product by a power
/// of two is exact and the cast truncates.
pub fn done_threshold(done_fraction: f64) -> u128 {
    (done_fraction * 18_446_744_073_709_551_616.0) as u128
}

pub struct Policy {
    pub seed: u64,
    pub threshold: u128,
    pub position_limit: Option<i64>,
    pub decided_ns: i64,
}

/// The decisions of one batch.
pub struct Decided {
    pub output: Output,
    /// Indexes into the outputs of the DONE decisions: the only ones that move a position.
    pub done: Vec<usize>,
}

/// Decide every POSITION_ENRICHED inquiry of the batch. `book` only interns the output keys.
pub fn decide(messages: &[&[u8]], policy: &Policy, book: &mut Book) -> Decided {
    let input_bytes = messages.iter().map(|m| m.len()).sum::<usize>();
    let mut output = Output::with_capacity(messages.len(), input_bytes + 32 * messages.len());
    let mut done = Vec::new();
    let mut inquiry = Inquiry::default();
    let mut key = String::new();
    for (index, data) in messages.iter().enumerate() {
        match decode_into(data, &mut inquiry)
            .and_then(|checked| answer(&mut inquiry, checked, policy))
        {
            Ok(()) => {
                if inquiry.status == Status::Done as i32 {
                    done.push(output.ends.len());
                }
                write_key(&inquiry, &mut key);
                output.push(&inquiry, book.slot(&key));
            }
            Err(reason) => output.errors.push((index, reason)),
        }
    }
    Decided { output, done }
}

/// Set the decision in place. The limit applies to the position the trade would leave.
fn answer(inquiry: &mut Inquiry, checked: Checked, policy: &Policy) -> Result<(), Reason> {
    if checked.status != Status::PositionEnriched {
        return Err(reasons::unexpected_status(checked.status.as_str_name()));
    }
    let version = inquiry
        .version
        .checked_add(1)
        .ok_or(Reason::Borrowed(reasons::VERSION_OVERFLOW))?;
    let exposure = i128::from(inquiry.position) + i128::from(checked.signed_notional);
    let breaches = policy
        .position_limit
        .is_some_and(|limit| exposure.abs() > i128::from(limit));
    // inquiry_id is positive after validation, so the cast keeps its value.
    let hash = splitmix64(policy.seed ^ inquiry.inquiry_id as u64);
    let (status, reason) = if breaches {
        (Status::NotDone, POSITION_LIMIT)
    } else if u128::from(hash) < policy.threshold {
        (Status::Done, "")
    } else {
        (Status::NotDone, DECLINED)
    };
    inquiry.status = status as i32;
    inquiry.reject_reason.clear();
    inquiry.reject_reason.push_str(reason);
    inquiry.version = version;
    inquiry.decided_ns = policy.decided_ns;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_cover_never_and_always() {
        assert_eq!(done_threshold(0.0), 0);
        assert_eq!(done_threshold(1.0), 1u128 << 64);
        assert_eq!(done_threshold(0.5), 1u128 << 63);
    }

    #[test]
    fn splitmix64_matches_the_reference_vector() {
        // splitmix64(0) from the reference implementation by Sebastiano Vigna.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
