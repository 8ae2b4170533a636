//! SOAP faults carrying a `cwmp:Fault` (TR-069 A.5).

use serde::{Deserialize, Serialize};

use super::codes::{FaultCode, FaultKind};
use super::dom::NodeId;
use super::error::DecodeError;
use super::write::Writer;
use super::xml::{field, missing, required, Ctx, Xml};

/// A SOAP Fault whose detail is a `cwmp:Fault`: how a CPE or ACS refuses a request.
///
/// A fault is data, not an error of this library: decoding one succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// SOAP `faultcode`: `Client` or `Server` (any namespace prefix is dropped on decode).
    pub faultcode: FaultKind,
    /// SOAP `faultstring`, conventionally "CWMP fault".
    pub faultstring: String,
    /// The CWMP fault code.
    pub fault_code: FaultCode,
    /// The CWMP fault string.
    pub fault_string: String,
    /// Per-parameter faults of a SetParameterValues (under 9003).
    pub set_parameter_values_fault: Vec<SetParameterValuesFault>,
}

impl Default for Fault {
    fn default() -> Self {
        Fault::new(FaultCode::InternalError, "")
    }
}

/// One failing parameter of a SetParameterValues.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SetParameterValuesFault {
    /// The parameter.
    pub parameter_name: String,
    /// Why: 9005 name, 9006 type, 9007 value, 9008 not writable...
    pub fault_code: FaultCode,
    /// Text, if any.
    pub fault_string: String,
}

impl SetParameterValuesFault {
    /// A fault for one parameter, with the code's standard text.
    pub fn new(parameter_name: impl Into<String>, fault_code: FaultCode) -> Self {
        SetParameterValuesFault {
            parameter_name: parameter_name.into(),
            fault_code,
            fault_string: fault_code.description().to_owned(),
        }
    }
}

impl Fault {
    /// A fault with the code's Client/Server kind and "CWMP fault" as SOAP faultstring.
    /// An empty `fault_string` is replaced by the code's standard text.
    pub fn new(fault_code: FaultCode, fault_string: impl Into<String>) -> Self {
        let mut fault_string = fault_string.into();
        if fault_string.is_empty() {
            fault_string = fault_code.description().to_owned();
        }
        Fault {
            faultcode: fault_code.kind(),
            faultstring: "CWMP fault".into(),
            fault_code,
            fault_string,
            set_parameter_values_fault: Vec::new(),
        }
    }

    /// A 9003 fault listing each failing parameter of a SetParameterValues.
    pub fn set_parameter_values(faults: Vec<SetParameterValuesFault>) -> Self {
        Fault {
            set_parameter_values_fault: faults,
            ..Fault::new(FaultCode::InvalidArguments, "")
        }
    }
}

impl Xml for SetParameterValuesFault {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        Ok(SetParameterValuesFault {
            parameter_name: field(cx, node, "ParameterName")?,
            fault_code: required(cx, node, "FaultCode")?,
            fault_string: field::<Option<String>>(cx, node, "FaultString")?.unwrap_or_default(),
        })
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.open(tag);
        w.element("ParameterName", &self.parameter_name);
        self.fault_code.write(w, "FaultCode");
        w.element("FaultString", &self.fault_string);
        w.close(tag);
    }
}

impl<T: Xml> Xml for Option<T> {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        T::read(cx, node).map(Some)
    }
    fn absent(_: &mut Ctx<'_, '_>, _: NodeId, _: &'static str) -> Result<Self, DecodeError> {
        Ok(None)
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        if let Some(v) = self {
            v.write(w, tag)
        }
    }
}

/// Reads `<Fault>` (the SOAP one, in the Body).
pub(crate) fn read_fault(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Fault, DecodeError> {
    let dom = cx.dom;
    let faultcode = match dom.child(node, b"faultcode") {
        Some(c) => {
            let t = cx.trimmed(c);
            let local = t.rsplit(':').next().unwrap_or(&t);
            if local.eq_ignore_ascii_case("client") {
                FaultKind::Client
            } else {
                if !local.eq_ignore_ascii_case("server") {
                    cx.warn(
                        c,
                        format!("faultcode {t:?} is neither Client nor Server; taken as Server"),
                    );
                }
                FaultKind::Server
            }
        }
        None => {
            cx.warn(node, "missing <faultcode>; taken as Server");
            FaultKind::Server
        }
    };
    let faultstring = field(cx, node, "faultstring")?;
    let detail = dom
        .child(node, b"detail")
        .ok_or_else(|| missing(dom, node, "detail"))?;
    let cwmp = dom
        .child(detail, b"Fault")
        .ok_or_else(|| missing(dom, detail, "Fault"))?;
    let fault_code = required(cx, cwmp, "FaultCode")?;
    let fault_string = field::<Option<String>>(cx, cwmp, "FaultString")?.unwrap_or_default();
    let mut set_parameter_values_fault = Vec::new();
    for c in dom.children(cwmp) {
        if dom.local_name(c) == b"SetParameterValuesFault" {
            set_parameter_values_fault.push(SetParameterValuesFault::read(cx, c)?);
        }
    }
    Ok(Fault {
        faultcode,
        faultstring,
        fault_code,
        fault_string,
        set_parameter_values_fault,
    })
}

/// Writes the SOAP Fault with its `cwmp:Fault` detail.
pub(crate) fn write_fault(f: &Fault, w: &mut Writer<'_>) {
    w.raw("<soapenv:Fault><faultcode>");
    w.raw(match f.faultcode {
        FaultKind::Client => "Client",
        FaultKind::Server => "Server",
    });
    w.raw("</faultcode>");
    w.element("faultstring", &f.faultstring);
    w.raw("<detail><cwmp:Fault>");
    f.fault_code.write(w, "FaultCode");
    w.element("FaultString", &f.fault_string);
    for p in &f.set_parameter_values_fault {
        p.write(w, "SetParameterValuesFault");
    }
    w.raw("</cwmp:Fault></detail></soapenv:Fault>");
}
