//! The CWMP codec: SOAP/XML bytes to typed messages and back.
//!
//! Lenient in, strict out: [`decode`] reads what real devices send (any prefixes, reordered
//! or qualified argument elements, missing `xsi:type`, lying array counts, ISO-8859-1,
//! stray non-UTF-8 bytes) and records each interpretation in [`Envelope::warnings`];
//! [`encode`] writes one canonical form per version that validates against the BBF schema
//! of its namespace whenever [`check`] finds nothing wrong.

mod check;
mod codes;
mod datetime;
pub(crate) mod dom;
mod envelope;
mod error;
mod fault;
mod rpc;
pub mod samples;
mod value;
mod write;
mod xml;

pub use check::{check, check_body, SchemaViolation};
pub use codes::{EventCode, FaultCode, FaultKind, FileType};
pub use datetime::{DateTime, DateTimeError, DateTimeKind};
pub use envelope::{
    decode, decode_with, encode, encode_into, encode_parts_into, Body, CwmpVersion, Direction,
    Envelope, Header, MessageKind, Namespace,
};
pub use error::{DecodeError, DecodeLimits, DecodeWarning};
pub use fault::{Fault, SetParameterValuesFault};
pub use rpc::*;
pub use value::{ParameterValueStruct, TypedValue, Value, ValueError, XsdType};
