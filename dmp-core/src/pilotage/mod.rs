//! Pilotage: what an establishment follows about its use of the DMP, computed from what its
//! journal recorded.
//!
//! The journal (crate `dmp-journal`) stores; this module only reads [`Facts`] and answers, as
//! pure functions of (facts, plan, clock): which deposits are due or overdue
//! ([`plan::due`]), and the indicators the structure reports ("le nombre de DMP alimentés, le
//! type et le nombre de documents déposés", [`Indicators`]), as JSON, CSV or one HTML page
//! ([`report`]). Same facts, same answer, same bytes: the CLI, the C ABI and the bindings all
//! call these.

pub mod facts;
pub mod indicators;
pub mod plan;
pub mod report;
pub mod span;
mod stay;

pub use facts::{
    ConsultationFact, DepositFact, DepositStatus, Facts, Usager, UsagerEvent, UsagerEventKind,
};
pub use indicators::{IndicatorOptions, Indicators};
pub use plan::{due, Coverage, Due, DueItem, DueStatus, Plan, PlannedDocument, Reason, Trigger};
pub use span::{Span, SpanUnit};

use chrono::{DateTime, FixedOffset};

/// When a deposit took effect: when the DMP's outcome was established, else when it was
/// journaled.
fn deposited_at(d: &DepositFact) -> DateTime<FixedOffset> {
    d.settled_at.unwrap_or(d.queued_at)
}

/// `part / whole` rounded to 4 decimals (the same bytes on every platform), `None` for an
/// empty whole.
fn share(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    let basis_points = (u128::from(part) * 20_000 + u128::from(whole)) / (2 * u128::from(whole));
    // At most 10 000: exact in an f64.
    Some(basis_points as f64 / 10_000.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares_round_half_up_to_four_decimals() {
        assert_eq!(super::share(1, 3), Some(0.3333));
        assert_eq!(super::share(2, 3), Some(0.6667));
        assert_eq!(super::share(5, 5), Some(1.0));
        assert_eq!(super::share(0, 0), None);
    }
}
