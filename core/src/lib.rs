//! femtocwmp: TR-069 (CWMP 1.0-1.4) for femtocell management, sans-IO.
//!
//! 3GPP TS 32.593 fixes how a Home eNodeB (HeNB) and its management system (HeMS) talk over
//! TR-069. This crate is the protocol for both sides, with no networking code: it never opens
//! a socket, reads a clock, spawns a thread or draws unseeded randomness. Bytes and time go
//! in; bytes, events and deadlines come out.
//!
//! Today it holds the codec ([`decode`], [`encode`], every message type in [`Body`]); the
//! session and procedure layers build on it.
//!
//! ```text
//!  your transport (HTTP, TLS, timers, storage)
//!         | bytes, now                  ^ bytes to send, events, deadlines
//!  +------v-----------------------------+-------------------------+
//!  | procedures  hems::Hems / henb::Agent                         |
//!  | session     AcsSession / CpeSession                          |
//!  | codec       decode(&[u8]) -> Envelope, encode(&Envelope)     |
//!  +--------------------------------------------------------------+
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod configfile;
pub mod procedures;
pub mod session;
pub mod trace;

pub use procedures::{hems, henb};

pub use codec::*;

/// The README's Rust examples, run as doctests so that they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
