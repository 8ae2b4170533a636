//! The session machines for Python: thin wrappers that convert with pythonize and map errors
//! to the Python exceptions. The Python package wraps outputs and events in classes.

use std::sync::Arc;

use femtocwmp::session as s;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::{to_py, DecodeError, LocalProtocolError, RemoteProtocolError};

/// Maps a core session error to the matching Python exception.
pub(crate) fn session_err(e: s::SessionError) -> PyErr {
    match &e {
        s::SessionError::Local(_) => LocalProtocolError::new_err(e.to_string()),
        s::SessionError::Remote(_) => RemoteProtocolError::new_err(e.to_string()),
        s::SessionError::Decode(_) => DecodeError::new_err(e.to_string()),
        _ => RemoteProtocolError::new_err(e.to_string()),
    }
}

pub(crate) fn from_py<T: serde::de::DeserializeOwned>(
    obj: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<T> {
    pythonize::depythonize(obj)
        .map_err(|e| PyValueError::new_err(format!("not a valid {what}: {e}")))
}

/// An output as `(kind, value)`: `("transmit", dict)` with the body as bytes,
/// `("event", event JSON form)`, `("timeout", ms)` or `("idle", None)`.
pub(crate) fn output_to_py<'py, T: TransmitLike, E: serde::Serialize>(
    py: Python<'py>,
    out: s::Output<T, E>,
) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
    Ok(match out {
        s::Output::Transmit(t) => {
            let d = PyDict::new(py);
            t.fill(&d)?;
            ("transmit", d.into_any())
        }
        s::Output::Event(e) => ("event", to_py(py, &e)?),
        s::Output::Timeout(t) => ("timeout", t.0.into_pyobject(py)?.into_any()),
        s::Output::Idle => ("idle", py.None().into_bound(py)),
    })
}

pub(crate) trait TransmitLike {
    fn fill(self, d: &Bound<'_, PyDict>) -> PyResult<()>;
}

impl TransmitLike for s::HttpRequest {
    fn fill(self, d: &Bound<'_, PyDict>) -> PyResult<()> {
        d.set_item("url", self.url)?;
        d.set_item("headers", self.headers)?;
        d.set_item("body", PyBytes::new(d.py(), &self.body))
    }
}

impl TransmitLike for s::HttpResponse {
    fn fill(self, d: &Bound<'_, PyDict>) -> PyResult<()> {
        d.set_item("status", self.status)?;
        d.set_item("headers", self.headers)?;
        d.set_item("body", PyBytes::new(d.py(), &self.body))
    }
}

pub(crate) fn headers(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `{"method": "Fault", ...}` is a fault reply; any other body is a response.
fn reply(obj: &Bound<'_, PyAny>) -> PyResult<s::Reply> {
    let body: femtocwmp::Body = from_py(obj, "message body")?;
    Ok(match body {
        femtocwmp::Body::Fault(f) => Err(f),
        other => Ok(other),
    })
}

/// The HeNB side of one session (see `femtocwmp.CpeSession`).
#[pyclass(module = "femtocwmp._femtocwmp")]
pub struct CpeSession {
    inner: s::CpeSession,
}

#[pymethods]
impl CpeSession {
    #[new]
    fn new(config: &Bound<'_, PyAny>, inform: &Bound<'_, PyAny>, now: u64) -> PyResult<Self> {
        let config: s::CpeConfig = from_py(config, "CpeConfig")?;
        let inform: s::InformParams = from_py(inform, "Inform")?;
        Ok(CpeSession {
            inner: s::CpeSession::new(config, inform, s::Timestamp(now)),
        })
    }

    fn handle_http_response(
        &mut self,
        status: u16,
        headers_: Vec<(String, String)>,
        body: &[u8],
        now: u64,
    ) -> PyResult<()> {
        self.inner
            .handle_http_response(status, &headers(&headers_), body, s::Timestamp(now))
            .map_err(session_err)
    }

    fn handle_transport_failed(&mut self, reason: &str, now: u64) -> PyResult<()> {
        self.inner
            .handle_input(s::CpeInput::TransportFailed {
                now: s::Timestamp(now),
                reason,
            })
            .map_err(session_err)
    }

    fn handle_timeout(&mut self, now: u64) -> PyResult<()> {
        self.inner
            .handle_input(s::CpeInput::Timeout(s::Timestamp(now)))
            .map_err(session_err)
    }

    fn request(&mut self, body: &Bound<'_, PyAny>) -> PyResult<u64> {
        let body = from_py(body, "message body")?;
        self.inner.request(body).map(|id| id.0).map_err(session_err)
    }

    fn respond(&mut self, id: u64, body: &Bound<'_, PyAny>, now: u64) -> PyResult<()> {
        let r = reply(body)?;
        self.inner
            .respond(s::RequestId(id), r, s::Timestamp(now))
            .map_err(session_err)
    }

    fn poll_output<'py>(&mut self, py: Python<'py>) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        output_to_py(py, self.inner.poll_output())
    }

    #[getter]
    fn version(&self) -> &'static str {
        self.inner.version().as_str()
    }

    #[getter]
    fn url(&self) -> String {
        self.inner.url().to_owned()
    }

    #[getter]
    fn is_ended(&self) -> bool {
        self.inner.is_ended()
    }
}

/// An Inform read by the Acceptor (see `femtocwmp.Acceptor`).
#[pyclass(module = "femtocwmp._femtocwmp")]
pub struct Accepted {
    inner: Option<s::Accepted>,
}

/// Reads the first POST of a session.
#[pyfunction]
pub fn accept(headers_: Vec<(String, String)>, body: &[u8], now: u64) -> PyResult<Accepted> {
    s::Acceptor::accept(&headers(&headers_), body, s::Timestamp(now))
        .map(|a| Accepted { inner: Some(a) })
        .map_err(session_err)
}

#[pymethods]
impl Accepted {
    /// The Inform (JSON form).
    fn inform<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let a = self
            .inner
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("already turned into a session"))?;
        to_py(py, a.inform())
    }

    /// Starts the session with a configuration (an AcsConfig dict).
    #[pyo3(name = "into_session")]
    fn start_session(&mut self, config: &Bound<'_, PyAny>) -> PyResult<AcsSession> {
        let config: Arc<s::AcsConfig> = Arc::new(from_py(config, "AcsConfig")?);
        let a = self
            .inner
            .take()
            .ok_or_else(|| PyValueError::new_err("already turned into a session"))?;
        Ok(AcsSession {
            inner: a.into_session(config.clone()),
            config,
        })
    }
}

/// The HeMS side of one session (see `femtocwmp.AcsSession`).
#[pyclass(module = "femtocwmp._femtocwmp")]
pub struct AcsSession {
    config: Arc<s::AcsConfig>,
    inner: s::AcsSession,
}

#[pymethods]
impl AcsSession {
    fn handle_http_request(
        &mut self,
        headers_: Vec<(String, String)>,
        body: &[u8],
        now: u64,
    ) -> PyResult<()> {
        self.inner
            .handle_http_request(&headers(&headers_), body, s::Timestamp(now))
            .map_err(session_err)
    }

    fn handle_connection_closed(&mut self, now: u64) -> PyResult<()> {
        self.inner
            .handle_input(s::AcsInput::ConnectionClosed(s::Timestamp(now)))
            .map_err(session_err)
    }

    fn handle_transport_failed(&mut self, reason: &str, now: u64) -> PyResult<()> {
        self.inner
            .handle_input(s::AcsInput::TransportFailed {
                now: s::Timestamp(now),
                reason,
            })
            .map_err(session_err)
    }

    fn handle_timeout(&mut self, now: u64) -> PyResult<()> {
        self.inner
            .handle_input(s::AcsInput::Timeout(s::Timestamp(now)))
            .map_err(session_err)
    }

    fn queue(&mut self, body: &Bound<'_, PyAny>, now: u64) -> PyResult<u64> {
        let body = from_py(body, "message body")?;
        self.inner
            .queue(body, s::Timestamp(now))
            .map(|id| id.0)
            .map_err(session_err)
    }

    fn respond(&mut self, id: u64, body: &Bound<'_, PyAny>, now: u64) -> PyResult<()> {
        let r = reply(body)?;
        self.inner
            .respond(s::RequestId(id), r, s::Timestamp(now))
            .map_err(session_err)
    }

    fn finish(&mut self, now: u64) {
        self.inner.finish(s::Timestamp(now))
    }

    fn poll_output<'py>(&mut self, py: Python<'py>) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        output_to_py(py, self.inner.poll_output())
    }

    /// The session as JSON, to park it between two HTTP requests.
    fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).expect("sessions serialize")
    }

    /// Resumes a parked session with its configuration.
    #[staticmethod]
    fn from_json(json: &str, config: &Bound<'_, PyAny>) -> PyResult<AcsSession> {
        let config: Arc<s::AcsConfig> = Arc::new(from_py(config, "AcsConfig")?);
        let inner: s::AcsSession = serde_json::from_str(json)
            .map_err(|e| PyValueError::new_err(format!("not a parked session: {e}")))?;
        Ok(AcsSession {
            inner: inner.with_config(config.clone()),
            config,
        })
    }

    #[getter]
    fn cookie(&self) -> String {
        self.inner.cookie().to_owned()
    }

    #[getter]
    fn version(&self) -> &'static str {
        self.inner.version().as_str()
    }

    #[getter]
    fn is_ended(&self) -> bool {
        self.inner.is_ended()
    }

    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.config)
    }
}
