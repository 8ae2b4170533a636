//! Python bindings: `femtocwmp._femtocwmp`. They translate between Python and the core and
//! decide nothing; the public Python API is the `femtocwmp` package around this module.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

mod procedures;
mod session;
mod trace;

pyo3::import_exception!(femtocwmp.exceptions, DecodeError);
pyo3::import_exception!(femtocwmp.exceptions, LocalProtocolError);
pyo3::import_exception!(femtocwmp.exceptions, RemoteProtocolError);

/// Any serializable core value as Python objects (its JSON form).
pub(crate) fn to_py<'py, T: serde::Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Decodes a CWMP message to its JSON form as Python objects (dicts, lists, str, int,
/// bool). The GIL is released while the XML is parsed.
#[pyfunction]
#[pyo3(signature = (data, *, max_total_bytes=None, max_depth=None, max_elements=None, max_string_len=None, max_array_len=None))]
fn decode<'py>(
    py: Python<'py>,
    data: &[u8],
    max_total_bytes: Option<usize>,
    max_depth: Option<usize>,
    max_elements: Option<usize>,
    max_string_len: Option<usize>,
    max_array_len: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut limits = femtocwmp::DecodeLimits::default();
    if let Some(n) = max_total_bytes {
        limits = limits.with_max_total_bytes(n);
    }
    if let Some(n) = max_depth {
        limits = limits.with_max_depth(n);
    }
    if let Some(n) = max_elements {
        limits = limits.with_max_elements(n);
    }
    if let Some(n) = max_string_len {
        limits = limits.with_max_string_len(n);
    }
    if let Some(n) = max_array_len {
        limits = limits.with_max_array_len(n);
    }
    let env = py
        .detach(|| femtocwmp::decode_with(data, &limits))
        .map_err(|e| DecodeError::new_err(e.to_string()))?;
    pythonize::pythonize(py, &env).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Encodes an envelope given in its JSON form (a dict) to XML bytes.
#[pyfunction]
fn encode<'py>(py: Python<'py>, envelope: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let env: femtocwmp::Envelope = pythonize::depythonize(envelope)
        .map_err(|e| PyValueError::new_err(format!("not a CWMP envelope: {e}")))?;
    let bytes = py.detach(|| femtocwmp::encode(&env));
    Ok(PyBytes::new(py, &bytes))
}

/// The schema violations of an envelope in its JSON form, as `(path, message)` pairs.
#[pyfunction]
fn check<'py>(envelope: &Bound<'py, PyAny>) -> PyResult<Vec<(String, String)>> {
    let env: femtocwmp::Envelope = pythonize::depythonize(envelope)
        .map_err(|e| PyValueError::new_err(format!("not a CWMP envelope: {e}")))?;
    Ok(femtocwmp::check(&env)
        .into_iter()
        .map(|v| (v.path, v.message))
        .collect())
}

/// Every CWMP method and response name the core knows.
#[pyfunction]
fn method_names() -> Vec<&'static str> {
    femtocwmp::Body::METHOD_NAMES.to_vec()
}

/// Every method with its arguments at their defaults, as `(name, JSON form)`: what the
/// Python message classes are generated from.
#[pyfunction]
fn method_defaults<'py>(py: Python<'py>) -> PyResult<Vec<(&'static str, Bound<'py, PyAny>)>> {
    femtocwmp::Body::METHOD_NAMES
        .iter()
        .chain(["Empty"].iter())
        .map(|m| {
            let body = femtocwmp::Body::with_defaults(m).expect("every method has defaults");
            Ok((*m, to_py(py, &body)?))
        })
        .collect()
}

/// A message body in its JSON form, checked and normalised by the core: `ValueError` when
/// a field has the wrong type or a required one is missing.
#[pyfunction]
fn validate_body<'py>(py: Python<'py>, body: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let b: femtocwmp::Body = pythonize::depythonize(body)
        .map_err(|e| PyValueError::new_err(format!("not a valid message: {e}")))?;
    to_py(py, &b)
}

/// Every named fault code as `(number, description)`.
#[pyfunction]
fn fault_codes() -> Vec<(u32, &'static str)> {
    femtocwmp::FaultCode::KNOWN
        .iter()
        .map(|c| (c.code(), c.description()))
        .collect()
}

/// Every named event code (wire strings).
#[pyfunction]
fn event_codes() -> Vec<&'static str> {
    femtocwmp::EventCode::KNOWN
        .iter()
        .map(|e| e.as_str())
        .collect()
}

/// The sample envelopes of the core (one of every message in every version), JSON form.
#[pyfunction]
fn sample_envelopes<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, &femtocwmp::samples::all_envelopes())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// TR-069 3.2.1.1 retry wait before retry `attempt` (1-based), in milliseconds.
#[pyfunction]
#[pyo3(signature = (attempt, seed, min_wait_s=5, multiplier_permille=2000))]
fn retry_wait_ms(attempt: u32, seed: u64, min_wait_s: u32, multiplier_permille: u32) -> u64 {
    let policy = femtocwmp::session::RetryPolicy {
        min_wait_s,
        multiplier_permille,
    };
    femtocwmp::session::retry_wait_ms(&policy, attempt, seed)
}

/// The `Authorization` value answering a 401's `WWW-Authenticate` values (Digest, the
/// strongest algorithm offered; Basic when that is all) for `method uri`; None when nothing
/// usable is offered. For a HeMS sending a Connection Request (TR-069 3.2.2).
#[pyfunction]
fn authorization_for(
    www_authenticate: Vec<String>,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    let values: Vec<&str> = www_authenticate.iter().map(String::as_str).collect();
    femtocwmp::session::authorization_for(&values, username, password, method, uri, cnonce)
}

/// The extension module.
#[pymodule]
fn _femtocwmp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(method_names, m)?)?;
    m.add_function(wrap_pyfunction!(method_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(validate_body, m)?)?;
    m.add_function(wrap_pyfunction!(fault_codes, m)?)?;
    m.add_function(wrap_pyfunction!(event_codes, m)?)?;
    m.add_function(wrap_pyfunction!(sample_envelopes, m)?)?;
    m.add_function(wrap_pyfunction!(session::accept, m)?)?;
    m.add_function(wrap_pyfunction!(retry_wait_ms, m)?)?;
    m.add_function(wrap_pyfunction!(authorization_for, m)?)?;
    m.add_class::<session::CpeSession>()?;
    m.add_class::<session::AcsSession>()?;
    m.add_class::<session::Accepted>()?;
    m.add_class::<procedures::Agent>()?;
    m.add_class::<procedures::Hems>()?;
    m.add_function(wrap_pyfunction!(procedures::femtocell_model, m)?)?;
    m.add_class::<trace::Trace>()?;
    m.add_function(wrap_pyfunction!(trace::describe, m)?)?;
    Ok(())
}
