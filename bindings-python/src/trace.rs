//! The core's trace recorder for Python: record what crossed, draw the sequence diagram
//! (`_repr_svg_` shows it in a notebook).

use pyo3::prelude::*;

use femtocwmp::session::Timestamp;

/// A recorder of messages between HeNB, HeMS and file server, and its SVG sequence
/// diagram. Not thread-safe: one thread at a time (pyo3 checks it).
#[pyclass(module = "femtocwmp._femtocwmp", unsendable)]
pub struct Trace {
    inner: femtocwmp::trace::Trace,
}

#[pymethods]
impl Trace {
    #[new]
    #[pyo3(signature = (limit=10_000))]
    fn new(limit: usize) -> Self {
        Trace {
            inner: femtocwmp::trace::Trace::with_limit(limit),
        }
    }

    /// Records a message described by `label`, sent at `at_ms`.
    fn record(&mut self, at_ms: u64, sender: &str, receiver: &str, label: &str) {
        self.inner.record(Timestamp(at_ms), sender, receiver, label);
    }

    /// Records the CWMP message in an HTTP body (empty for the empty POST or the 204).
    fn record_message(&mut self, at_ms: u64, sender: &str, receiver: &str, body: &[u8]) {
        self.inner
            .record_message(Timestamp(at_ms), sender, receiver, body);
    }

    /// The entries as `(at_ms, sender, receiver, label)` tuples, oldest first.
    fn entries(&self) -> Vec<(u64, String, String, String)> {
        self.inner
            .entries()
            .iter()
            .map(|e| (e.at.0, e.from.clone(), e.to.clone(), e.label.clone()))
            .collect()
    }

    /// How many of the oldest entries were let go to stay within the limit.
    #[getter]
    fn dropped(&self) -> usize {
        self.inner.dropped()
    }

    /// Forgets everything recorded.
    fn clear(&mut self) {
        self.inner.clear();
    }

    /// The sequence diagram as an SVG document.
    fn to_svg(&self) -> String {
        self.inner.to_svg()
    }

    fn _repr_svg_(&self) -> String {
        self.inner.to_svg()
    }

    fn __len__(&self) -> usize {
        self.inner.entries().len()
    }

    fn __repr__(&self) -> String {
        format!("Trace({} messages)", self.inner.entries().len())
    }
}

/// A one-line description of the CWMP message in an HTTP body ("Inform [1 BOOT]").
#[pyfunction]
pub fn describe(body: &[u8]) -> String {
    femtocwmp::trace::describe(body)
}
