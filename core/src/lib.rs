//! femtocwmp: TR-069 (CWMP) for femtocell management, sans-IO.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;

pub use codec::*;
