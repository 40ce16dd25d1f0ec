//! tradefast's hot path: one call per batch to enrich, decide and frame protobuf inquiries.
//! The pure-Python specification is python/tradefast/reference; the API is described in
//! python/tradefast/_core.pyi. Each entry point converts its arguments with the GIL held,
//! does the work with the GIL released, and builds the Python results.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

mod args;
pub mod decide;
pub mod enrich;
pub mod frame;
pub mod proto;
pub mod reasons;
mod schema;
pub mod validate;
pub mod wire;

use enrich::{Book, Output};

create_exception!(
    tradefast._core,
    CoreError,
    PyValueError,
    "Raised for a call the core cannot serve at all (never for one bad message)."
);

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
fn enrich_batch<'py>(
    py: Python<'py>,
    messages: &Bound<'py, PyAny>,
    positions: &Bound<'py, PyAny>,
    enriched_ns: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    guarded(|| {
        let messages = args::bytes_items(messages, "messages")?;
        let mut book = args::positions(positions)?;
        let enriched_ns = args::int64(enriched_ns, "enriched_ns")?;
        let data = slices(&messages);
        let output = py.detach(|| enrich::enrich(&data, &mut book, enriched_ns));
        let (keys, values, errors) = keyed_results(py, &output, &book)?;
        let updated = PyDict::new(py);
        for &slot in &book.changed {
            updated.set_item(&book.keys[slot], book.positions[slot])?;
        }
        PyTuple::new(
            py,
            [
                keys.into_any(),
                values.into_any(),
                updated.into_any(),
                errors.into_any(),
            ],
        )
    })
}

/// See `decide` in python/tradefast/_core.pyi.
#[pyfunction(name = "decide")]
fn decide_batch<'py>(
    py: Python<'py>,
    messages: &Bound<'py, PyAny>,
    seed: &Bound<'py, PyAny>,
    done_fraction: &Bound<'py, PyAny>,
    position_limit: &Bound<'py, PyAny>,
    decided_ns: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    guarded(|| {
        let messages = args::bytes_items(messages, "messages")?;
        let position_limit = if position_limit.is_none() {
            None
        } else {
            Some(args::bounded(
                position_limit,
                "position_limit",
                0,
                i64::MAX,
            )?)
        };
        let policy = decide::Policy {
            seed: args::bounded(seed, "seed", 0, u64::MAX)?,
            threshold: decide::done_threshold(args::fraction(done_fraction, "done_fraction")?),
            position_limit,
            decided_ns: args::int64(decided_ns, "decided_ns")?,
        };
        let data = slices(&messages);
        let mut book = Book::default();
        let output = py.detach(|| decide::decide(&data, &policy, &mut book));
        let (keys, values, errors) = keyed_results(py, &output, &book)?;
        PyTuple::new(py, [keys, values, errors])
    })
}

/// See `frame` in python/tradefast/_core.pyi.
#[pyfunction(name = "frame")]
#[pyo3(signature = (inquiries, positions = None, snapshot = None))]
fn frame_batch<'py>(
    py: Python<'py>,
    inquiries: &Bound<'py, PyAny>,
    positions: Option<&Bound<'py, PyAny>>,
    snapshot: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    guarded(|| {
        let snapshot = snapshot.map_or(Ok(false), |flag| args::boolean(flag, "snapshot"))?;
        let inquiries = args::bytes_items(inquiries, "inquiries")?;
        let positions = match positions {
            Some(positions) => args::bytes_items(positions, "positions")?,
            None => Vec::new(),
        };
        let (inquiries, positions) = (slices(&inquiries), slices(&positions));
        let len = frame::frame_len(&inquiries, &positions, snapshot);
        PyBytes::new_with(py, len, |out| {
            py.detach(|| frame::write_frame(&inquiries, &positions, snapshot, out));
            Ok(())
        })
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CoreError", m.py().get_type::<CoreError>())?;
    m.add_function(wrap_pyfunction!(enrich_batch, m)?)?;
    m.add_function(wrap_pyfunction!(decide_batch, m)?)?;
    m.add_function(wrap_pyfunction!(frame_batch, m)?)?;
    Ok(())
}
