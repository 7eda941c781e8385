//! # dmp-journal
//!
//! The establishment's memory of its exchanges with the DMP, so that nothing is lost and
//! nothing is doubled when the network, the DMP or the DUI itself fails:
//!
//! - **the outbox** ([`Journal::deposit`], [`Journal::flush`]): a document is journaled
//!   before it is sent; the signed request is built once and its exact bytes journaled
//!   before they leave; a process that stops at any point resumes with [`Journal::flush`];
//!   a request that may have reached the DMP is never sent again before the registry is
//!   asked (a TD3.1 reference search, [`dmp_core::landing::Probe`]); a document whose
//!   content changed after it was sent goes out as a replacement (RPLC) of the version the
//!   DMP has;
//! - **the consent register** ([`Journal::record_consent`]) and **the consultation log**
//!   ([`Journal::consult`]: the register is checked before every TD3.1/TD3.2, and every
//!   consultation is journaled, refused ones included);
//! - **the facts** pilotage reads ([`Journal::facts`]) and a usager's records on request
//!   ([`Journal::export_usager`], right of access).
//!
//! Storage behind the [`Store`] trait: [`SqliteStore`] (embedded, one file per
//! establishment) or [`PostgresStore`] (hosted, many establishments, several workers).
//!
//! Personal data: the INS is stored only as HMAC-SHA-256 under the establishment's key
//! ([`EstablishmentKey`], never stored); document bytes are dropped once the DMP accepted
//! them unless the DUI asks to keep them. See `docs/journal.md`.
#![warn(missing_docs)]

pub mod consultation;
pub mod error;
pub mod journal;
pub mod outbox;
pub mod pseudonym;
pub mod record;
pub mod store;

pub use error::{JournalError, Result};
pub use journal::{facts, Journal};
pub use outbox::{Courier, DepositOptions, FlushReport};
pub use pseudonym::EstablishmentKey;
pub use record::{ConsultationRecord, Deposit, State, Who};
pub use store::{Enqueued, PostgresStore, SqliteStore, Store};
