//! A recorder of the messages that cross between HeNB, HeMS and file server, and its
//! rendering as an SVG sequence diagram with one lifeline per participant — the shape of
//! TS 32.593 Figures 5-1 to 5-3. Sans-IO like the rest: the caller records what it sends and
//! receives, with its own timestamps; rendering returns a string.
//!
//! ```
//! use femtocwmp::session::Timestamp;
//! use femtocwmp::trace::Trace;
//!
//! let mut t = Trace::new();
//! t.record(Timestamp(0), "HeNB", "HeMS", "Inform [1 BOOT]");
//! t.record_message(Timestamp(3), "HeMS", "HeNB", b""); // the empty 204
//! assert_eq!(t.entries()[1].label, "(empty)");
//! assert!(t.to_svg().starts_with("<svg "));
//! ```

use std::fmt::Write;

use quick_xml::escape::escape;
use serde::{Deserialize, Serialize};

use crate::codec::{decode, Body};
use crate::session::Timestamp;

/// One recorded message: `from` sent `label` to `to` at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// When (the caller's clock).
    pub at: Timestamp,
    /// The sender ("HeNB-1", "HeMS", "file server").
    pub from: String,
    /// The receiver.
    pub to: String,
    /// What it was, one line ("Inform [1 BOOT]", "HTTP 204").
    pub label: String,
}

/// The messages of a flow, in order. Bounded by [`Trace::with_limit`] so that a long-running
/// process does not grow without end: past the limit the oldest entries go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    entries: Vec<TraceEntry>,
    limit: usize,
    dropped: usize,
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new()
    }
}

impl Trace {
    /// An empty trace keeping up to 10,000 entries.
    pub fn new() -> Trace {
        Trace::with_limit(10_000)
    }

    /// An empty trace keeping the last `limit` entries (at least one).
    pub fn with_limit(limit: usize) -> Trace {
        Trace {
            entries: Vec::new(),
            limit: limit.max(1),
            dropped: 0,
        }
    }

    /// Records a message described by `label`.
    pub fn record(&mut self, at: Timestamp, from: &str, to: &str, label: &str) {
        if self.entries.len() == self.limit {
            self.entries.remove(0);
            self.dropped += 1;
        }
        self.entries.push(TraceEntry {
            at,
            from: from.to_owned(),
            to: to.to_owned(),
            label: label.to_owned(),
        });
    }

    /// Records the CWMP message in `body` (an HTTP body; empty for the empty POST or 204),
    /// labelled by [`describe`].
    pub fn record_message(&mut self, at: Timestamp, from: &str, to: &str, body: &[u8]) {
        self.record(at, from, to, &describe(body));
    }

    /// What was recorded, oldest first.
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// How many of the oldest entries were let go to stay within the limit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Forgets everything recorded.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
    }

    /// The sequence diagram: a lifeline per participant in order of appearance, an arrow per
    /// message with its label and its time relative to the first one. A standalone SVG
    /// element (also valid inside XHTML); every text is escaped.
    pub fn to_svg(&self) -> String {
        const COLUMN: usize = 260;
        const ROW: usize = 30;
        const TOP: usize = 40;
        let mut who: Vec<&str> = Vec::new();
        for m in &self.entries {
            for p in [m.from.as_str(), m.to.as_str()] {
                if !who.contains(&p) {
                    who.push(p);
                }
            }
        }
        let x = |p: &str| who.iter().position(|w| *w == p).unwrap_or(0) * COLUMN + COLUMN / 2;
        let width = who.len().max(1) * COLUMN + 60;
        let height = TOP + self.entries.len() * ROW + 20;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             font-size=\"12\" font-family=\"sans-serif\">\n<defs><marker id=\"arrow\" \
             markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" orient=\"auto\">\
             <path d=\"M0,0 L10,4 L0,8 z\"/></marker></defs>\n"
        );
        for p in &who {
            let px = x(p);
            let _ = writeln!(
                svg,
                "<text x=\"{px}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
                 <line x1=\"{px}\" y1=\"28\" x2=\"{px}\" y2=\"{}\" stroke=\"#999\" \
                 stroke-dasharray=\"4 3\"/>",
                escape(*p),
                height - 5
            );
        }
        let t0 = self.entries.first().map_or(0, |e| e.at.0);
        for (i, m) in self.entries.iter().enumerate() {
            let y = TOP + i * ROW + 18;
            let (x1, x2) = (x(&m.from), x(&m.to));
            let _ = writeln!(
                svg,
                "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"black\" \
                 marker-end=\"url(#arrow)\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}\
                 </text><text x=\"{}\" y=\"{y}\" fill=\"#777\" font-size=\"10\">+{} ms</text>",
                (x1 + x2) / 2,
                y - 4,
                escape(&m.label),
                width - 55,
                m.at.0.saturating_sub(t0)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// A one-line description of the CWMP message in an HTTP body: its method and what matters
/// in the seed flows (Inform events and the IPsec address, Download file type and URL,
/// TransferComplete fault code, SetParameterValues size, statuses, faults).
pub fn describe(body: &[u8]) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        return "(empty)".into();
    }
    match decode(body) {
        Ok(env) => describe_body(&env.body),
        Err(e) => format!("(undecodable: {e})"),
    }
}

/// [`describe`] for a decoded body.
pub fn describe_body(body: &Body) -> String {
    match body {
        Body::Inform(i) => {
            let ev: Vec<String> = i
                .event
                .iter()
                .map(|e| {
                    if e.command_key.is_empty() {
                        e.event_code.to_string()
                    } else {
                        format!("{} {:?}", e.event_code, e.command_key)
                    }
                })
                .collect();
            let ipsec = i
                .parameter(crate::henb::IPSEC_ADDRESS)
                .map(|v| format!(", IPsec {v}"))
                .unwrap_or_default();
            format!("Inform [{}]{ipsec}", ev.join(", "))
        }
        Body::Download(d) => format!("Download {} {} ({})", d.file_type, d.url, d.command_key),
        Body::DownloadResponse(r) => format!("DownloadResponse Status {}", r.status),
        Body::TransferComplete(t) => format!(
            "TransferComplete {} FaultCode {}",
            t.command_key, t.fault_struct.fault_code
        ),
        Body::SetParameterValues(s) => {
            format!("SetParameterValues ({} parameters)", s.parameter_list.len())
        }
        Body::SetParameterValuesResponse(r) => {
            format!("SetParameterValuesResponse Status {}", r.status)
        }
        Body::GetParameterValues(g) => {
            format!("GetParameterValues ({} names)", g.parameter_names.len())
        }
        Body::Fault(f) => format!("Fault {} {}", f.fault_code, f.fault_string),
        Body::Empty => "(empty)".into(),
        b => b.method_name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_what_matters_in_the_flows() {
        use crate::samples::all_envelopes;
        for env in all_envelopes() {
            let label = describe(&crate::encode(&env));
            assert!(
                label.starts_with(env.body.method_name()) || label.starts_with("(empty)"),
                "{label}"
            );
        }
        assert_eq!(describe(b"  \n"), "(empty)");
        assert!(describe(b"<nope").starts_with("(undecodable: "));
    }

    #[test]
    fn the_svg_escapes_and_the_limit_holds() {
        let mut t = Trace::with_limit(2);
        t.record(Timestamp(10), "HeNB <1>", "HeMS", "a & b");
        t.record(Timestamp(15), "HeMS", "HeNB <1>", "c");
        t.record(Timestamp(20), "HeMS", "file server", "d");
        assert_eq!(t.entries().len(), 2);
        assert_eq!(t.dropped(), 1);
        let svg = t.to_svg();
        assert!(svg.contains("HeNB &lt;1&gt;") && !svg.contains("a &amp; b"));
        assert!(svg.contains(">+5 ms<"), "{svg}");
        assert_eq!(svg.matches("marker-end").count(), 2);
        let mut reader = quick_xml::Reader::from_str(&svg);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}"),
            }
        }
        t.clear();
        assert!(t.entries().is_empty() && t.dropped() == 0);
    }
}
