//! `hems::Hems` and `henb::Agent` for Python: thin wrappers, converting with pythonize.

use femtocwmp::hems as h;
use femtocwmp::henb as a;
use femtocwmp::session::{
    CertificateIdentity, ConnectionInfo, CredentialSource, DeviceCredentials, DeviceTable,
    Timestamp,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::session::{from_py, headers, output_to_py};
use crate::to_py;

/// The default femtocell data model for a device (JSON form of `henb::DataModel`).
#[pyfunction]
pub fn femtocell_model<'py>(
    py: Python<'py>,
    info: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let model = a::femtocell_model(&from_py::<a::FemtocellInfo>(info, "femtocell description")?);
    to_py(py, &model)
}

/// The HeNB agent (see `femtocwmp.Agent`).
#[pyclass(module = "femtocwmp._femtocwmp")]
pub struct Agent {
    inner: a::Agent,
}

#[pymethods]
impl Agent {
    #[new]
    fn new(config: &Bound<'_, PyAny>, model: &Bound<'_, PyAny>, now: u64) -> PyResult<Self> {
        let config: a::AgentConfig = from_py(config, "AgentConfig")?;
        let model: a::DataModel = from_py(model, "DataModel")?;
        Ok(Agent {
            inner: a::Agent::new(config, model, Timestamp(now)),
        })
    }

    /// Resumes from `snapshot()` JSON.
    #[staticmethod]
    fn restore(snapshot: &str, rebooted: bool, now: u64) -> PyResult<Agent> {
        let s: a::AgentSnapshot = serde_json::from_str(snapshot)
            .map_err(|e| PyValueError::new_err(format!("not an agent snapshot: {e}")))?;
        Ok(Agent {
            inner: a::Agent::restore(s, rebooted, Timestamp(now)),
        })
    }

    fn snapshot(&self) -> String {
        serde_json::to_string(&self.inner.snapshot()).expect("snapshots serialize")
    }

    fn model<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.model())
    }

    fn value(&self, name: &str) -> Option<String> {
        self.inner.model().value(name).map(str::to_owned)
    }

    fn handle_http_response(
        &mut self,
        status: u16,
        headers_: Vec<(String, String)>,
        body: &[u8],
        now: u64,
    ) {
        self.inner
            .handle_http_response(status, &headers(&headers_), body, Timestamp(now))
    }

    fn handle_transport_failed(&mut self, reason: &str, now: u64) {
        self.inner.handle_transport_failed(reason, Timestamp(now))
    }

    fn handle_timeout(&mut self, now: u64) {
        self.inner.handle_timeout(Timestamp(now))
    }

    #[pyo3(signature = (command_key, data, now, fault_code=None, fault_string=None))]
    fn download_finished(
        &mut self,
        command_key: &str,
        data: Option<&[u8]>,
        now: u64,
        fault_code: Option<u32>,
        fault_string: Option<String>,
    ) {
        let result = match (data, fault_code) {
            (Some(d), None) => Ok(d.to_vec()),
            (_, code) => Err((
                femtocwmp::FaultCode::from_code(code.unwrap_or(9010)),
                fault_string.unwrap_or_default(),
            )),
        };
        self.inner
            .download_finished(command_key, result, Timestamp(now))
    }

    fn set_ipsec_address(&mut self, address: &str, now: u64) {
        self.inner.set_ipsec_address(address, Timestamp(now))
    }

    fn parameter_changed_internally(&mut self, name: &str, value: &str, now: u64) {
        self.inner
            .parameter_changed_internally(name, value, Timestamp(now))
    }

    fn connection_request(&mut self, now: u64) {
        self.inner.connection_request(Timestamp(now))
    }

    fn handle_connection_request(
        &mut self,
        method: &str,
        headers_: Vec<(String, String)>,
        now: u64,
    ) -> (u16, Vec<(String, String)>) {
        let r = self
            .inner
            .handle_connection_request(method, &headers(&headers_), Timestamp(now));
        (r.status, r.headers)
    }

    fn poll_output<'py>(&mut self, py: Python<'py>) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        output_to_py(py, self.inner.poll_output())
    }

    #[getter]
    fn in_session(&self) -> bool {
        self.inner.in_session()
    }
}

/// A credential source that asks a Python callable: `source("username", name)` returns
/// `(device_key, credentials)` or None, `source("device", key)` returns `credentials` or None.
/// An exception or a result of another shape counts as None, and is reported through
/// `sys.unraisablehook` so that it is not lost.
struct PyCredentialSource(Py<PyAny>);

impl PyCredentialSource {
    fn ask<T>(
        &self,
        kind: &str,
        key: &str,
        read: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>,
    ) -> Option<T> {
        Python::attach(|py| {
            let answer = self.0.call1(py, (kind, key)).and_then(|r| {
                let r = r.into_bound(py);
                if r.is_none() {
                    Ok(None)
                } else {
                    read(&r).map(Some)
                }
            });
            match answer {
                Ok(v) => v,
                Err(e) => {
                    e.write_unraisable(py, Some(self.0.bind(py)));
                    None
                }
            }
        })
    }
}

impl CredentialSource for PyCredentialSource {
    fn by_username(&self, username: &str) -> Option<(String, DeviceCredentials)> {
        self.ask("username", username, |r| {
            let (device, creds): (String, Bound<'_, PyAny>) = r.extract()?;
            Ok((device, from_py(&creds, "credentials")?))
        })
    }

    fn by_device(&self, device: &str) -> Option<DeviceCredentials> {
        self.ask("device", device, |r| from_py(r, "credentials"))
    }
}

/// The HeMS procedure layer (see `femtocwmp.Hems`).
#[pyclass(module = "femtocwmp._femtocwmp")]
pub struct Hems {
    inner: h::Hems,
}

#[pymethods]
impl Hems {
    #[new]
    #[pyo3(signature = (config=None))]
    fn new(config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let config: h::HemsConfig = match config {
            Some(c) => from_py(c, "HemsConfig")?,
            None => h::HemsConfig::default(),
        };
        Ok(Hems {
            inner: h::Hems::new(config),
        })
    }

    /// Each device's credentials from a table `{device_key: {"username", "password" or
    /// "ha1", ...}}`, checked as a `--devices` file is.
    fn set_device_table(&mut self, table: &Bound<'_, PyAny>) -> PyResult<()> {
        let entries: std::collections::BTreeMap<String, DeviceCredentials> =
            from_py(table, "device table")?;
        let table = DeviceTable::new(entries).map_err(PyValueError::new_err)?;
        self.inner.set_credential_source(Box::new(table));
        Ok(())
    }

    /// Each device's credentials from a callable (see `PyCredentialSource`).
    fn set_credential_source(&mut self, source: Bound<'_, PyAny>) -> PyResult<()> {
        if !source.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "the credential source must be callable: source(kind, key)",
            ));
        }
        self.inner
            .set_credential_source(Box::new(PyCredentialSource(source.unbind())));
        Ok(())
    }

    #[pyo3(signature = (conn, peer=None, tls=false, client_certificate=None))]
    fn connection_opened(
        &mut self,
        conn: u64,
        peer: Option<String>,
        tls: bool,
        client_certificate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let client_certificate = client_certificate
            .map(|c| from_py::<CertificateIdentity>(c, "client certificate"))
            .transpose()?;
        self.inner.connection_opened(
            conn,
            ConnectionInfo {
                peer,
                tls,
                client_certificate,
            },
        );
        Ok(())
    }

    #[pyo3(signature = (device, procedure, now, key=None))]
    fn submit(
        &mut self,
        device: &str,
        procedure: &Bound<'_, PyAny>,
        now: u64,
        key: Option<&str>,
    ) -> PyResult<u64> {
        let p: h::Procedure = from_py(procedure, "Procedure")?;
        Ok(match key {
            Some(k) => self.inner.submit_keyed(device, p, k, Timestamp(now)).0,
            None => self.inner.submit(device, p, Timestamp(now)).0,
        })
    }

    fn next_procedure_id(&self) -> u64 {
        self.inner.next_procedure_id().0
    }

    fn reserve_procedure_ids(&mut self, next: u64) {
        self.inner.reserve_procedure_ids(h::ProcedureId(next))
    }

    fn handle_http_request(
        &mut self,
        conn: u64,
        headers_: Vec<(String, String)>,
        body: &[u8],
        now: u64,
    ) {
        self.inner
            .handle_http_request(conn, &headers(&headers_), body, Timestamp(now))
    }

    fn handle_request_head(
        &mut self,
        conn: u64,
        headers_: Vec<(String, String)>,
        now: u64,
    ) -> bool {
        self.inner
            .handle_request_head(conn, &headers(&headers_), Timestamp(now))
    }

    fn handle_connection_closed(&mut self, conn: u64, now: u64) {
        self.inner.handle_connection_closed(conn, Timestamp(now))
    }

    fn handle_timeout(&mut self, now: u64) {
        self.inner.handle_timeout(Timestamp(now))
    }

    fn export_device<'py>(
        &self,
        py: Python<'py>,
        device: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .export_device(device)
            .map(|r| to_py(py, &r))
            .transpose()
    }

    fn take_device_change<'py>(
        &mut self,
        py: Python<'py>,
        device: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .take_device_change(device)
            .map(|c| to_py(py, &c))
            .transpose()
    }

    #[pyo3(signature = (record, key=None))]
    fn import_device(&mut self, record: &Bound<'_, PyAny>, key: Option<&str>) -> PyResult<()> {
        let r: h::DeviceRecord = from_py(record, "DeviceRecord")?;
        match key {
            Some(k) => self.inner.import_device_as(k, r),
            None => self.inner.import_device(r),
        }
        Ok(())
    }

    #[pyo3(signature = (conn, record, now))]
    fn provide_device(
        &mut self,
        conn: u64,
        record: Option<&Bound<'_, PyAny>>,
        now: u64,
    ) -> PyResult<()> {
        let r = record
            .map(|r| from_py::<h::DeviceRecord>(r, "DeviceRecord"))
            .transpose()?;
        self.inner.provide_device(conn, r, Timestamp(now));
        Ok(())
    }

    /// The next output as `(kind, value)`.
    fn poll_output<'py>(&mut self, py: Python<'py>) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let d = PyDict::new(py);
        Ok(match self.inner.poll_output() {
            h::HemsOutput::Respond { conn, response } => {
                d.set_item("conn", conn)?;
                d.set_item("status", response.status)?;
                d.set_item("headers", response.headers)?;
                d.set_item("body", PyBytes::new(py, &response.body))?;
                ("respond", d.into_any())
            }
            h::HemsOutput::ConnectionRequest {
                device,
                url,
                username,
                password,
            } => {
                d.set_item("device", device)?;
                d.set_item("url", url)?;
                d.set_item("username", username)?;
                d.set_item("password", password)?;
                ("connection_request", d.into_any())
            }
            h::HemsOutput::LoadDevice { conn, device } => {
                d.set_item("conn", conn)?;
                d.set_item("device", device)?;
                ("load_device", d.into_any())
            }
            h::HemsOutput::StoreDevice { device, record } => {
                d.set_item("device", device)?;
                d.set_item("record", to_py(py, &*record)?)?;
                ("store_device", d.into_any())
            }
            h::HemsOutput::Persist {
                device,
                change,
                events,
            } => {
                d.set_item("device", device)?;
                d.set_item("change", to_py(py, &*change)?)?;
                d.set_item("events", to_py(py, &events)?)?;
                ("persist", d.into_any())
            }
            h::HemsOutput::Event(e) => ("event", to_py(py, &e)?),
            h::HemsOutput::Timeout(t) => ("timeout", t.0.into_pyobject(py)?.into_any()),
            _ => ("idle", py.None().into_bound(py)),
        })
    }
}
