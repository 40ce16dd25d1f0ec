//! The gateway's memory of recent inquiries: the latest version of each of the most recent
//! `capacity` (for snapshots), and the updates not sent yet, conflated by id. The Python
//! specification is python/tradefast/reference/window.py.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes an inquiry id with one multiplication: ids are the gateway's own data (no one can
/// choose them to collide), and SipHash, the default, was most of the cost of an offer.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        // The high bits: hashbrown picks buckets from the low bits and tags from the top seven.
        self.0 = (id as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(32);
    }
}

type ById<T> = HashMap<i64, T, BuildHasherDefault<IdHasher>>;

#[derive(Clone)]
struct Versioned<E> {
    version: i64,
    encoded: E,
}

/// The updates taken out of a window, by increasing inquiry id.
#[derive(Debug, PartialEq, Eq)]
pub struct Taken<E> {
    pub ids: Vec<i64>,
    pub versions: Vec<i64>,
    pub encoded: Vec<E>,
}

/// `E` is an encoded inquiry, cheap to clone (shared between the window and the pending).
pub struct Window<E> {
    capacity: usize,
    latest: ById<Versioned<E>>,
    /// Ids by first arrival, which follows their order because generators hand ids out in
    /// increasing order: the front is the one evicted.
    arrival: VecDeque<i64>,
    pending: ById<Versioned<E>>,
}

impl<E: Clone> Window<E> {
    /// None without room for at least one inquiry.
    pub fn new(capacity: usize) -> Option<Self> {
        (capacity >= 1).then(|| Self {
            capacity,
            latest: ById::with_capacity_and_hasher(capacity + 1, Default::default()),
            arrival: VecDeque::with_capacity(capacity + 1),
            pending: ById::default(),
        })
    }

    /// Keep `encoded` if it is newer than what the window holds (an update of an inquiry it
    /// does not hold is newer); a kept update is pending too, unless a higher version of the
    /// same inquiry already is. True if kept.
    pub fn offer(&mut self, id: i64, version: i64, encoded: E) -> bool {
        let update = Versioned { version, encoded };
        match self.latest.get_mut(&id) {
            Some(held) if held.version >= version => return false,
            Some(held) => *held = update.clone(),
            None => {
                self.latest.insert(id, update.clone());
                self.arrival.push_back(id);
                if self.latest.len() > self.capacity {
                    if let Some(oldest) = self.arrival.pop_front() {
                        self.latest.remove(&oldest);
                    }
                }
            }
        }
        match self.pending.get_mut(&id) {
            Some(pending) if pending.version >= version => {}
            Some(pending) => *pending = update,
            None => {
                self.pending.insert(id, update);
            }
        }
        true
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// The pending updates by increasing id, leaving none pending.
    pub fn take_pending(&mut self) -> Taken<E> {
        let mut pending: Vec<(i64, Versioned<E>)> = self.pending.drain().collect();
        pending.sort_unstable_by_key(|(id, _)| *id);
        let mut taken = Taken {
            ids: Vec::with_capacity(pending.len()),
            versions: Vec::with_capacity(pending.len()),
            encoded: Vec::with_capacity(pending.len()),
        };
        for (id, update) in pending {
            taken.ids.push(id);
            taken.versions.push(update.version);
            taken.encoded.push(update.encoded);
        }
        taken
    }

    /// The held inquiries by increasing id.
    pub fn snapshot(&self) -> Vec<E> {
        let mut held: Vec<(i64, &E)> = self
            .latest
            .iter()
            .map(|(id, h)| (*id, &h.encoded))
            .collect();
        held.sort_unstable_by_key(|(id, _)| *id);
        held.into_iter()
            .map(|(_, encoded)| encoded.clone())
            .collect()
    }

    /// (id, latest version) of the held inquiries, by first arrival.
    pub fn versions(&self) -> Vec<(i64, i64)> {
        self.arrival
            .iter()
            .filter_map(|id| self.latest.get(id).map(|held| (*id, held.version)))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn keeps_the_highest_version_evicts_the_oldest_and_conflates_pending() {
        let mut window = Window::new(3).expect("room");
        assert!(window.offer(1, 1, encoded("1v1")));
        assert!(window.offer(1, 3, encoded("1v3")));
        assert!(!window.offer(1, 2, encoded("1v2")));
        for id in [2, 3, 4] {
            assert!(window.offer(id, 1, encoded(&format!("{id}v1"))));
        }
        assert_eq!(window.len(), 3);
        assert_eq!(window.versions(), vec![(2, 1), (3, 1), (4, 1)]);
        assert_eq!(window.snapshot(), vec!["2v1", "3v1", "4v1"]);
        // Evicted, then an older version again: held anew, but the pending one stays higher.
        assert!(window.offer(1, 2, encoded("1v2")));
        let taken = window.take_pending();
        assert_eq!(taken.ids, vec![1, 2, 3, 4]);
        assert_eq!(taken.versions, vec![3, 1, 1, 1]);
        assert_eq!(taken.encoded[0], "1v3");
        assert_eq!(window.pending_count(), 0);
    }

    #[test]
    fn needs_room() {
        assert!(Window::<String>::new(0).is_none());
    }
}
