//! Pilotage: what an establishment follows about its use of the DMP, computed from what its
//! journal recorded.
//!
//! The journal (crate `dmp-journal`) stores; this module only reads [`Facts`] and answers, as
//! pure functions of (facts, plan, clock): which deposits are due or overdue
//! (`plan`), and the indicators the structure reports ("le nombre de DMP alimentés, le type et
//! le nombre de documents déposés", `indicators`). Same facts, same answer: the CLI, the
//! C ABI and the bindings all call these.

pub mod facts;

pub use facts::{
    ConsultationFact, DepositFact, DepositStatus, Facts, Usager, UsagerEvent, UsagerEventKind,
};
