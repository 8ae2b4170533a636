//! The `--html` report of `femtocwmp demo`: every flow as an SVG sequence diagram (the
//! messages that crossed the wire, in order, as in the TS 32.593 figures) and the summary
//! table. One self-contained file, no scripts, no external resources.

use std::fmt::Write;
use std::time::Instant;

use femtocwmp::session::Timestamp;
use quick_xml::escape::escape;

/// A titled part of the run (registration, one procedure on one HeNB).
struct Flow {
    title: String,
    /// The HeNB the flow is about, for messages whose sender the server cannot name.
    device: Option<String>,
    /// Its messages (the core's recorder, which also draws the diagram).
    trace: femtocwmp::trace::Trace,
}

/// The messages of a run, grouped by flow as they happen. The default one records nothing
/// (a long-running HeMS must not grow a trace); [`Trace::recording`] keeps everything.
pub(crate) struct Trace {
    on: bool,
    flows: Vec<Flow>,
    start: Instant,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            on: false,
            flows: Vec::new(),
            start: Instant::now(),
        }
    }
}

/// One line of the summary table.
pub(crate) struct SummaryRow<'a> {
    pub(crate) device: &'a str,
    pub(crate) procedure: &'a str,
    pub(crate) ok: bool,
    pub(crate) millis: f64,
    pub(crate) detail: &'a str,
}

impl Trace {
    /// A trace that keeps every message (for a bounded run such as the demo).
    pub(crate) fn recording() -> Trace {
        Trace {
            on: true,
            ..Trace::default()
        }
    }

    /// Whether messages are kept (describing them is work a quiet HeMS can skip).
    pub(crate) fn is_recording(&self) -> bool {
        self.on
    }

    /// Starts a new flow; the messages recorded from now on belong to it.
    pub(crate) fn begin(&mut self, title: &str, device: Option<&str>) {
        if !self.on {
            return;
        }
        self.flows.push(Flow {
            title: title.to_owned(),
            device: device.map(str::to_owned),
            trace: femtocwmp::trace::Trace::new(),
        });
    }

    /// Records a message in the current flow (before any `begin`: in an untitled one).
    pub(crate) fn record(&mut self, from: &str, to: &str, label: &str) {
        if !self.on {
            return;
        }
        if self.flows.is_empty() {
            self.begin("Start", None);
        }
        let at = Timestamp(self.start.elapsed().as_millis() as u64);
        let flow = self.flows.last_mut().expect("a flow");
        flow.trace.record(at, from, to, label);
    }

    /// The HeNB of the current flow, or "HeNB" when the flow is about several.
    pub(crate) fn current_device(&self) -> String {
        self.flows
            .last()
            .and_then(|f| f.device.clone())
            .unwrap_or_else(|| "HeNB".to_owned())
    }

    /// The whole report as one XHTML document.
    pub(crate) fn html(&self, rows: &[SummaryRow]) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head>\
             <meta charset=\"utf-8\"/><title>femtocwmp demo</title><style>\
             body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
             td,th{border:1px solid #999;padding:4px 8px;text-align:left}\
             .ok{color:#070}.failed{color:#b00}</style></head><body>\n\
             <h1>femtocwmp demo: TS 32.593 configuration management over CWMP</h1>\n\
             <h2>Summary</h2>\n<table><tr><th>device</th><th>procedure</th><th>outcome</th>\
             <th>time</th><th>detail</th></tr>\n",
        );
        for r in rows {
            let (class, outcome) = if r.ok {
                ("ok", "success")
            } else {
                ("failed", "FAILED")
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{outcome}</td>\
                 <td>{:.1} ms</td><td>{}</td></tr>",
                escape(r.device),
                escape(r.procedure),
                r.millis,
                escape(r.detail)
            );
        }
        out.push_str("</table>\n");
        for flow in &self.flows {
            let _ = writeln!(out, "<h2>{}</h2>", escape(&flow.title));
            out.push_str(&flow.trace.to_svg());
        }
        out.push_str("</body></html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_become_diagrams_with_escaped_labels() {
        let mut off = Trace::default();
        off.begin("x", None);
        off.record("a", "b", "c");
        assert_eq!(off.html(&[]).matches("<svg ").count(), 0);
        let mut t = Trace::recording();
        t.record("HeNB-1", "HeMS", "Inform [0 BOOTSTRAP]");
        t.begin("5.1.3 SPV <one>", Some("HeNB-1"));
        t.record("HeMS", "HeNB-1", "SetParameterValues & more");
        assert_eq!(t.current_device(), "HeNB-1");
        let html = t.html(&[SummaryRow {
            device: "HeNB-1",
            procedure: "5.1.3",
            ok: false,
            millis: 1.5,
            detail: "fault 9002",
        }]);
        assert!(html.contains("<h2>Start</h2>"));
        assert!(html.contains("<h2>5.1.3 SPV &lt;one&gt;</h2>"));
        assert!(html.contains(">SetParameterValues &amp; more</text>"));
        assert!(html.contains("class=\"failed\">FAILED</td><td>1.5 ms"));
        assert_eq!(html.matches("<svg ").count(), 2);
    }
}
