//! tradefast's hot path: one call per batch to enrich, decide and frame protobuf inquiries.
//! The pure-Python specification is python/tradefast/reference; the API is described in
//! python/tradefast/_core.pyi. Each entry point takes typed arguments (PyO3 converts them with
//! the GIL held: TypeError for a wrong type, OverflowError for an int outside its Rust type),
//! does the work with the GIL released, and builds the Python results.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::import_exception;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::collections::HashMap;
use std::sync::Arc;

use pyo3::types::{PyBytes, PyDict, PyList, PyType};

pub mod decide;
pub mod enrich;
pub mod frame;
pub mod generate;
pub mod proto;
pub mod reasons;
pub mod scan;
mod schema;
pub mod validate;
pub mod websocket;
pub mod window;
pub mod wire;

use enrich::{Book, Output, Position, RecordedMap};

// Defined once, in Python, so both cores raise the same class.
import_exception!(tradefast.core_types, CoreError);

/// Run an entry point; a panic (a bug: no input should cause one) becomes CoreError rather
/// than PyO3's PanicException, which is not an Exception.
fn guarded<T>(call: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| {
        Err(CoreError::new_err(
            "internal error in the Rust core (a bug: please report it)",
        ))
    })
}

fn slices<'a>(messages: &'a [Bound<'_, PyBytes>]) -> Vec<&'a [u8]> {
    messages.iter().map(|message| message.as_bytes()).collect()
}

type Keyed<'py> = (Bound<'py, PyList>, Bound<'py, PyList>, Bound<'py, PyList>);

/// The (keys, values, errors) lists of an output. Each distinct key is one shared bytes object.
fn keyed_results<'py>(py: Python<'py>, output: &Output, book: &Book) -> PyResult<Keyed<'py>> {
    let mut key_objects: Vec<Option<Bound<'py, PyBytes>>> = vec![None; book.keys.len()];
    let mut keys = Vec::with_capacity(output.slots.len());
    for &slot in &output.slots {
        let key =
            key_objects[slot].get_or_insert_with(|| PyBytes::new(py, book.keys[slot].as_bytes()));
        keys.push(key.clone());
    }
    let mut start = 0;
    let values = output.ends.iter().map(|&end| {
        let value = PyBytes::new(py, &output.encoded[start..end]);
        start = end;
        value
    });
    let values = PyList::new(py, values)?;
    let errors = PyList::new(
        py,
        output
            .errors
            .iter()
            .map(|(index, reason)| (*index, reason.as_ref())),
    )?;
    Ok((PyList::new(py, keys)?, values, errors))
}

/// See `enrich` in python/tradefast/_core.pyi.
#[pyfunction(name = "enrich")]
#[pyo3(signature = (messages, keys, offsets, positions, recorded, enriched_ns))]
fn enrich_batch<'py>(
    py: Python<'py>,
    messages: Vec<Bound<'py, PyBytes>>,
    keys: Vec<Option<Bound<'py, PyBytes>>>,
    offsets: Vec<i64>,
    positions: HashMap<String, Position>,
    recorded: RecordedMap,
    enriched_ns: i64,
) -> PyResult<Bound<'py, PyAny>> {
    static ENRICHMENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static POSITION: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    guarded(|| {
        for (what, count) in [("keys", keys.len()), ("offsets", offsets.len())] {
            if count != messages.len() {
                return Err(CoreError::new_err(format!(
                    "got {count} {what} for {} messages",
                    messages.len()
                )));
            }
        }
        let mut book = Book::from_positions(positions);
        let data = slices(&messages);
        let kafka_keys: Vec<Option<&[u8]>> = keys
            .iter()
            .map(|key| key.as_ref().map(|key| key.as_bytes()))
            .collect();
        let inputs = enrich::Inputs {
            keys: &kafka_keys,
            offsets: &offsets,
            recorded: &recorded,
            enriched_ns,
        };
        let output = py.detach(|| enrich::enrich(&data, &inputs, &mut book));
        let (keys, values, errors) = keyed_results(py, &output, &book)?;
        let position = POSITION.import(py, "tradefast.core_types", "Position")?;
        let updated = PyDict::new(py);
        for &slot in &book.changed {
            updated.set_item(&book.keys[slot], position.call1(book.positions[slot])?)?;
        }
        let mut by_slot: Vec<Option<Bound<'py, PyList>>> = vec![None; book.keys.len()];
        let records = PyDict::new(py);
        for &(slot, offset, (notional, quantity, sequence, stamp)) in &output.records {
            let list = match &by_slot[slot] {
                Some(list) => list,
                None => {
                    let list = PyList::empty(py);
                    records.set_item(&book.keys[slot], &list)?;
                    by_slot[slot].insert(list)
                }
            };
            list.append((offset, notional, quantity, sequence, stamp))?;
        }
        ENRICHMENT
            .import(py, "tradefast.core_types", "Enrichment")?
            .call1((keys, values, updated, records, output.replayed, errors))
    })
}

/// See `decide` in python/tradefast/_core.pyi.
#[pyfunction(name = "decide")]
#[pyo3(signature = (messages, seed, done_fraction, position_limit, decided_ns))]
fn decide_batch<'py>(
    py: Python<'py>,
    messages: Vec<Bound<'py, PyBytes>>,
    seed: u64,
    done_fraction: f64,
    position_limit: Option<i64>,
    decided_ns: i64,
) -> PyResult<Bound<'py, PyAny>> {
    static DECISIONS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    guarded(|| {
        // NaN fails the range check too.
        if !(0.0..=1.0).contains(&done_fraction) {
            return Err(CoreError::new_err(format!(
                "done_fraction must be in [0, 1], got {done_fraction}"
            )));
        }
        if let Some(limit) = position_limit.filter(|&limit| limit < 0) {
            return Err(CoreError::new_err(format!(
                "position_limit must not be negative, got {limit}"
            )));
        }
        let policy = decide::Policy {
            seed,
            threshold: decide::done_threshold(done_fraction),
            position_limit,
            decided_ns,
        };
        let data = slices(&messages);
        let mut book = Book::default();
        let decided = py.detach(|| decide::decide(&data, &policy, &mut book));
        let (keys, values, errors) = keyed_results(py, &decided.output, &book)?;
        DECISIONS
            .import(py, "tradefast.core_types", "Decisions")?
            .call1((keys, values, errors, decided.done))
    })
}

/// See `frame` in python/tradefast/_core.pyi.
#[pyfunction(name = "frame")]
// The empty default shown as the stub shows it (PyO3 renders `Vec::new()` as `...`).
#[pyo3(
    signature = (inquiries, positions = Vec::new(), snapshot = false),
    text_signature = "(inquiries, positions=(), snapshot=False)"
)]
fn frame_batch<'py>(
    py: Python<'py>,
    inquiries: Vec<Bound<'py, PyBytes>>,
    positions: Vec<Bound<'py, PyBytes>>,
    snapshot: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    guarded(|| {
        let (inquiries, positions) = (slices(&inquiries), slices(&positions));
        let len = frame::frame_len(&inquiries, &positions, snapshot);
        PyBytes::new_with(py, len, |out| {
            py.detach(|| frame::write_frame(&inquiries, &positions, snapshot, out));
            Ok(())
        })
    })
}

/// See `websocket_frames` in python/tradefast/_core.pyi.
#[pyfunction(name = "websocket_frames")]
#[pyo3(signature = (messages))]
fn websocket_frames<'py>(
    py: Python<'py>,
    messages: Vec<Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyBytes>> {
    guarded(|| {
        let messages = slices(&messages);
        PyBytes::new_with(py, websocket::frames_len(&messages), |out| {
            py.detach(|| websocket::write_frames(&messages, out));
            Ok(())
        })
    })
}

/// See `scan` in python/tradefast/_core.pyi.
#[pyfunction(name = "scan")]
#[pyo3(signature = (messages, max_bytes))]
fn scan_batch<'py>(
    py: Python<'py>,
    messages: Vec<Bound<'py, PyBytes>>,
    max_bytes: u64,
) -> PyResult<Bound<'py, PyAny>> {
    static SCAN: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    guarded(|| {
        let data = slices(&messages);
        let max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        let scanned = py.detach(|| scan::scan(&data, max_bytes));
        SCAN.import(py, "tradefast.core_types", "Scan")?.call1((
            scanned.indexes,
            scanned.ids,
            scanned.versions,
            scanned.done,
            scanned.bad,
        ))
    })
}

/// See `InquiryMaker` in python/tradefast/_core.pyi.
#[pyclass(frozen, module = "tradefast._core")]
struct InquiryMaker {
    universe: generate::Universe,
    seed: u64,
    /// The Kafka key of each universe key, one shared bytes object each.
    key_objects: Vec<Py<PyBytes>>,
}

#[pymethods]
impl InquiryMaker {
    #[new]
    #[pyo3(signature = (seed, books, instruments, counterparties))]
    fn new(
        py: Python<'_>,
        seed: u64,
        books: Vec<String>,
        instruments: Vec<String>,
        counterparties: Vec<String>,
    ) -> PyResult<Self> {
        for (what, names) in [
            ("books", &books),
            ("instruments", &instruments),
            ("counterparties", &counterparties),
        ] {
            if names.is_empty() {
                return Err(CoreError::new_err(format!("{what} must not be empty")));
            }
        }
        if let Some(book) = books.iter().find(|b| b.is_empty() || b.contains('|')) {
            return Err(CoreError::new_err(format!(
                "book {book:?} must be non-empty and without '|'"
            )));
        }
        if instruments.iter().any(String::is_empty) {
            return Err(CoreError::new_err("instruments must be non-empty"));
        }
        let keys: Vec<(String, String)> = books
            .iter()
            .flat_map(|b| instruments.iter().map(move |i| (b.clone(), i.clone())))
            .collect();
        let key_objects = keys
            .iter()
            .map(|(b, i)| PyBytes::new(py, format!("{b}|{i}").as_bytes()).unbind())
            .collect();
        Ok(Self {
            universe: generate::Universe {
                keys,
                counterparties,
            },
            seed,
            key_objects,
        })
    }

    #[pyo3(signature = (first_id, created_ns))]
    fn make<'py>(
        &self,
        py: Python<'py>,
        first_id: i64,
        created_ns: Vec<i64>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        guarded(|| {
            let count = i64::try_from(created_ns.len()).unwrap_or(i64::MAX);
            if first_id < 1 || first_id > i64::MAX - count {
                return Err(CoreError::new_err(format!(
                    "first_id must be in [1, {}], got {first_id}",
                    i64::MAX - count
                )));
            }
            let output =
                py.detach(|| generate::generate(&self.universe, self.seed, first_id, &created_ns));
            let keys = output
                .slots
                .iter()
                .map(|&slot| self.key_objects[slot].bind(py));
            let mut start = 0;
            let values = output.ends.iter().map(|&end| {
                let value = PyBytes::new(py, &output.encoded[start..end]);
                start = end;
                value
            });
            Ok((PyList::new(py, keys)?, PyList::new(py, values)?))
        })
    }
}

/// See `InquiryWindow` in python/tradefast/_core.pyi.
#[pyclass(name = "InquiryWindow", module = "tradefast._core")]
struct PyInquiryWindow {
    // Shared, not copied: the window and the pending updates hold the consumed bytes objects.
    window: window::Window<Arc<Py<PyBytes>>>,
}

#[pymethods]
impl PyInquiryWindow {
    #[new]
    #[pyo3(signature = (capacity))]
    fn new(capacity: usize) -> PyResult<Self> {
        window::Window::new(capacity)
            .map(|window| Self { window })
            .ok_or_else(|| {
                PyValueError::new_err("the inquiry window needs room for at least one inquiry")
            })
    }

    #[pyo3(signature = (values, indexes, ids, versions))]
    fn offer(
        &mut self,
        values: Vec<Bound<'_, PyBytes>>,
        indexes: Vec<usize>,
        ids: Vec<i64>,
        versions: Vec<i64>,
    ) -> PyResult<usize> {
        guarded(|| {
            if ids.len() != indexes.len() || versions.len() != indexes.len() {
                return Err(CoreError::new_err(format!(
                    "indexes, ids and versions differ in length: {}, {}, {}",
                    indexes.len(),
                    ids.len(),
                    versions.len()
                )));
            }
            let mut kept = 0;
            for ((&index, &id), &version) in indexes.iter().zip(&ids).zip(&versions) {
                let value = values.get(index).ok_or_else(|| {
                    CoreError::new_err(format!(
                        "index {index} is outside the {} values",
                        values.len()
                    ))
                })?;
                if self
                    .window
                    .offer(id, version, Arc::new(value.clone().unbind()))
                {
                    kept += 1;
                }
            }
            Ok(kept)
        })
    }

    fn pending_count(&self) -> usize {
        self.window.pending_count()
    }

    fn take_pending<'py>(&mut self, py: Python<'py>) -> PyResult<TakenLists<'py>> {
        guarded(|| {
            let taken = self.window.take_pending();
            let encoded = taken.encoded.iter().map(|e| e.bind(py));
            Ok((
                PyList::new(py, taken.ids)?,
                PyList::new(py, taken.versions)?,
                PyList::new(py, encoded)?,
            ))
        })
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guarded(|| PyList::new(py, self.window.snapshot().iter().map(|e| e.bind(py))))
    }

    fn versions(&self) -> Vec<(i64, i64)> {
        self.window.versions()
    }

    fn __len__(&self) -> usize {
        self.window.len()
    }
}

/// (ids, versions, encoded) of `take_pending`.
type TakenLists<'py> = (Bound<'py, PyList>, Bound<'py, PyList>, Bound<'py, PyList>);

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CoreError", m.py().get_type::<CoreError>())?;
    m.add_function(wrap_pyfunction!(enrich_batch, m)?)?;
    m.add_function(wrap_pyfunction!(decide_batch, m)?)?;
    m.add_function(wrap_pyfunction!(frame_batch, m)?)?;
    m.add_function(wrap_pyfunction!(scan_batch, m)?)?;
    m.add_function(wrap_pyfunction!(websocket_frames, m)?)?;
    m.add_class::<InquiryMaker>()?;
    m.add_class::<PyInquiryWindow>()?;
    Ok(())
}
