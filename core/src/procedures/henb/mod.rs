//! The HeNB side of the TS 32.593 procedures: the typed data model and the [`Agent`] that
//! runs sessions on it across time.

mod agent;
mod femtocell;
mod model;

pub use agent::{Agent, AgentConfig, AgentEvent, AgentSnapshot, Transfer};
pub use femtocell::{
    derived_connection_request_password, femtocell_model, FemtocellInfo, ACS_URL, IPSEC_ADDRESS,
    PARAMETER_KEY,
};
pub use model::{ActiveNotify, Applied, Changed, DataModel, Param, Table};
