//! The embedded journal: one SQLite file per establishment (the path is the DUI's choice).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset};
use dmp_core::consent::ConsentRecord;
use dmp_core::pilotage::{Usager, UsagerEvent};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{
    consultation_from_row, decide, deposit_from_row, Decision, Enqueued, NewDeposit, Store,
    CONSULTATION_COLUMNS, DEPOSIT_COLUMNS, SCHEMA_VERSION,
};
use crate::error::{JournalError, Result};
use crate::record::{stamp, ConsultationRecord, Deposit};

const SCHEMA: &str = "
CREATE TABLE deposits (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  usager TEXT NOT NULL,              -- HMAC-SHA-256(establishment key, INS), hex
  set_id TEXT NOT NULL,
  unique_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  replaces TEXT,
  predecessor INTEGER REFERENCES deposits(id),
  content_hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  hash TEXT,                         -- SHA-256 of the CDA sent
  author_role TEXT NOT NULL,
  who_idnat TEXT NOT NULL,
  who_role TEXT NOT NULL,
  who_mode TEXT NOT NULL,
  state TEXT NOT NULL,               -- queued sending accepted refused unknown superseded
  code TEXT,
  text TEXT,
  attempts INTEGER NOT NULL,
  message_id TEXT,
  queued_at TEXT NOT NULL,           -- UTC, microseconds, Z
  sent_at TEXT,
  settled_at TEXT,
  confirmed_by_check INTEGER NOT NULL,
  keep_bytes INTEGER NOT NULL,
  request BLOB,                      -- the FeedRequest JSON, until accepted
  message BLOB,                      -- the exact HTTP message sent, until accepted
  lease_owner TEXT,
  lease_until TEXT
);
CREATE INDEX deposits_by_document ON deposits(usager, set_id);
CREATE INDEX deposits_by_state ON deposits(state);
CREATE TABLE consents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  usager TEXT NOT NULL,
  scope TEXT NOT NULL,
  professional TEXT,
  at TEXT NOT NULL,
  record TEXT NOT NULL               -- the whole record, JSON
);
CREATE INDEX consents_by_usager ON consents(usager);
CREATE TABLE consultations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  usager TEXT NOT NULL,
  at TEXT NOT NULL,
  transaction_code TEXT NOT NULL,
  access_mode TEXT NOT NULL,
  justification TEXT,
  who_idnat TEXT NOT NULL,
  who_role TEXT NOT NULL,
  who_mode TEXT NOT NULL,
  consent TEXT NOT NULL,
  consent_detail TEXT,
  outcome TEXT NOT NULL,
  code TEXT,
  text TEXT,
  message_id TEXT
);
CREATE INDEX consultations_by_usager ON consultations(usager);
CREATE TABLE usagers (
  key TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  setting TEXT NOT NULL
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  usager TEXT NOT NULL,
  kind TEXT NOT NULL,
  at TEXT NOT NULL
);
";

/// The journal in one SQLite file (WAL, `synchronous=FULL`, schema version in
/// `user_version`).
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating it and its schema if needed) the journal file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let fail = |e: &dyn std::fmt::Display| JournalError::Store {
            place: path.display().to_string(),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(|e| fail(&e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail(&e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| fail(&e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| fail(&e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| fail(&e))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| fail(&e))?;
        match version {
            0 => conn
                .execute_batch(&format!(
                    "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| fail(&e))?,
            SCHEMA_VERSION => {}
            other => {
                return Err(fail(&format!(
                    "schema version {other} is not the {SCHEMA_VERSION} this library knows: \
                     open it with the version of the library that wrote it"
                )))
            }
        }
        Ok(SqliteStore {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    /// Caps the file at `pages` pages of the database's page size (SQLite
    /// `max_page_count`, for this connection): a quota that keeps the journal from filling
    /// the disk; writes beyond it fail as on a full disk ("database or disk is full").
    pub fn set_max_pages(&self, pages: u64) -> Result<()> {
        let conn = self.lock();
        conn.pragma_update(None, "max_page_count", pages.to_string())
            .map_err(|e| self.fail(e))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // SQLite rolls back an unfinished transaction: the connection stays usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fail(&self, e: impl std::fmt::Display) -> JournalError {
        JournalError::Store {
            place: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn read_deposit(&self, row: &Row<'_>, bytes: bool) -> Result<Deposit> {
        let d: std::result::Result<Deposit, String> = deposit_from_row!(row, get, bytes);
        d.map_err(|e| self.fail(e))
    }
}

fn insert_deposit(tx: &rusqlite::Transaction<'_>, d: &Deposit) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO deposits (usager, set_id, unique_id, kind, version, replaces, predecessor, \
         content_hash, size, hash, author_role, who_idnat, who_role, who_mode, state, code, \
         text, attempts, message_id, queued_at, sent_at, settled_at, confirmed_by_check, \
         keep_bytes, request, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
         ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
        params![
            d.usager,
            d.set_id,
            d.unique_id,
            d.kind,
            d.version,
            d.replaces,
            d.predecessor,
            d.content_hash,
            d.size as i64,
            d.hash,
            d.author_role,
            d.who.idnat,
            d.who.role,
            d.who.mode,
            d.state.name(),
            d.code,
            d.text,
            d.attempts,
            d.message_id,
            stamp(d.queued_at),
            d.sent_at.map(stamp),
            d.settled_at.map(stamp),
            d.confirmed_by_check,
            d.keep_bytes,
            d.request,
            d.message,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Store for SqliteStore {
    fn enqueue(&self, new: &NewDeposit) -> Result<Enqueued> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.fail(e))?;
        let latest = tx
            .query_row(
                &format!(
                    "SELECT {DEPOSIT_COLUMNS}, request, message FROM deposits WHERE usager = ?1 \
                     AND set_id = ?2 AND state != 'superseded' ORDER BY id DESC LIMIT 1"
                ),
                params![new.deposit.usager, new.deposit.set_id],
                |row| Ok(self.read_deposit(row, true)),
            )
            .optional()
            .map_err(|e| self.fail(e))?
            .transpose()?;
        let d = &new.deposit;
        let done = match decide(latest.as_ref(), d) {
            Decision::Same(id) => Enqueued::Same(id),
            Decision::First => Enqueued::New(insert_deposit(&tx, d).map_err(|e| self.fail(e))?),
            Decision::Supersede(old) => {
                tx.execute(
                    "UPDATE deposits SET state = 'superseded', request = NULL, message = NULL \
                     WHERE id = ?1",
                    params![old],
                )
                .map_err(|e| self.fail(e))?;
                let mut d = d.clone();
                d.predecessor = latest.as_ref().and_then(|l| l.predecessor);
                let id = insert_deposit(&tx, &d).map_err(|e| self.fail(e))?;
                Enqueued::Superseding { id, old }
            }
            Decision::After(previous) => {
                let mut d = d.clone();
                d.predecessor = Some(previous);
                Enqueued::New(insert_deposit(&tx, &d).map_err(|e| self.fail(e))?)
            }
        };
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(done)
    }

    fn claim(
        &self,
        worker: &str,
        after: i64,
        now: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
    ) -> Result<Option<Deposit>> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.fail(e))?;
        let found = tx
            .query_row(
                &format!(
                    "SELECT {DEPOSIT_COLUMNS}, request, message FROM deposits WHERE id > ?1 AND \
                     state IN ('queued', 'sending', 'unknown') AND (lease_until IS NULL OR \
                     lease_until < ?2 OR lease_owner = ?3) ORDER BY id LIMIT 1"
                ),
                params![after, stamp(now), worker],
                |row| Ok(self.read_deposit(row, true)),
            )
            .optional()
            .map_err(|e| self.fail(e))?
            .transpose()?;
        if let Some(d) = &found {
            tx.execute(
                "UPDATE deposits SET lease_owner = ?1, lease_until = ?2 WHERE id = ?3",
                params![worker, stamp(until), d.id],
            )
            .map_err(|e| self.fail(e))?;
        }
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(found)
    }

    fn deposit(&self, id: i64) -> Result<Option<Deposit>> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {DEPOSIT_COLUMNS}, request, message FROM deposits WHERE id = ?1"),
            params![id],
            |row| Ok(self.read_deposit(row, true)),
        )
        .optional()
        .map_err(|e| self.fail(e))?
        .transpose()
    }

    fn save(&self, d: &Deposit, release: bool) -> Result<()> {
        let conn = self.lock();
        let n = conn
            .execute(
                "UPDATE deposits SET unique_id = ?2, version = ?3, replaces = ?4, size = ?5, \
                 hash = ?6, state = ?7, code = ?8, text = ?9, attempts = ?10, message_id = ?11, \
                 sent_at = ?12, settled_at = ?13, confirmed_by_check = ?14, request = ?15, \
                 message = ?16, lease_owner = CASE WHEN ?17 THEN NULL ELSE lease_owner END, \
                 lease_until = CASE WHEN ?17 THEN NULL ELSE lease_until END WHERE id = ?1",
                params![
                    d.id,
                    d.unique_id,
                    d.version,
                    d.replaces,
                    d.size as i64,
                    d.hash,
                    d.state.name(),
                    d.code,
                    d.text,
                    d.attempts,
                    d.message_id,
                    d.sent_at.map(stamp),
                    d.settled_at.map(stamp),
                    d.confirmed_by_check,
                    d.request,
                    d.message,
                    release,
                ],
            )
            .map_err(|e| self.fail(e))?;
        if n == 0 {
            return Err(JournalError::UnknownDeposit(d.id));
        }
        Ok(())
    }

    fn deposits(&self) -> Result<Vec<Deposit>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {DEPOSIT_COLUMNS} FROM deposits ORDER BY id"
            ))
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |row| Ok(self.read_deposit(row, false)))
            .map_err(|e| self.fail(e))?;
        rows.map(|r| r.map_err(|e| self.fail(e))?).collect()
    }

    fn add_consent(&self, record: &ConsentRecord) -> Result<()> {
        let json = serde_json::to_string(record).map_err(|e| self.fail(e))?;
        self.lock()
            .execute(
                "INSERT INTO consents (usager, scope, professional, at, record) VALUES (?1, ?2, \
                 ?3, ?4, ?5)",
                params![
                    record.usager,
                    record.scope.name(),
                    record.professional,
                    stamp(record.at),
                    json
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn consents(&self, usager: &str) -> Result<Vec<ConsentRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT record FROM consents WHERE usager = ?1 ORDER BY id")
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params![usager], |row| row.get::<_, String>(0))
            .map_err(|e| self.fail(e))?;
        rows.map(|r| {
            let text = r.map_err(|e| self.fail(e))?;
            serde_json::from_str(&text).map_err(|e| self.fail(e))
        })
        .collect()
    }

    fn add_consultation(&self, c: &ConsultationRecord) -> Result<i64> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO consultations (usager, at, transaction_code, access_mode, \
             justification, who_idnat, who_role, who_mode, consent, consent_detail, outcome, \
             code, text, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
             ?13, ?14)",
            params![
                c.usager,
                stamp(c.at),
                c.transaction,
                c.access_mode,
                c.justification,
                c.who.idnat,
                c.who.role,
                c.who.mode,
                c.consent,
                c.consent_detail,
                c.outcome,
                c.code,
                c.text,
                c.message_id
            ],
        )
        .map_err(|e| self.fail(e))?;
        Ok(conn.last_insert_rowid())
    }

    fn settle_consultation(&self, c: &ConsultationRecord) -> Result<()> {
        self.lock()
            .execute(
                "UPDATE consultations SET outcome = ?2, code = ?3, text = ?4, message_id = ?5 \
                 WHERE id = ?1",
                params![c.id, c.outcome, c.code, c.text, c.message_id],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn consultations(&self, usager: Option<&str>) -> Result<Vec<ConsultationRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {CONSULTATION_COLUMNS} FROM consultations WHERE ?1 IS NULL OR usager = \
                 ?1 ORDER BY id"
            ))
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params![usager], |row| {
                let r: std::result::Result<ConsultationRecord, String> =
                    consultation_from_row!(row, get);
                Ok(r)
            })
            .map_err(|e| self.fail(e))?;
        rows.map(|r| r.map_err(|e| self.fail(e))?.map_err(|e| self.fail(e)))
            .collect()
    }

    fn put_usager(&self, u: &Usager) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO usagers (key, label, setting) VALUES (?1, ?2, ?3) ON CONFLICT(key) \
                 DO UPDATE SET label = excluded.label, setting = excluded.setting",
                params![u.key, u.label, u.setting],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn usagers(&self) -> Result<Vec<Usager>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT key, label, setting FROM usagers ORDER BY key")
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(Usager {
                    key: row.get(0)?,
                    label: row.get(1)?,
                    setting: row.get(2)?,
                })
            })
            .map_err(|e| self.fail(e))?;
        rows.map(|r| r.map_err(|e| self.fail(e))).collect()
    }

    fn add_event(&self, e: &UsagerEvent) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO events (usager, kind, at) VALUES (?1, ?2, ?3)",
                params![e.usager, super::event_kind_name(e.kind), stamp(e.at)],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn events(&self) -> Result<Vec<UsagerEvent>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT usager, kind, at FROM events ORDER BY id")
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.fail(e))?;
        rows.map(|r| {
            let (usager, kind, at) = r.map_err(|e| self.fail(e))?;
            super::event_from_parts(usager, &kind, &at).map_err(|e| self.fail(e))
        })
        .collect()
    }
}
