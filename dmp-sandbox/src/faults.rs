//! The test fault hooks ([`crate::Fault`]): how many times each still applies.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::config::Fault;
use crate::dispatch::After;

/// A fault hook and its remaining count.
pub(crate) struct FaultState {
    fault: Option<Fault>,
    remaining: AtomicU32,
}

impl FaultState {
    pub(crate) fn new(fault: Option<Fault>) -> FaultState {
        let count = match fault {
            Some(Fault::DropAfterStore { count }) | Some(Fault::DropMidResponse { count }) => count,
            Some(Fault::AbortAfterStore) => 1,
            None => 0,
        };
        FaultState {
            fault,
            remaining: AtomicU32::new(count),
        }
    }

    /// Takes one use of the hook, if any is left.
    fn take(&self) -> bool {
        self.remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// What to do once a submission is committed.
    pub(crate) fn after_store(&self) -> After {
        match self.fault {
            Some(Fault::DropAfterStore { .. }) if self.take() => After::Drop,
            Some(Fault::AbortAfterStore) => After::Abort,
            _ => After::Answer,
        }
    }

    /// Whether this answer is to be cut in the middle.
    pub(crate) fn cut_response(&self) -> bool {
        matches!(self.fault, Some(Fault::DropMidResponse { .. })) && self.take()
    }
}
