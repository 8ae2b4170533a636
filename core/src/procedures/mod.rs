//! The TS 32.593 procedures across sessions: the HeMS side ([`hems`]) and the HeNB side
//! ([`henb`]). Both are re-exported at the crate root, `femtocwmp::hems` and `femtocwmp::henb`.

pub mod hems;
pub mod henb;
