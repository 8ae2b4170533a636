//! The C ABI of femtocwmp. Conventions (after rustls-ffi, see README "C users"):
//!
//! - Every fallible function returns a `femtocwmp_result`; 0 is success. Codes are grouped:
//!   1xxx caller misuse, 2xxx decode errors (the peer sent something unreadable), 3xxx the
//!   peer broke the protocol.
//! - Inputs are `const` pointers with a length; outputs go to caller-owned buffers with
//!   their capacity. A too-small buffer gives `FEMTOCWMP_RESULT_INSUFFICIENT_SIZE` and the
//!   size needed in `*out_len` (the one out-parameter written on failure); every other
//!   out-parameter is written only on success.
//! - `femtocwmp_result_message` names every code; `femtocwmp_last_error` gives the detail of
//!   the last failure on the calling thread.
//! - No panic crosses the boundary: each function catches them and returns
//!   `FEMTOCWMP_RESULT_PANIC`.
#![allow(non_camel_case_types)]
// Every exported function takes raw pointers from C, where `unsafe` does not exist; the
// pointer contract is written on each function, and each dereference has its SAFETY note.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod codec;
mod error;
mod event;
mod message;
mod procedures;
mod session;

pub use codec::*;
pub use error::*;
pub use event::*;
pub use message::*;
pub use procedures::*;
pub use session::*;
