//! The hosted journal: one PostgreSQL database for many establishments (every row carries
//! its establishment), several workers sharing one outbox.
//!
//! The synchronous `postgres` client: the journal and the transport are blocking, so one
//! connection per store, no async runtime to carry in the DUI's process.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset};
use dmp_core::consent::ConsentRecord;
use dmp_core::pilotage::{Usager, UsagerEvent};
use postgres::{Client, NoTls, Row};

use super::{
    consultation_from_row, decide, deposit_from_row, Decision, Enqueued, NewDeposit, Store,
    CONSULTATION_COLUMNS, DEPOSIT_COLUMNS, SCHEMA_VERSION,
};
use crate::error::{JournalError, Result};
use crate::record::{stamp, ConsultationRecord, Deposit};

/// The advisory lock taken while creating the schema (several workers may start at once).
const SCHEMA_LOCK: i64 = 0x0064_6d70_5f6a_6e6c; // "dmp_jnl"

const SCHEMA: &str = "
CREATE TABLE journal_schema (version BIGINT NOT NULL);
CREATE TABLE deposits (
  id BIGSERIAL PRIMARY KEY,
  establishment TEXT NOT NULL,
  usager TEXT NOT NULL,
  set_id TEXT NOT NULL,
  unique_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  version BIGINT NOT NULL,
  replaces TEXT,
  predecessor BIGINT REFERENCES deposits(id),
  content_hash TEXT NOT NULL,
  size BIGINT NOT NULL,
  hash TEXT,
  author_role TEXT NOT NULL,
  who_idnat TEXT NOT NULL,
  who_role TEXT NOT NULL,
  who_mode TEXT NOT NULL,
  state TEXT NOT NULL,
  code TEXT,
  text TEXT,
  attempts BIGINT NOT NULL,
  message_id TEXT,
  queued_at TEXT NOT NULL,
  sent_at TEXT,
  settled_at TEXT,
  confirmed_by_check BOOLEAN NOT NULL,
  keep_bytes BOOLEAN NOT NULL,
  request BYTEA,
  message BYTEA,
  lease_owner TEXT,
  lease_until TEXT
);
CREATE INDEX deposits_by_document ON deposits(establishment, usager, set_id);
CREATE INDEX deposits_to_send ON deposits(establishment, state, id);
CREATE TABLE consents (
  id BIGSERIAL PRIMARY KEY,
  establishment TEXT NOT NULL,
  usager TEXT NOT NULL,
  scope TEXT NOT NULL,
  professional TEXT,
  at TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX consents_by_usager ON consents(establishment, usager);
CREATE TABLE consultations (
  id BIGSERIAL PRIMARY KEY,
  establishment TEXT NOT NULL,
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
CREATE INDEX consultations_by_usager ON consultations(establishment, usager);
CREATE TABLE usagers (
  establishment TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  setting TEXT NOT NULL,
  PRIMARY KEY (establishment, key)
);
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  establishment TEXT NOT NULL,
  usager TEXT NOT NULL,
  kind TEXT NOT NULL,
  at TEXT NOT NULL
);
";

/// The journal of one establishment in a shared PostgreSQL database.
pub struct PostgresStore {
    establishment: String,
    place: String,
    client: Mutex<Client>,
}

impl PostgresStore {
    /// Connects to `url` (`postgresql://user@host:port/db`; no TLS: keep the database on
    /// the service's private network or a Unix socket) as the journal of `establishment`
    /// (its FINESS, or any key the service uses), creating the schema if needed.
    pub fn connect(url: &str, establishment: &str) -> Result<PostgresStore> {
        let place = redact(url);
        let fail = |e: &dyn std::fmt::Display| JournalError::Store {
            place: place.clone(),
            message: e.to_string(),
        };
        if establishment.trim().is_empty() {
            return Err(fail(&"the establishment key is empty: give its FINESS"));
        }
        let mut client = Client::connect(url, NoTls).map_err(|e| fail(&e))?;
        let mut tx = client.transaction().map_err(|e| fail(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .map_err(|e| fail(&e))?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('journal_schema') IS NOT NULL", &[])
            .and_then(|r| r.try_get(0))
            .map_err(|e| fail(&e))?;
        if exists {
            let version: i64 = tx
                .query_one("SELECT version FROM journal_schema", &[])
                .and_then(|r| r.try_get(0))
                .map_err(|e| fail(&e))?;
            if version != SCHEMA_VERSION {
                return Err(fail(&format!(
                    "schema version {version} is not the {SCHEMA_VERSION} this library knows: \
                     use the version of the library that wrote it"
                )));
            }
        } else {
            tx.batch_execute(SCHEMA).map_err(|e| fail(&e))?;
            tx.execute(
                "INSERT INTO journal_schema (version) VALUES ($1)",
                &[&SCHEMA_VERSION],
            )
            .map_err(|e| fail(&e))?;
        }
        tx.commit().map_err(|e| fail(&e))?;
        Ok(PostgresStore {
            establishment: establishment.to_owned(),
            place,
            client: Mutex::new(client),
        })
    }

    /// The establishment this store reads and writes.
    pub fn establishment(&self) -> &str {
        &self.establishment
    }

    fn lock(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fail(&self, e: impl std::fmt::Display) -> JournalError {
        JournalError::Store {
            place: self.place.clone(),
            message: e.to_string(),
        }
    }

    fn read_deposit(&self, row: &Row, bytes: bool) -> Result<Deposit> {
        let d: std::result::Result<Deposit, String> = deposit_from_row!(row, try_get, bytes);
        d.map_err(|e| self.fail(e))
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.split('?').next().unwrap_or_default().to_owned(),
    }
}

fn insert_deposit(
    tx: &mut postgres::Transaction<'_>,
    establishment: &str,
    d: &Deposit,
) -> std::result::Result<i64, postgres::Error> {
    let row = tx.query_one(
        "INSERT INTO deposits (establishment, usager, set_id, unique_id, kind, version, \
         replaces, predecessor, content_hash, size, hash, author_role, who_idnat, who_role, \
         who_mode, state, code, text, attempts, message_id, queued_at, sent_at, settled_at, \
         confirmed_by_check, keep_bytes, request, message) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, \
         $25, $26, $27) RETURNING id",
        &[
            &establishment,
            &d.usager,
            &d.set_id,
            &d.unique_id,
            &d.kind,
            &i64::from(d.version),
            &d.replaces,
            &d.predecessor,
            &d.content_hash,
            &(d.size as i64),
            &d.hash,
            &d.author_role,
            &d.who.idnat,
            &d.who.role,
            &d.who.mode,
            &d.state.name(),
            &d.code,
            &d.text,
            &i64::from(d.attempts),
            &d.message_id,
            &stamp(d.queued_at),
            &d.sent_at.map(stamp),
            &d.settled_at.map(stamp),
            &d.confirmed_by_check,
            &d.keep_bytes,
            &d.request,
            &d.message,
        ],
    )?;
    row.try_get(0)
}

impl Store for PostgresStore {
    fn enqueue(&self, new: &NewDeposit) -> Result<Enqueued> {
        let mut client = self.lock();
        let mut tx = client.transaction().map_err(|e| self.fail(e))?;
        // One document at a time: two callers depositing the same document wait for each
        // other instead of both deciding on the same latest row.
        let key = format!(
            "{}/{}/{}",
            self.establishment, new.deposit.usager, new.deposit.set_id
        );
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key])
            .map_err(|e| self.fail(e))?;
        let latest = tx
            .query_opt(
                &format!(
                    "SELECT {DEPOSIT_COLUMNS}, request, message FROM deposits WHERE \
                     establishment = $1 AND usager = $2 AND set_id = $3 AND state != \
                     'superseded' ORDER BY id DESC LIMIT 1"
                ),
                &[
                    &self.establishment,
                    &new.deposit.usager,
                    &new.deposit.set_id,
                ],
            )
            .map_err(|e| self.fail(e))?
            .map(|row| self.read_deposit(&row, true))
            .transpose()?;
        let d = &new.deposit;
        let est = self.establishment.as_str();
        let done = match decide(latest.as_ref(), d) {
            Decision::Same(id) => Enqueued::Same(id),
            Decision::First => {
                Enqueued::New(insert_deposit(&mut tx, est, d).map_err(|e| self.fail(e))?)
            }
            Decision::Supersede(old) => {
                tx.execute(
                    "UPDATE deposits SET state = 'superseded', request = NULL, message = NULL \
                     WHERE id = $1",
                    &[&old],
                )
                .map_err(|e| self.fail(e))?;
                let mut d = d.clone();
                d.predecessor = latest.as_ref().and_then(|l| l.predecessor);
                let id = insert_deposit(&mut tx, est, &d).map_err(|e| self.fail(e))?;
                Enqueued::Superseding { id, old }
            }
            Decision::After(previous) => {
                let mut d = d.clone();
                d.predecessor = Some(previous);
                Enqueued::New(insert_deposit(&mut tx, est, &d).map_err(|e| self.fail(e))?)
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
        let row = self
            .lock()
            .query_opt(
                &format!(
                    "UPDATE deposits SET lease_owner = $1, lease_until = $2 WHERE id = (SELECT id \
                     FROM deposits WHERE establishment = $3 AND id > $4 AND state IN ('queued', \
                     'sending', 'unknown') AND (lease_until IS NULL OR lease_until < $5 OR \
                     lease_owner = $1) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {DEPOSIT_COLUMNS}, request, \
                     message"
                ),
                &[
                    &worker,
                    &stamp(until),
                    &self.establishment,
                    &after,
                    &stamp(now),
                ],
            )
            .map_err(|e| self.fail(e))?;
        row.map(|r| self.read_deposit(&r, true)).transpose()
    }

    fn deposit(&self, id: i64) -> Result<Option<Deposit>> {
        let row = self
            .lock()
            .query_opt(
                &format!(
                    "SELECT {DEPOSIT_COLUMNS}, request, message FROM deposits WHERE \
                     establishment = $1 AND id = $2"
                ),
                &[&self.establishment, &id],
            )
            .map_err(|e| self.fail(e))?;
        row.map(|r| self.read_deposit(&r, true)).transpose()
    }

    fn save(&self, d: &Deposit, release: bool) -> Result<()> {
        let n = self
            .lock()
            .execute(
                "UPDATE deposits SET unique_id = $3, version = $4, replaces = $5, size = $6, \
                 hash = $7, state = $8, code = $9, text = $10, attempts = $11, message_id = $12, \
                 sent_at = $13, settled_at = $14, confirmed_by_check = $15, request = $16, \
                 message = $17, lease_owner = CASE WHEN $18 THEN NULL ELSE lease_owner END, \
                 lease_until = CASE WHEN $18 THEN NULL ELSE lease_until END WHERE \
                 establishment = $1 AND id = $2",
                &[
                    &self.establishment,
                    &d.id,
                    &d.unique_id,
                    &i64::from(d.version),
                    &d.replaces,
                    &(d.size as i64),
                    &d.hash,
                    &d.state.name(),
                    &d.code,
                    &d.text,
                    &i64::from(d.attempts),
                    &d.message_id,
                    &d.sent_at.map(stamp),
                    &d.settled_at.map(stamp),
                    &d.confirmed_by_check,
                    &d.request,
                    &d.message,
                    &release,
                ],
            )
            .map_err(|e| self.fail(e))?;
        if n == 0 {
            return Err(JournalError::UnknownDeposit(d.id));
        }
        Ok(())
    }

    fn deposits(&self) -> Result<Vec<Deposit>> {
        let rows = self
            .lock()
            .query(
                &format!(
                    "SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE establishment = $1 ORDER BY id"
                ),
                &[&self.establishment],
            )
            .map_err(|e| self.fail(e))?;
        rows.iter().map(|r| self.read_deposit(r, false)).collect()
    }

    fn add_consent(&self, record: &ConsentRecord) -> Result<()> {
        let json = serde_json::to_string(record).map_err(|e| self.fail(e))?;
        self.lock()
            .execute(
                "INSERT INTO consents (establishment, usager, scope, professional, at, record) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &self.establishment,
                    &record.usager,
                    &record.scope.name(),
                    &record.professional,
                    &stamp(record.at),
                    &json,
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn consents(&self, usager: &str) -> Result<Vec<ConsentRecord>> {
        let rows = self
            .lock()
            .query(
                "SELECT record FROM consents WHERE establishment = $1 AND usager = $2 ORDER BY id",
                &[&self.establishment, &usager],
            )
            .map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get(0).map_err(|e| self.fail(e))?;
                serde_json::from_str(&text).map_err(|e| self.fail(e))
            })
            .collect()
    }

    fn add_consultation(&self, c: &ConsultationRecord) -> Result<i64> {
        let row = self
            .lock()
            .query_one(
                "INSERT INTO consultations (establishment, usager, at, transaction_code, \
                 access_mode, justification, who_idnat, who_role, who_mode, consent, \
                 consent_detail, outcome, code, text, message_id) VALUES ($1, $2, $3, $4, $5, \
                 $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                &[
                    &self.establishment,
                    &c.usager,
                    &stamp(c.at),
                    &c.transaction,
                    &c.access_mode,
                    &c.justification,
                    &c.who.idnat,
                    &c.who.role,
                    &c.who.mode,
                    &c.consent,
                    &c.consent_detail,
                    &c.outcome,
                    &c.code,
                    &c.text,
                    &c.message_id,
                ],
            )
            .map_err(|e| self.fail(e))?;
        row.try_get(0).map_err(|e| self.fail(e))
    }

    fn settle_consultation(&self, c: &ConsultationRecord) -> Result<()> {
        self.lock()
            .execute(
                "UPDATE consultations SET outcome = $3, code = $4, text = $5, message_id = $6 \
                 WHERE establishment = $1 AND id = $2",
                &[
                    &self.establishment,
                    &c.id,
                    &c.outcome,
                    &c.code,
                    &c.text,
                    &c.message_id,
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn consultations(&self, usager: Option<&str>) -> Result<Vec<ConsultationRecord>> {
        let rows = self
            .lock()
            .query(
                &format!(
                    "SELECT {CONSULTATION_COLUMNS} FROM consultations WHERE establishment = $1 \
                     AND ($2::text IS NULL OR usager = $2) ORDER BY id"
                ),
                &[&self.establishment, &usager],
            )
            .map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|row| {
                let r: std::result::Result<ConsultationRecord, String> =
                    consultation_from_row!(row, try_get);
                r.map_err(|e| self.fail(e))
            })
            .collect()
    }

    fn put_usager(&self, u: &Usager) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO usagers (establishment, key, label, setting) VALUES ($1, $2, $3, \
                 $4) ON CONFLICT (establishment, key) DO UPDATE SET label = EXCLUDED.label, \
                 setting = EXCLUDED.setting",
                &[&self.establishment, &u.key, &u.label, &u.setting],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn usagers(&self) -> Result<Vec<Usager>> {
        let rows = self
            .lock()
            .query(
                "SELECT key, label, setting FROM usagers WHERE establishment = $1 ORDER BY key",
                &[&self.establishment],
            )
            .map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|r| {
                Ok(Usager {
                    key: r.try_get(0).map_err(|e| self.fail(e))?,
                    label: r.try_get(1).map_err(|e| self.fail(e))?,
                    setting: r.try_get(2).map_err(|e| self.fail(e))?,
                })
            })
            .collect()
    }

    fn add_event(&self, e: &UsagerEvent) -> Result<()> {
        self.lock()
            .execute(
                "INSERT INTO events (establishment, usager, kind, at) VALUES ($1, $2, $3, $4)",
                &[
                    &self.establishment,
                    &e.usager,
                    &super::event_kind_name(e.kind),
                    &stamp(e.at),
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn events(&self) -> Result<Vec<UsagerEvent>> {
        let rows = self
            .lock()
            .query(
                "SELECT usager, kind, at FROM events WHERE establishment = $1 ORDER BY id",
                &[&self.establishment],
            )
            .map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|r| {
                let usager: String = r.try_get(0).map_err(|e| self.fail(e))?;
                let kind: String = r.try_get(1).map_err(|e| self.fail(e))?;
                let at: String = r.try_get(2).map_err(|e| self.fail(e))?;
                super::event_from_parts(usager, &kind, &at).map_err(|e| self.fail(e))
            })
            .collect()
    }
}
