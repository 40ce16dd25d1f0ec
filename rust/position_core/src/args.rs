//! Converting and checking Python arguments, with the errors of the reference
//! (python/tradefast/reference/validation.py): TypeError for a wrong type, CoreError for a
//! value out of range.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyTuple};

use crate::enrich::{Book, Position};
use crate::CoreError;

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

/// The bytes objects of a sequence (list and tuple are read without iteration protocol).
pub fn bytes_items<'py>(
    messages: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let cast = |item: Bound<'py, PyAny>| {
        item.cast_into::<PyBytes>().map_err(|err| {
            PyTypeError::new_err(format!(
                "{what} must contain bytes, not {}",
                type_name(err.into_inner().as_any())
            ))
        })
    };
    if let Ok(list) = messages.cast::<PyList>() {
        return list.iter().map(cast).collect();
    }
    if let Ok(tuple) = messages.cast::<PyTuple>() {
        return tuple.iter().map(cast).collect();
    }
    messages.try_iter()?.map(|item| cast(item?)).collect()
}

/// `value` if it is an int in [low, high].
pub fn bounded<T>(value: &Bound<'_, PyAny>, name: &str, low: T, high: T) -> PyResult<T>
where
    T: Copy + Into<i128> + TryFrom<i128>,
{
    if !value.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, not {}",
            type_name(value)
        )));
    }
    let (low, high) = (low.into(), high.into());
    value
        .extract::<i128>()
        .ok()
        .filter(|number| (low..=high).contains(number))
        .and_then(|number| T::try_from(number).ok())
        .ok_or_else(|| {
            CoreError::new_err(format!("{name} must be in [{low}, {high}], got {value}"))
        })
}

pub fn int64(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    bounded(value, name, i64::MIN, i64::MAX)
}

/// done_fraction as a float in [0, 1].
pub fn fraction(value: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    let number = if value.is_instance_of::<PyBool>() {
        None
    } else if value.is_instance_of::<PyFloat>() {
        Some(value.extract::<f64>()?)
    } else if value.is_instance_of::<PyInt>() {
        // Only 0 and 1 are in range; anything else (even beyond f64) is refused below.
        Some(
            value
                .extract::<i128>()
                .map_or(f64::INFINITY, |n| n.clamp(-2, 2) as f64),
        )
    } else {
        None
    };
    match number {
        None => Err(PyTypeError::new_err(format!(
            "{name} must be a number, not {}",
            type_name(value)
        ))),
        Some(number) if (0.0..=1.0).contains(&number) => Ok(number),
        Some(_) => Err(CoreError::new_err(format!(
            "{name} must be in [0, 1], got {value}"
        ))),
    }
}

/// The positions mapping as the working book of a batch.
pub fn positions(value: &Bound<'_, PyAny>) -> PyResult<Book> {
    let items = if let Ok(dict) = value.cast::<PyDict>() {
        dict.items()
    } else if let Ok(mapping) = value.cast::<PyMapping>() {
        mapping.items()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "positions must be a mapping, not {}",
            type_name(value)
        )));
    };
    let mut book = Book::with_capacity(items.len());
    for item in items.iter() {
        let (key, position) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?;
        let key = key.cast::<pyo3::types::PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "position keys must be str, not {}",
                type_name(&key)
            ))
        })?;
        let key = key.to_str()?;
        let position = position
            .cast::<PyTuple>()
            .ok()
            .filter(|tuple| tuple.len() == 5)
            .ok_or_else(|| {
                PyTypeError::new_err(format!("position of {key:?} must be a tuple of 5 ints"))
            })?;
        let value: Position = (
            int64(&position.get_item(0)?, "position notional")?,
            int64(&position.get_item(1)?, "position quantity")?,
            int64(&position.get_item(2)?, "position sequence")?,
            int64(&position.get_item(3)?, "position done_offset")?,
            int64(&position.get_item(4)?, "position enriched_offset")?,
        );
        let slot = book.slot(key);
        book.positions[slot] = value;
    }
    Ok(book)
}
