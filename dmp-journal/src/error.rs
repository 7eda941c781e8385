//! What can go wrong with the journal, said for the people who run the DUI.

use thiserror::Error;

/// An error of the journal.
#[derive(Debug, Error)]
pub enum JournalError {
    /// The store (SQLite file, PostgreSQL server) failed: where, and what it said.
    #[error("journal store {place}: {message}")]
    Store {
        /// The file or the server.
        place: String,
        /// What the database said.
        message: String,
    },
    /// The input was refused by the library (a field, a rule): nothing was sent.
    #[error("{0}")]
    Invalid(#[from] dmp_core::Error),
    /// The consultation was refused before sending (no consent, an objection, rights): it
    /// is journaled as `blocked`.
    #[error("consultation not sent: {0}")]
    Blocked(dmp_core::Error),
    /// A journaled deposit that is not there.
    #[error("no deposit {0} in the journal")]
    UnknownDeposit(i64),
}

/// The journal's result.
pub type Result<T> = std::result::Result<T, JournalError>;
