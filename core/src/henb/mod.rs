//! The HeNB side of the TS 32.593 procedures: the typed data model and (to come) the Agent
//! that runs sessions on it.

mod femtocell;
mod model;

pub use femtocell::{femtocell_model, FemtocellInfo, ACS_URL, IPSEC_ADDRESS, PARAMETER_KEY};
pub use model::{ActiveNotify, Applied, Changed, DataModel, Param, Table};
