//! The SOAP envelope: version, namespace, header and the one-of-every-method body.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::dom::{Dom, NodeId};
use super::error::{DecodeError, DecodeLimits, DecodeWarning};
use super::fault::{read_fault, write_fault, Fault};
use super::rpc::*;
use super::write::Writer;
use super::xml::{Ctx, Xml};

/// A CWMP protocol version (TR-069 Issue 1 Amendment 1 = 1.0 ... Amendment 5/6 = 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CwmpVersion {
    /// CWMP 1.0 (namespace `cwmp-1-0`).
    V1_0,
    /// CWMP 1.1 (namespace `cwmp-1-1`).
    V1_1,
    /// CWMP 1.2 (namespace `cwmp-1-2`).
    #[default]
    V1_2,
    /// CWMP 1.3 (namespace `cwmp-1-2`, SessionTimeout header).
    V1_3,
    /// CWMP 1.4 (namespace `cwmp-1-2`, version negotiation headers).
    V1_4,
}

impl CwmpVersion {
    /// Every version, oldest first.
    pub const ALL: [CwmpVersion; 5] = [
        CwmpVersion::V1_0,
        CwmpVersion::V1_1,
        CwmpVersion::V1_2,
        CwmpVersion::V1_3,
        CwmpVersion::V1_4,
    ];

    /// `"1.0"` ... `"1.4"`, as in SupportedCWMPVersions / UseCWMPVersion.
    pub fn as_str(self) -> &'static str {
        match self {
            CwmpVersion::V1_0 => "1.0",
            CwmpVersion::V1_1 => "1.1",
            CwmpVersion::V1_2 => "1.2",
            CwmpVersion::V1_3 => "1.3",
            CwmpVersion::V1_4 => "1.4",
        }
    }

    /// Reads `"1.N"`.
    pub fn parse(s: &str) -> Option<CwmpVersion> {
        CwmpVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
    }

    /// The BBF namespace of this version: 1.3 and 1.4 have none of their own and use
    /// `cwmp-1-2` (cwmp-1-3.xsd and cwmp-1-4.xsd targetNamespace).
    pub fn namespace(self) -> Namespace {
        match self {
            CwmpVersion::V1_0 => Namespace::Cwmp10,
            CwmpVersion::V1_1 => Namespace::Cwmp11,
            _ => Namespace::Cwmp12,
        }
    }
}

impl fmt::Display for CwmpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CwmpVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CwmpVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CwmpVersion::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown CWMP version {s:?}")))
    }
}

/// The `urn:dslforum-org:cwmp-1-N` namespace of an envelope. BBF defines 1-0, 1-1 and 1-2;
/// devices also send 1-3 and 1-4, and a reply goes out in the namespace the peer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Namespace {
    /// `urn:dslforum-org:cwmp-1-0`
    Cwmp10,
    /// `urn:dslforum-org:cwmp-1-1`
    Cwmp11,
    /// `urn:dslforum-org:cwmp-1-2` (also CWMP 1.3 and 1.4)
    #[default]
    Cwmp12,
    /// `urn:dslforum-org:cwmp-1-3` (not defined by BBF; seen from devices)
    Cwmp13,
    /// `urn:dslforum-org:cwmp-1-4` (not defined by BBF; seen from devices)
    Cwmp14,
}

impl Namespace {
    /// The namespace URI.
    pub fn uri(self) -> &'static str {
        match self {
            Namespace::Cwmp10 => "urn:dslforum-org:cwmp-1-0",
            Namespace::Cwmp11 => "urn:dslforum-org:cwmp-1-1",
            Namespace::Cwmp12 => "urn:dslforum-org:cwmp-1-2",
            Namespace::Cwmp13 => "urn:dslforum-org:cwmp-1-3",
            Namespace::Cwmp14 => "urn:dslforum-org:cwmp-1-4",
        }
    }

    /// Reads a namespace URI.
    pub fn from_uri(uri: &str) -> Option<Namespace> {
        Some(match uri.trim() {
            "urn:dslforum-org:cwmp-1-0" => Namespace::Cwmp10,
            "urn:dslforum-org:cwmp-1-1" => Namespace::Cwmp11,
            "urn:dslforum-org:cwmp-1-2" => Namespace::Cwmp12,
            "urn:dslforum-org:cwmp-1-3" => Namespace::Cwmp13,
            "urn:dslforum-org:cwmp-1-4" => Namespace::Cwmp14,
            _ => return None,
        })
    }

    /// Whether BBF publishes a schema for it.
    pub fn is_standard(self) -> bool {
        matches!(
            self,
            Namespace::Cwmp10 | Namespace::Cwmp11 | Namespace::Cwmp12
        )
    }
}

impl Serialize for Namespace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.uri())
    }
}

impl<'de> Deserialize<'de> for Namespace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Namespace::from_uri(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown CWMP namespace {s:?}")))
    }
}

/// The SOAP header elements of CWMP (TR-069 A.3.2.1 Table 28 ... A.3.2.1; cwmp-1-4.xsd).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Header {
    /// `cwmp:ID`: correlates a request with its response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `cwmp:HoldRequests` (ACS only): the CPE must send no request in its next POST.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_requests: Option<bool>,
    /// `cwmp:SessionTimeout` (1.3, CPE in the Inform): seconds the CPE waits for the ACS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<u32>,
    /// `cwmp:SupportedCWMPVersions` (1.4, CPE in the Inform): e.g. `"1.0,1.1,1.2,1.3,1.4"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_cwmp_versions: Option<String>,
    /// `cwmp:UseCWMPVersion` (1.4, ACS in the InformResponse): e.g. `"1.4"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_cwmp_version: Option<String>,
    /// `cwmp:NoMoreRequests` (Issue 1 only, absent from every schema): decoded so that it
    /// can be seen, never encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_more_requests: Option<bool>,
}

impl Header {
    /// A header with just a `cwmp:ID`.
    pub fn with_id(id: impl Into<String>) -> Self {
        Header {
            id: Some(id.into()),
            ..Header::default()
        }
    }

    fn is_empty_on_wire(&self) -> bool {
        self.id.is_none()
            && self.hold_requests.is_none()
            && self.session_timeout.is_none()
            && self.supported_cwmp_versions.is_none()
            && self.use_cwmp_version.is_none()
    }
}

/// Who sends a message (h11's symmetry: what one side sends, the other receives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// ACS to CPE (carried in HTTP responses).
    ToCpe,
    /// CPE to ACS (carried in HTTP POSTs).
    ToAcs,
    /// Either side may send it (GetRPCMethods, faults, the empty message).
    Either,
}

/// Whether a message asks, answers, refuses or is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// A method call.
    Request,
    /// A method response.
    Response,
    /// A SOAP fault answering a request.
    Fault,
    /// No SOAP envelope (the CPE's empty POST, the ACS's empty response).
    Empty,
}

/// Declares [`Body`]: one variant per method and response, with its wire name, direction and
/// kind, and the decode/encode dispatch.
macro_rules! body {
    (
        $( $(#[$m:meta])* $variant:ident $( ( $ty:ty ) )? => $dir:ident $kind:ident ; )*
    ) => {
        /// The content of the SOAP Body: exactly one CWMP message, or a fault, or nothing.
        ///
        /// JSON form: internally tagged by `"method"` (the CWMP method name), with the
        /// message's fields beside it, e.g. `{"method": "Reboot", "command_key": "k"}`.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "method")]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)]
        pub enum Body {
            $( $(#[$m])* $variant $( ( $ty ) )?, )*
            /// A SOAP Fault with a `cwmp:Fault` detail.
            Fault(Fault),
            /// No envelope at all: the CPE's empty POST or the ACS's empty (204) response.
            Empty,
        }

        impl Body {
            /// Every method name, in declaration order (for tables and drift tests).
            pub const METHOD_NAMES: &'static [&'static str] = &[ $( stringify!($variant), )* ];

            /// The CWMP method (or response) name, `"Fault"` or `"Empty"`.
            pub fn method_name(&self) -> &'static str {
                match self {
                    $( body!(@pat $variant $( $ty )?) => stringify!($variant), )*
                    Body::Fault(_) => "Fault",
                    Body::Empty => "Empty",
                }
            }

            /// Who sends this message.
            pub fn direction(&self) -> Direction {
                match self {
                    $( body!(@pat $variant $( $ty )?) => Direction::$dir, )*
                    Body::Fault(_) | Body::Empty => Direction::Either,
                }
            }

            /// Request, response, fault or empty.
            pub fn kind(&self) -> MessageKind {
                match self {
                    $( body!(@pat $variant $( $ty )?) => MessageKind::$kind, )*
                    Body::Fault(_) => MessageKind::Fault,
                    Body::Empty => MessageKind::Empty,
                }
            }

            /// A message of the named method with every argument at its default (empty
            /// strings, zero, empty lists), to be filled in field by field: where the C
            /// builders start. `None` for an unknown name (and for `Fault`, which needs a code).
            pub fn with_defaults(method: &str) -> Option<Body> {
                $(
                    if method == stringify!($variant) {
                        return Some(body!(@default $variant $( $ty )?));
                    }
                )*
                (method == "Empty").then_some(Body::Empty)
            }

            fn read(cx: &mut Ctx<'_, '_>, node: NodeId, name: &[u8]) -> Result<Body, DecodeError> {
                $(
                    if name == stringify!($variant).as_bytes() {
                        return Ok(body!(@read cx node $variant $( $ty )?));
                    }
                )*
                if name == b"Fault" {
                    return Ok(Body::Fault(read_fault(cx, node)?));
                }
                Err(DecodeError::UnknownMethod { name: String::from_utf8_lossy(name).into_owned() })
            }

            fn write(&self, w: &mut Writer<'_>) {
                match self {
                    $( body!(@bind $variant v $( $ty )?) => {
                        w.raw(concat!("<cwmp:", stringify!($variant)));
                        body!(@write w v $variant $( $ty )?);
                    } )*
                    Body::Fault(f) => write_fault(f, w),
                    Body::Empty => {}
                }
            }
        }
    };
    (@default $variant:ident $ty:ty) => { Body::$variant(<$ty>::default()) };
    (@default $variant:ident) => { Body::$variant };
    (@pat $variant:ident $ty:ty) => { Body::$variant(_) };
    (@pat $variant:ident) => { Body::$variant };
    (@bind $variant:ident $v:ident $ty:ty) => { Body::$variant($v) };
    (@bind $variant:ident $v:ident) => { Body::$variant };
    (@read $cx:ident $node:ident $variant:ident $ty:ty) => { Body::$variant(<$ty as Xml>::read($cx, $node)?) };
    (@read $cx:ident $node:ident $variant:ident) => { Body::$variant };
    (@write $w:ident $v:ident $variant:ident $ty:ty) => {{
        $w.raw(">");
        $v.write_fields($w);
        $w.raw(concat!("</cwmp:", stringify!($variant), ">"));
    }};
    (@write $w:ident $v:ident $variant:ident) => { $w.raw("/>") };
}

body! {
    /// GetRPCMethods (either side may call it).
    GetRPCMethods => Either Request;
    /// GetRPCMethodsResponse.
    GetRPCMethodsResponse(GetRPCMethodsResponse) => Either Response;
    /// SetParameterValues.
    SetParameterValues(SetParameterValues) => ToCpe Request;
    /// SetParameterValuesResponse.
    SetParameterValuesResponse(SetParameterValuesResponse) => ToAcs Response;
    /// GetParameterValues.
    GetParameterValues(GetParameterValues) => ToCpe Request;
    /// GetParameterValuesResponse.
    GetParameterValuesResponse(GetParameterValuesResponse) => ToAcs Response;
    /// GetParameterNames.
    GetParameterNames(GetParameterNames) => ToCpe Request;
    /// GetParameterNamesResponse.
    GetParameterNamesResponse(GetParameterNamesResponse) => ToAcs Response;
    /// SetParameterAttributes.
    SetParameterAttributes(SetParameterAttributes) => ToCpe Request;
    /// SetParameterAttributesResponse (no arguments).
    SetParameterAttributesResponse => ToAcs Response;
    /// GetParameterAttributes.
    GetParameterAttributes(GetParameterAttributes) => ToCpe Request;
    /// GetParameterAttributesResponse.
    GetParameterAttributesResponse(GetParameterAttributesResponse) => ToAcs Response;
    /// AddObject.
    AddObject(AddObject) => ToCpe Request;
    /// AddObjectResponse.
    AddObjectResponse(AddObjectResponse) => ToAcs Response;
    /// DeleteObject.
    DeleteObject(DeleteObject) => ToCpe Request;
    /// DeleteObjectResponse.
    DeleteObjectResponse(DeleteObjectResponse) => ToAcs Response;
    /// Reboot.
    Reboot(Reboot) => ToCpe Request;
    /// RebootResponse (no arguments).
    RebootResponse => ToAcs Response;
    /// Download.
    Download(Download) => ToCpe Request;
    /// DownloadResponse.
    DownloadResponse(DownloadResponse) => ToAcs Response;
    /// Upload.
    Upload(Upload) => ToCpe Request;
    /// UploadResponse.
    UploadResponse(UploadResponse) => ToAcs Response;
    /// FactoryReset (no arguments).
    FactoryReset => ToCpe Request;
    /// FactoryResetResponse (no arguments).
    FactoryResetResponse => ToAcs Response;
    /// GetQueuedTransfers (no arguments; deprecated).
    GetQueuedTransfers => ToCpe Request;
    /// GetQueuedTransfersResponse (deprecated).
    GetQueuedTransfersResponse(GetQueuedTransfersResponse) => ToAcs Response;
    /// GetAllQueuedTransfers (no arguments; 1.1).
    GetAllQueuedTransfers => ToCpe Request;
    /// GetAllQueuedTransfersResponse (1.1).
    GetAllQueuedTransfersResponse(GetAllQueuedTransfersResponse) => ToAcs Response;
    /// ScheduleInform.
    ScheduleInform(ScheduleInform) => ToCpe Request;
    /// ScheduleInformResponse (no arguments).
    ScheduleInformResponse => ToAcs Response;
    /// SetVouchers (deprecated).
    SetVouchers(SetVouchers) => ToCpe Request;
    /// SetVouchersResponse (no arguments; deprecated).
    SetVouchersResponse => ToAcs Response;
    /// GetOptions (deprecated).
    GetOptions(GetOptions) => ToCpe Request;
    /// GetOptionsResponse (deprecated).
    GetOptionsResponse(GetOptionsResponse) => ToAcs Response;
    /// ScheduleDownload (1.2).
    ScheduleDownload(ScheduleDownload) => ToCpe Request;
    /// ScheduleDownloadResponse (no arguments; 1.2).
    ScheduleDownloadResponse => ToAcs Response;
    /// CancelTransfer (1.2).
    CancelTransfer(CancelTransfer) => ToCpe Request;
    /// CancelTransferResponse (no arguments; 1.2).
    CancelTransferResponse => ToAcs Response;
    /// ChangeDUState (1.2).
    ChangeDUState(ChangeDUState) => ToCpe Request;
    /// ChangeDUStateResponse (no arguments; 1.2).
    ChangeDUStateResponse => ToAcs Response;
    /// Inform.
    Inform(Inform) => ToAcs Request;
    /// InformResponse.
    InformResponse(InformResponse) => ToCpe Response;
    /// TransferComplete.
    TransferComplete(TransferComplete) => ToAcs Request;
    /// TransferCompleteResponse (no arguments).
    TransferCompleteResponse => ToCpe Response;
    /// AutonomousTransferComplete (1.1).
    AutonomousTransferComplete(AutonomousTransferComplete) => ToAcs Request;
    /// AutonomousTransferCompleteResponse (no arguments; 1.1).
    AutonomousTransferCompleteResponse => ToCpe Response;
    /// RequestDownload.
    RequestDownload(RequestDownload) => ToAcs Request;
    /// RequestDownloadResponse (no arguments).
    RequestDownloadResponse => ToCpe Response;
    /// Kicked (deprecated).
    Kicked(Kicked) => ToAcs Request;
    /// KickedResponse (deprecated).
    KickedResponse(KickedResponse) => ToCpe Response;
    /// DUStateChangeComplete (1.2).
    DUStateChangeComplete(DUStateChangeComplete) => ToAcs Request;
    /// DUStateChangeCompleteResponse (no arguments; 1.2).
    DUStateChangeCompleteResponse => ToCpe Response;
    /// AutonomousDUStateChangeComplete (1.2).
    AutonomousDUStateChangeComplete(AutonomousDUStateChangeComplete) => ToAcs Request;
    /// AutonomousDUStateChangeCompleteResponse (no arguments; 1.2).
    AutonomousDUStateChangeCompleteResponse => ToCpe Response;
}

impl Body {
    /// The CWMP version that introduced this method (TR-069 A.1 / the schemas).
    pub fn since_version(&self) -> CwmpVersion {
        match self {
            Body::GetAllQueuedTransfers
            | Body::GetAllQueuedTransfersResponse(_)
            | Body::AutonomousTransferComplete(_)
            | Body::AutonomousTransferCompleteResponse => CwmpVersion::V1_1,
            Body::ScheduleDownload(_)
            | Body::ScheduleDownloadResponse
            | Body::CancelTransfer(_)
            | Body::CancelTransferResponse
            | Body::ChangeDUState(_)
            | Body::ChangeDUStateResponse
            | Body::DUStateChangeComplete(_)
            | Body::DUStateChangeCompleteResponse
            | Body::AutonomousDUStateChangeComplete(_)
            | Body::AutonomousDUStateChangeCompleteResponse => CwmpVersion::V1_2,
            _ => CwmpVersion::V1_0,
        }
    }
}

/// One CWMP message: a SOAP envelope (or the empty body), its version and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The protocol version (from the namespace and the 1.3/1.4 headers).
    pub version: CwmpVersion,
    /// The `cwmp` namespace on the wire (a reply uses its peer's).
    #[serde(default)]
    pub namespace: Namespace,
    /// The SOAP header.
    #[serde(default)]
    pub header: Header,
    /// The message.
    pub body: Body,
    /// What the decoder had to interpret (empty for a clean message; never encoded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<DecodeWarning>,
}

impl Envelope {
    /// A message of `version` in that version's BBF namespace, with an empty header.
    pub fn new(version: CwmpVersion, body: Body) -> Self {
        Envelope {
            version,
            namespace: version.namespace(),
            header: Header::default(),
            body,
            warnings: Vec::new(),
        }
    }

    /// The same, with `cwmp:ID` set.
    pub fn with_id(version: CwmpVersion, id: impl Into<String>, body: Body) -> Self {
        Envelope {
            header: Header::with_id(id),
            ..Envelope::new(version, body)
        }
    }

    /// The empty message (the CPE's empty POST).
    pub fn empty() -> Self {
        Envelope::new(CwmpVersion::default(), Body::Empty)
    }
}

const ENVELOPE_OPEN: &str =
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" \
xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:cwmp=\"";

/// Appends the canonical encoding of `env` to `out`. [`Body::Empty`] appends nothing.
pub fn encode_into(env: &Envelope, out: &mut Vec<u8>) {
    encode_parts_into(env.namespace, &env.header, &env.body, out)
}

/// Appends the encoding of an envelope given by parts, for callers that keep the header and
/// body apart (the sessions do, to encode without copying the body).
pub fn encode_parts_into(namespace: Namespace, header: &Header, body: &Body, out: &mut Vec<u8>) {
    if matches!(body, Body::Empty) {
        return;
    }
    let w = &mut Writer { buf: out };
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.raw(ENVELOPE_OPEN);
    w.raw(namespace.uri());
    w.raw("\">");
    let h = header;
    if !h.is_empty_on_wire() {
        w.raw("<soapenv:Header>");
        if let Some(id) = &h.id {
            w.raw("<cwmp:ID soapenv:mustUnderstand=\"1\">");
            w.text(id);
            w.raw("</cwmp:ID>");
        }
        if let Some(hold) = h.hold_requests {
            w.raw("<cwmp:HoldRequests soapenv:mustUnderstand=\"1\">");
            w.raw(if hold { "1" } else { "0" });
            w.raw("</cwmp:HoldRequests>");
        }
        if let Some(t) = h.session_timeout {
            w.raw("<cwmp:SessionTimeout soapenv:mustUnderstand=\"0\">");
            super::write::itoa_like::Int::write(t, w.buf);
            w.raw("</cwmp:SessionTimeout>");
        }
        if let Some(v) = &h.supported_cwmp_versions {
            w.raw("<cwmp:SupportedCWMPVersions soapenv:mustUnderstand=\"0\">");
            w.text(v);
            w.raw("</cwmp:SupportedCWMPVersions>");
        }
        if let Some(v) = &h.use_cwmp_version {
            w.raw("<cwmp:UseCWMPVersion soapenv:mustUnderstand=\"1\">");
            w.text(v);
            w.raw("</cwmp:UseCWMPVersion>");
        }
        w.raw("</soapenv:Header>");
    }
    w.raw("<soapenv:Body>");
    body.write(w);
    w.raw("</soapenv:Body></soapenv:Envelope>");
}

/// The canonical encoding of `env`: one form per version, valid against the BBF schema of
/// its namespace when [`check`](crate::check) finds nothing. [`Body::Empty`] encodes to no
/// bytes at all.
pub fn encode(env: &Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    encode_into(env, &mut out);
    out
}

/// Decodes one message with the default [`DecodeLimits`].
pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    decode_with(bytes, &DecodeLimits::default())
}

/// Decodes one message. An input of only whitespace (the CPE's empty POST) is
/// [`Body::Empty`]. Lenient: see the crate docs for what is accepted, and
/// [`Envelope::warnings`] for what had to be interpreted.
pub fn decode_with(bytes: &[u8], limits: &DecodeLimits) -> Result<Envelope, DecodeError> {
    if bytes.len() > limits.max_total_bytes {
        return Err(DecodeError::LimitExceeded {
            limit: "max_total_bytes",
            max: limits.max_total_bytes,
            offset: limits.max_total_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let bytes = &bytes[start..];
    if bytes.is_empty() {
        return Ok(Envelope::empty());
    }
    let transcoded;
    let mut warnings = Vec::new();
    let input: &[u8] = match declared_encoding(bytes) {
        None => bytes,
        Some(enc) => match enc.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" | "us-ascii" | "ascii" => bytes,
            "iso-8859-1" | "latin1" | "latin-1" | "iso_8859-1" | "l1" => {
                if bytes.is_ascii() {
                    bytes
                } else {
                    transcoded = bytes.iter().map(|&b| b as char).collect::<String>();
                    warnings.push(DecodeWarning {
                        path: String::new(),
                        message: "ISO-8859-1 document transcoded to UTF-8".into(),
                    });
                    transcoded.as_bytes()
                }
            }
            _ => return Err(DecodeError::UnsupportedEncoding { encoding: enc }),
        },
    };
    let dom = Dom::parse(input, limits)?;
    let mut cx = Ctx::new(&dom, limits);
    cx.warnings = warnings;
    let root = dom.root();
    if dom.local_name(root) != b"Envelope" {
        return Err(DecodeError::NotSoap {
            message: format!(
                "root element is <{}>, not a SOAP Envelope",
                String::from_utf8_lossy(dom.qname(root))
            ),
        });
    }
    let header_node = dom.child(root, b"Header");
    let body_node = dom
        .child(root, b"Body")
        .ok_or_else(|| DecodeError::NotSoap {
            message: "the Envelope has no Body".into(),
        })?;
    let message = dom.children(body_node).next();
    let namespace = find_namespace(&dom, root, header_node, body_node, message);
    let header = match header_node {
        Some(h) => read_header(&mut cx, h)?,
        None => Header::default(),
    };
    let body = match message {
        None => {
            cx.warn(body_node, "empty SOAP Body; read as the empty message");
            Body::Empty
        }
        Some(m) => {
            if dom.children(body_node).nth(1).is_some() {
                cx.warn(
                    body_node,
                    "more than one element in the Body; only the first is read",
                );
            }
            Body::read(&mut cx, m, dom.local_name(m))?
        }
    };
    let namespace = match namespace {
        Some(ns) => ns,
        None => {
            cx.warn(
                root,
                "no urn:dslforum-org:cwmp-1-N namespace declared; taken as cwmp-1-0",
            );
            Namespace::Cwmp10
        }
    };
    let version = infer_version(namespace, &header);
    if cx.dropped_warnings > 0 {
        let n = cx.dropped_warnings;
        cx.warnings.push(DecodeWarning {
            path: String::new(),
            message: format!("{n} more warnings not kept"),
        });
    }
    Ok(Envelope {
        version,
        namespace,
        header,
        body,
        warnings: cx.warnings,
    })
}

/// The `encoding` pseudo-attribute of a leading XML declaration.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let decl = bytes.strip_prefix(b"<?xml")?;
    let end = decl.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&decl[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_owned())
}

/// The cwmp namespace declared on the envelope, header, body or message elements.
fn find_namespace(
    dom: &Dom<'_>,
    root: NodeId,
    header: Option<NodeId>,
    body: NodeId,
    message: Option<NodeId>,
) -> Option<Namespace> {
    // a Fault declares it on detail/cwmp:Fault
    let detail = message.and_then(|m| dom.child(m, b"detail"));
    let candidates = [root, body]
        .into_iter()
        .chain(header)
        .chain(header.into_iter().flat_map(|h| dom.children(h)))
        .chain(message)
        .chain(detail)
        .chain(detail.into_iter().flat_map(|d| dom.children(d)));
    for id in candidates {
        for (key, value) in dom.attrs(id) {
            // most declarations are other namespaces: passed over on their first bytes
            let cwmp = value
                .trim_ascii_start()
                .starts_with(b"urn:dslforum-org:cwmp-");
            if cwmp && (key == b"xmlns" || key.starts_with(b"xmlns:")) {
                if let Some(ns) = std::str::from_utf8(value)
                    .ok()
                    .and_then(Namespace::from_uri)
                {
                    return Some(ns);
                }
            }
        }
    }
    None
}

/// CWMP 1.3 and 1.4 share `cwmp-1-2`; their headers tell them apart (TR-069 A.3.2.1).
fn infer_version(ns: Namespace, h: &Header) -> CwmpVersion {
    match ns {
        Namespace::Cwmp10 => CwmpVersion::V1_0,
        Namespace::Cwmp11 => CwmpVersion::V1_1,
        Namespace::Cwmp14 => CwmpVersion::V1_4,
        Namespace::Cwmp12 | Namespace::Cwmp13 => {
            if h.supported_cwmp_versions.is_some() || h.use_cwmp_version.is_some() {
                CwmpVersion::V1_4
            } else if h.session_timeout.is_some() || ns == Namespace::Cwmp13 {
                CwmpVersion::V1_3
            } else {
                CwmpVersion::V1_2
            }
        }
    }
}

fn read_header(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Header, DecodeError> {
    let dom = cx.dom;
    let mut h = Header::default();
    for c in dom.children(node) {
        match dom.local_name(c) {
            b"ID" => h.id = Some(cx.text(c)),
            b"HoldRequests" => h.hold_requests = Some(bool::read(cx, c)?),
            b"HoldRequest" => {
                cx.warn(c, "misspelt <HoldRequest>; read as HoldRequests");
                h.hold_requests = Some(bool::read(cx, c)?);
            }
            b"NoMoreRequests" => {
                cx.warn(
                    c,
                    "deprecated <NoMoreRequests> (CWMP Issue 1); kept, never encoded",
                );
                h.no_more_requests = Some(bool::read(cx, c)?);
            }
            b"SessionTimeout" => h.session_timeout = Some(u32::read(cx, c)?),
            b"SupportedCWMPVersions" => {
                h.supported_cwmp_versions = Some(cx.trimmed(c).into_owned())
            }
            b"UseCWMPVersion" => h.use_cwmp_version = Some(cx.trimmed(c).into_owned()),
            other => {
                let name = String::from_utf8_lossy(other).into_owned();
                cx.warn(c, format!("unknown header element <{name}> ignored"));
            }
        }
    }
    Ok(h)
}
