//! Where the journal keeps its records: one small trait, two backends.
//!
//! - [`SqliteStore`]: the embedded default, one file per establishment (WAL,
//!   `synchronous=FULL`: a record the journal reported written survives a crash or a power
//!   cut);
//! - [`PostgresStore`]: a hosted DUI serving many establishments from one database (every row
//!   carries its establishment), with several workers draining one outbox: a worker claims a
//!   deposit with `SELECT … FOR UPDATE SKIP LOCKED` and a lease, so no two workers send the
//!   same document, and a worker that died gives its deposits back when the lease ends.
//!
//! Both keep the same tables with the same columns (times as UTC text that sorts, see
//! [`crate::record`]); the decisions (what to do with a document deposited again) are made
//! once, in [`decide`], inside each backend's transaction.

use chrono::{DateTime, FixedOffset};
use dmp_core::consent::ConsentRecord;
use dmp_core::pilotage::{Usager, UsagerEvent};

use crate::error::Result;
use crate::record::{ConsultationRecord, Deposit, State};

mod postgres;
mod sqlite;

pub use self::postgres::PostgresStore;
pub use self::sqlite::SqliteStore;

/// The schema version both backends write (SQLite `user_version`, PostgreSQL table
/// `journal_schema`).
pub const SCHEMA_VERSION: i64 = 1;

/// A document to put in the outbox (what [`Store::enqueue`] needs).
#[derive(Debug, Clone)]
pub struct NewDeposit {
    /// The deposit as journaled (its `id` is ignored; state `queued`).
    pub deposit: Deposit,
}

/// What [`Store::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Queued as a new deposit (the number).
    New(i64),
    /// The same content was already journaled for this document: nothing queued (its
    /// number).
    Same(i64),
    /// Queued, replacing in the outbox the older content (`old`) that never left.
    Superseding {
        /// The new deposit.
        id: i64,
        /// The one it superseded.
        old: i64,
    },
}

impl Enqueued {
    /// The number of the deposit that carries the document now.
    pub fn id(self) -> i64 {
        match self {
            Enqueued::New(id) | Enqueued::Same(id) | Enqueued::Superseding { id, .. } => id,
        }
    }

    /// What a deposit of several documents did, as the skins print it: `{"deposits":
    /// [{"document": i, "deposit": N, "enqueued": "new"|"same"|"superseding", "supersedes":
    /// N|null}…]}`, `document` the index in the request.
    pub fn report_json(done: &[Enqueued]) -> serde_json::Value {
        let deposits: Vec<_> = done
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut v = e.to_json();
                v["document"] = i.into();
                v
            })
            .collect();
        serde_json::json!({ "deposits": deposits })
    }

    /// One deposit as the skins print it: `{"deposit": N, "enqueued":
    /// "new"|"same"|"superseding", "supersedes": N|null}`.
    pub fn to_json(self) -> serde_json::Value {
        let (enqueued, supersedes) = match self {
            Enqueued::New(_) => ("new", None),
            Enqueued::Same(_) => ("same", None),
            Enqueued::Superseding { old, .. } => ("superseding", Some(old)),
        };
        serde_json::json!({
            "deposit": self.id(),
            "enqueued": enqueued,
            "supersedes": supersedes,
        })
    }
}

/// What to do with a document deposited again, given the latest deposit of the same
/// document (same usager and setId, not superseded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No earlier deposit: a first one.
    First,
    /// Same content as the latest (not refused): nothing to do.
    Same(i64),
    /// The latest never left: it is superseded, the new one takes its place.
    Supersede(i64),
    /// The latest may be (or is) in the DMP: the new content goes out after it, as its
    /// replacement (decided when sent, once the latest's fate is known).
    After(i64),
}

/// The decision for `new` after `latest` (see [`Decision`]).
pub fn decide(latest: Option<&Deposit>, new: &Deposit) -> Decision {
    match latest {
        None => Decision::First,
        Some(l) if l.content_hash == new.content_hash && l.state != State::Refused => {
            Decision::Same(l.id)
        }
        Some(l) if l.state == State::Queued && l.message.is_none() && l.attempts == 0 => {
            Decision::Supersede(l.id)
        }
        Some(l) => Decision::After(l.id),
    }
}

/// The journal's storage. Every method is one transaction; `&self` so that one store can
/// serve several threads (each backend serialises on its connection).
pub trait Store: Send + Sync {
    /// Puts a deposit in the outbox, deciding with [`decide`] against the latest deposit of
    /// the same usager and setId, atomically.
    fn enqueue(&self, new: &NewDeposit) -> Result<Enqueued>;

    /// Claims the first deposit numbered above `after` that needs work (queued, sending,
    /// unknown) and is not leased to another worker (or whose lease ended before `now`),
    /// leasing it to `worker` until `until`. Bytes included.
    fn claim(
        &self,
        worker: &str,
        after: i64,
        now: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
    ) -> Result<Option<Deposit>>;

    /// One deposit, bytes included.
    fn deposit(&self, id: i64) -> Result<Option<Deposit>>;

    /// Writes every changeable field of `deposit` (state, outcome, the request built, the
    /// bytes kept or dropped…); with `release`, gives its lease back.
    fn save(&self, deposit: &Deposit, release: bool) -> Result<()>;

    /// Every deposit (bytes not loaded), oldest first.
    fn deposits(&self) -> Result<Vec<Deposit>>;

    /// Adds a record to the consent register.
    fn add_consent(&self, record: &ConsentRecord) -> Result<()>;

    /// The consent records of a usager (pseudonym), oldest first.
    fn consents(&self, usager: &str) -> Result<Vec<ConsentRecord>>;

    /// Journals a consultation (its `id` is ignored): its number.
    fn add_consultation(&self, record: &ConsultationRecord) -> Result<i64>;

    /// Writes the outcome fields of a journaled consultation.
    fn settle_consultation(&self, record: &ConsultationRecord) -> Result<()>;

    /// Every consultation (of one usager when given), oldest first.
    fn consultations(&self, usager: Option<&str>) -> Result<Vec<ConsultationRecord>>;

    /// Adds or updates a usager (pseudonym, label, setting).
    fn put_usager(&self, usager: &Usager) -> Result<()>;

    /// Every usager registered.
    fn usagers(&self) -> Result<Vec<Usager>>;

    /// Records an event of a usager's accompaniment.
    fn add_event(&self, event: &UsagerEvent) -> Result<()>;

    /// Every event, oldest first.
    fn events(&self) -> Result<Vec<UsagerEvent>>;
}

/// The columns of `deposits`, in the order [`deposit_from_row`] reads them.
pub(crate) const DEPOSIT_COLUMNS: &str = "id, usager, set_id, unique_id, kind, version, \
    replaces, predecessor, content_hash, size, hash, author_role, who_idnat, who_role, \
    who_mode, state, code, text, attempts, message_id, queued_at, sent_at, settled_at, \
    confirmed_by_check, keep_bytes";

/// Reads a `deposits` row selected with [`DEPOSIT_COLUMNS`] (then `request`, `message` when
/// `bytes`), with the backend's fallible getter (`get` for rusqlite, `try_get` for
/// postgres).
macro_rules! deposit_from_row {
    ($row:expr, $get:ident, $bytes:expr) => {{
        let row = $row;
        let time = |s: String| $crate::record::unstamp(&s);
        let opt_time = |s: Option<String>| s.map(|s| $crate::record::unstamp(&s)).transpose();
        let deposit = (|| -> std::result::Result<$crate::record::Deposit, String> {
            let state: String = row.$get(15).map_err(|e| e.to_string())?;
            Ok($crate::record::Deposit {
                id: row.$get(0).map_err(|e| e.to_string())?,
                usager: row.$get(1).map_err(|e| e.to_string())?,
                set_id: row.$get(2).map_err(|e| e.to_string())?,
                unique_id: row.$get(3).map_err(|e| e.to_string())?,
                kind: row.$get(4).map_err(|e| e.to_string())?,
                version: u32::try_from(row.$get::<_, i64>(5).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?,
                replaces: row.$get(6).map_err(|e| e.to_string())?,
                predecessor: row.$get(7).map_err(|e| e.to_string())?,
                content_hash: row.$get(8).map_err(|e| e.to_string())?,
                size: u64::try_from(row.$get::<_, i64>(9).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?,
                hash: row.$get(10).map_err(|e| e.to_string())?,
                author_role: row.$get(11).map_err(|e| e.to_string())?,
                who: $crate::record::Who {
                    idnat: row.$get(12).map_err(|e| e.to_string())?,
                    role: row.$get(13).map_err(|e| e.to_string())?,
                    mode: row.$get(14).map_err(|e| e.to_string())?,
                },
                state: $crate::record::State::from_name(&state)
                    .ok_or_else(|| format!("unknown deposit state '{state}'"))?,
                code: row.$get(16).map_err(|e| e.to_string())?,
                text: row.$get(17).map_err(|e| e.to_string())?,
                attempts: u32::try_from(row.$get::<_, i64>(18).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?,
                message_id: row.$get(19).map_err(|e| e.to_string())?,
                queued_at: time(row.$get(20).map_err(|e| e.to_string())?)?,
                sent_at: opt_time(row.$get(21).map_err(|e| e.to_string())?)?,
                settled_at: opt_time(row.$get(22).map_err(|e| e.to_string())?)?,
                confirmed_by_check: row.$get(23).map_err(|e| e.to_string())?,
                keep_bytes: row.$get(24).map_err(|e| e.to_string())?,
                request: if $bytes {
                    row.$get(25).map_err(|e| e.to_string())?
                } else {
                    None
                },
                message: if $bytes {
                    row.$get(26).map_err(|e| e.to_string())?
                } else {
                    None
                },
            })
        })();
        deposit
    }};
}
pub(crate) use deposit_from_row;

/// The columns of `consultations`, in the order [`consultation_from_row`] reads them.
pub(crate) const CONSULTATION_COLUMNS: &str = "id, usager, at, transaction_code, access_mode, \
    justification, who_idnat, who_role, who_mode, consent, consent_detail, outcome, code, text, \
    message_id";

/// Reads a `consultations` row selected with [`CONSULTATION_COLUMNS`].
macro_rules! consultation_from_row {
    ($row:expr, $get:ident) => {{
        let row = $row;
        (|| -> std::result::Result<$crate::record::ConsultationRecord, String> {
            let at: String = row.$get(2).map_err(|e| e.to_string())?;
            Ok($crate::record::ConsultationRecord {
                id: row.$get(0).map_err(|e| e.to_string())?,
                usager: row.$get(1).map_err(|e| e.to_string())?,
                at: $crate::record::unstamp(&at)?,
                transaction: row.$get(3).map_err(|e| e.to_string())?,
                access_mode: row.$get(4).map_err(|e| e.to_string())?,
                justification: row.$get(5).map_err(|e| e.to_string())?,
                who: $crate::record::Who {
                    idnat: row.$get(6).map_err(|e| e.to_string())?,
                    role: row.$get(7).map_err(|e| e.to_string())?,
                    mode: row.$get(8).map_err(|e| e.to_string())?,
                },
                consent: row.$get(9).map_err(|e| e.to_string())?,
                consent_detail: row.$get(10).map_err(|e| e.to_string())?,
                outcome: row.$get(11).map_err(|e| e.to_string())?,
                code: row.$get(12).map_err(|e| e.to_string())?,
                text: row.$get(13).map_err(|e| e.to_string())?,
                message_id: row.$get(14).map_err(|e| e.to_string())?,
            })
        })()
    }};
}
pub(crate) use consultation_from_row;

/// The stored name of an event kind (its JSON name).
pub(crate) fn event_kind_name(kind: dmp_core::pilotage::UsagerEventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// An event read back from its stored parts.
pub(crate) fn event_from_parts(
    usager: String,
    kind: &str,
    at: &str,
) -> std::result::Result<UsagerEvent, String> {
    Ok(UsagerEvent {
        usager,
        kind: serde_json::from_value(serde_json::Value::String(kind.to_owned()))
            .map_err(|_| format!("unknown event kind '{kind}'"))?,
        at: crate::record::unstamp(at)?,
    })
}
