//! One CWMP session — one HTTP conversation from the CPE's Inform to the ACS's empty
//! response — as two sans-IO state machines: [`CpeSession`] (HeNB side, HTTP client) and
//! [`AcsSession`] (HeMS side, HTTP server), after str0m's `handle_input`/`poll_output`.
//!
//! # The drain rule
//!
//! After every input (`handle_input`) and every command (`respond`, `request`, `queue`,
//! `finish`), call `poll_output` until it returns [`Output::Timeout`] or [`Output::Idle`].
//! Each [`Output::Transmit`] is an HTTP message to send now; each [`Output::Event`] is news
//! for the application; `Timeout(t)` is the next deadline: call `handle_input` with
//! `Input::Timeout(now)` once `now >= t`. Mutating inside the drain loop is allowed.
//!
//! Time is always an argument ([`Timestamp`], milliseconds of the caller's monotonic clock);
//! the machines never read a clock, open a socket or draw unseeded randomness.
//!
//! # Errors
//!
//! A peer that breaks the session rules causes a [`SessionError::Remote`]; a caller that
//! breaks them gets a [`SessionError::Local`]. Errors are sticky (every later input returns
//! the same error), but the final reply — a SOAP fault, an HTTP status — still comes out of
//! `poll_output`.

mod acs;
pub mod auth;
mod cpe;
pub(crate) mod digest;
mod http;
mod retry;

pub use acs::{Accepted, Acceptor, AcsConfig, AcsEvent, AcsInput, AcsOutcome, AcsSession};
pub use auth::{
    AuthConfig, AuthLimits, AuthPolicy, AuthRequest, AuthScheme, Authenticator,
    CertificateIdentity, ConnectionInfo, CredentialSource, DeviceCredentials, DeviceTable,
    Identity, Refusal, RefusalKind,
};
pub use cpe::{CpeConfig, CpeEvent, CpeInput, CpeSession, InformParams, SessionOutcome};
pub use digest::{authorization_for, DigestAlgorithm};
pub use http::{cookie_value, header, HttpRequest, HttpResponse, CONTENT_TYPE};
pub use retry::{retry_wait_ms, RetryPolicy};

use serde::{Deserialize, Serialize};

use crate::codec::{Body, DecodeError, Fault};

/// A point on the caller's monotonic clock, in milliseconds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// `ms` milliseconds later (saturating).
    pub fn plus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }
}

/// Identifies one request within a session (an ACS request given to the CPE, a CPE request,
/// or an ACS request queued by the application). Not the wire `cwmp:ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// What `poll_output` hands back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum Output<T, E> {
    /// An HTTP message to send now.
    Transmit(T),
    /// Something the application should know or act on.
    Event(E),
    /// Nothing more now; call again with `Input::Timeout` at this time.
    Timeout(Timestamp),
    /// Nothing more, no deadline: the session has ended.
    Idle,
}

/// A reply to a request: the response body, or a CWMP fault.
pub type Reply = Result<Body, Fault>;

/// A session rule broken by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum LocalProtocolError {
    /// The command is not allowed in the session's current state.
    #[error("{command} is not allowed now: {why}")]
    WrongState {
        /// The command.
        command: String,
        /// Why.
        why: String,
    },
    /// No such request is waiting for an answer.
    #[error("no request {0:?} is waiting for an answer")]
    UnknownRequest(RequestId),
    /// The body is not a message this side may send here.
    #[error("{method} cannot be sent by the {side} here")]
    WrongMessage {
        /// Method name.
        method: String,
        /// "CPE" or "ACS".
        side: String,
    },
    /// The message would not validate against its schema.
    #[error("invalid message: {0}")]
    Invalid(String),
}

/// A session rule broken by the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteProtocolError {
    /// The peer sent a message that is not allowed in the session's current state.
    #[error("unexpected {got} {when}")]
    Unexpected {
        /// Method name (or HTTP status) received.
        got: String,
        /// In which state.
        when: String,
    },
    /// A response whose cwmp:ID matches no outstanding request.
    #[error("response with cwmp:ID {0:?} matches no outstanding request")]
    UnmatchedId(String),
    /// A request reused a cwmp:ID already seen in this session.
    #[error("duplicate cwmp:ID {0:?}")]
    DuplicateId(String),
    /// An HTTP status that ends the session.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The peer failed authentication, or asked for one we cannot give.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// Too many redirects.
    #[error("more than {0} redirects")]
    TooManyRedirects(u32),
    /// No common CWMP version.
    #[error("no common CWMP version: {0}")]
    VersionMismatch(String),
    /// The peer answered the Inform with a fault (e.g. 8005 retry request).
    #[error("Inform refused with fault {0}")]
    InformFault(u32),
}

/// Why a session call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The caller broke a rule.
    #[error("local protocol error: {0}")]
    Local(#[from] LocalProtocolError),
    /// The peer broke a rule.
    #[error("remote protocol error: {0}")]
    Remote(#[from] RemoteProtocolError),
    /// The peer's message could not be decoded.
    #[error("cannot decode the peer's message: {0}")]
    Decode(#[from] DecodeError),
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EndReason {
    /// Normal end: the ACS had no more requests and the CPE nothing more to send.
    Completed,
    /// The transport failed (connect, TLS, reset, HTTP error) — reported by the caller.
    TransportFailed(String),
    /// No answer within the session timeout.
    Timeout,
    /// A protocol error (the text says which).
    ProtocolError(String),
    /// The peer refused us (fault to the Inform, authentication, version).
    Refused(String),
}

/// A small deterministic generator (SplitMix64) for nonces, cookies and jitter; seeded from
/// the configuration so that runs are reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn hex(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}
