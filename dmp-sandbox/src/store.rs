//! The sandbox's memory: one SQLite file (`sandbox.sqlite`) in the data directory, WAL,
//! `synchronous=FULL`, schema versioned by `user_version`. Every request is one
//! transaction: a crash never leaves half a submission. The read API (typed rows) serves
//! the HTML page and the tests.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

use crate::error::SandboxError;

/// The database file in the data directory.
pub const DATABASE_FILE: &str = "sandbox.sqlite";
/// The schema version written in `user_version`.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE patients (
  ins TEXT PRIMARY KEY,            -- the INS (15 characters)
  oid TEXT NOT NULL,               -- its OID (test or production)
  family TEXT NOT NULL,
  given TEXT NOT NULL,
  gender TEXT NOT NULL,
  birth_date TEXT NOT NULL,        -- yyyyMMdd
  label TEXT NOT NULL              -- who this usager is, for testers
);
CREATE TABLE documents (
  entry_uuid TEXT PRIMARY KEY,
  unique_id TEXT NOT NULL UNIQUE,
  ins TEXT NOT NULL REFERENCES patients(ins),
  lid TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,            -- approved, deprecated, archived, deleted
  type_code TEXT NOT NULL,
  title TEXT NOT NULL,
  masque_ps INTEGER NOT NULL,
  invisible_patient INTEGER NOT NULL,
  invisible_representants_legaux INTEGER NOT NULL,
  submission_set TEXT NOT NULL,
  structure TEXT NOT NULL,         -- the submitter's structure id
  submitted_at TEXT NOT NULL,
  entry_xml BLOB NOT NULL,         -- the ExtrinsicObject as submitted (SubmitObjectsRequest)
  cda BLOB NOT NULL
);
CREATE INDEX documents_by_ins ON documents(ins);
CREATE TABLE submission_sets (
  entry_uuid TEXT PRIMARY KEY,
  unique_id TEXT NOT NULL UNIQUE,
  ins TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  structure TEXT NOT NULL
);
CREATE TABLE access_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  who TEXT NOT NULL,
  structure TEXT NOT NULL,
  mode TEXT NOT NULL,
  transaction_code TEXT NOT NULL,
  ins TEXT NOT NULL,
  outcome TEXT NOT NULL,
  bris_de_glace INTEGER NOT NULL
);
";

/// Version 2: the professionals' authorisations on each DMP (TD0.3, TD0.4, TD1.6).
const AUTHORIZATIONS: &str = "
CREATE TABLE authorizations (
  ins TEXT NOT NULL REFERENCES patients(ins),
  who TEXT NOT NULL,               -- the VIHF subject (IdNat)
  family TEXT NOT NULL,
  given TEXT NOT NULL,
  specialty TEXT NOT NULL,         -- JDV_J01 code (G15_10/SM26), empty when none
  structure TEXT NOT NULL,
  mode TEXT NOT NULL,              -- ACTIVE or INTERDITE
  medecin_traitant INTEGER NOT NULL,
  started_at TEXT NOT NULL,        -- yyyyMMddHHmmss (UTC)
  last_action_at TEXT NOT NULL,    -- yyyyMMddHHmmss (UTC)
  PRIMARY KEY (ins, who)
);
";

/// One usager known to the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientRow {
    /// The INS.
    pub ins: String,
    /// Its OID.
    pub oid: String,
    /// Family name.
    pub family: String,
    /// Given name.
    pub given: String,
    /// `M`, `F` or `U`.
    pub gender: String,
    /// `yyyyMMdd`.
    pub birth_date: String,
    /// Who this usager is, for testers.
    pub label: String,
}

/// One stored document version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRow {
    /// entryUUID.
    pub entry_uuid: String,
    /// uniqueId.
    pub unique_id: String,
    /// The usager's INS.
    pub ins: String,
    /// Logical id shared by the versions of a document.
    pub lid: String,
    /// Version number, 1 for the first.
    pub version: i64,
    /// `approved`, `deprecated`, `archived` or `deleted`.
    pub status: String,
    /// typeCode (LOINC).
    pub type_code: String,
    /// Title.
    pub title: String,
    /// Masked to professionals.
    pub masque_ps: bool,
    /// Invisible to the usager.
    pub invisible_patient: bool,
    /// Invisible to the legal representatives.
    pub invisible_representants_legaux: bool,
    /// The submitter's structure id.
    pub structure: String,
    /// When it was stored (RFC 3339).
    pub submitted_at: String,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRow {
    /// When (RFC 3339).
    pub at: String,
    /// The VIHF subject (IdNat).
    pub who: String,
    /// The VIHF structure id.
    pub structure: String,
    /// The VIHF authentication mode.
    pub mode: String,
    /// `TD2.1`, `TD3.1`…
    pub transaction: String,
    /// The usager's INS (empty when none).
    pub ins: String,
    /// `OK` or the error code answered.
    pub outcome: String,
    /// Access in bris de glace or centre 15 mode.
    pub bris_de_glace: bool,
}

/// One professional's authorisation on a usager's DMP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizationRow {
    /// The usager's INS.
    pub ins: String,
    /// The professional's IdNat (VIHF subject).
    pub who: String,
    /// Family name.
    pub family: String,
    /// Given name.
    pub given: String,
    /// JDV_J01 specialty code (`G15_10/SM26`), empty when the VIHF gives none.
    pub specialty: String,
    /// The VIHF structure id.
    pub structure: String,
    /// `ACTIVE` or `INTERDITE`.
    pub mode: String,
    /// Médecin traitant DMP.
    pub medecin_traitant: bool,
    /// When the authorisation was given (`yyyyMMddHHmmss`, UTC).
    pub started_at: String,
    /// Last change (`yyyyMMddHHmmss`, UTC).
    pub last_action_at: String,
}

/// The sandbox's SQLite store. Cheap to share (one connection behind a mutex: requests are
/// serialised, which is what a tester's sandbox needs).
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) `sandbox.sqlite` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, SandboxError> {
        let path = data_dir.join(DATABASE_FILE);
        let fail = |e: &dyn std::fmt::Display| SandboxError::Store {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(data_dir).map_err(|e| fail(&e))?;
        let conn = Connection::open(&path).map_err(|e| fail(&e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail(&e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| fail(&e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| fail(&e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| fail(&e))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| fail(&e))?;
        match version {
            0 => {
                conn.execute_batch(&format!(
                    "BEGIN; {SCHEMA} {AUTHORIZATIONS} PRAGMA user_version = {SCHEMA_VERSION}; \
                     COMMIT;"
                ))
                .map_err(|e| fail(&e))?;
            }
            1 => {
                conn.execute_batch(&format!(
                    "BEGIN; {AUTHORIZATIONS} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| fail(&e))?;
            }
            SCHEMA_VERSION => {}
            other => {
                return Err(fail(&format!(
                    "schema version {other} is not the {SCHEMA_VERSION} this sandbox knows: \
                     use another data directory"
                )))
            }
        }
        Ok(Store {
            path,
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the transaction is
        // rolled back on drop): keep using the connection.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn fail(&self, e: rusqlite::Error) -> SandboxError {
        SandboxError::Store {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// Runs `f` in one transaction, committed when `f` returns `Ok`.
    pub(crate) fn transaction<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Every usager, by INS.
    pub fn patients(&self) -> Result<Vec<PatientRow>, SandboxError> {
        let conn = self.lock();
        patients(&conn).map_err(|e| self.fail(e))
    }

    /// Every document version of the usager `ins` (every status), oldest first.
    pub fn documents(&self, ins: &str) -> Result<Vec<DocumentRow>, SandboxError> {
        let conn = self.lock();
        documents(&conn, ins).map_err(|e| self.fail(e))
    }

    /// The access log, oldest first.
    pub fn access_log(&self) -> Result<Vec<AccessRow>, SandboxError> {
        let conn = self.lock();
        access_log(&conn).map_err(|e| self.fail(e))
    }

    /// The authorisations on the DMP of `ins`, by IdNat.
    pub fn authorizations(&self, ins: &str) -> Result<Vec<AuthorizationRow>, SandboxError> {
        let conn = self.lock();
        authorizations(&conn, ins).map_err(|e| self.fail(e))
    }

    /// The stored CDA of `unique_id`, if any.
    pub fn cda(&self, unique_id: &str) -> Result<Option<Vec<u8>>, SandboxError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT cda FROM documents WHERE unique_id = ?1",
            [unique_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| self.fail(e))
    }
}

pub(crate) fn patients(conn: &Connection) -> rusqlite::Result<Vec<PatientRow>> {
    let mut s = conn.prepare(
        "SELECT ins, oid, family, given, gender, birth_date, label FROM patients ORDER BY ins",
    )?;
    let rows = s.query_map([], |r| {
        Ok(PatientRow {
            ins: r.get(0)?,
            oid: r.get(1)?,
            family: r.get(2)?,
            given: r.get(3)?,
            gender: r.get(4)?,
            birth_date: r.get(5)?,
            label: r.get(6)?,
        })
    })?;
    rows.collect()
}

pub(crate) fn patient(conn: &Connection, ins: &str) -> rusqlite::Result<Option<PatientRow>> {
    Ok(patients(conn)?.into_iter().find(|p| p.ins == ins))
}

pub(crate) fn insert_patient(conn: &Connection, p: &PatientRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO patients (ins, oid, family, given, gender, birth_date, label) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            p.ins,
            p.oid,
            p.family,
            p.given,
            p.gender,
            p.birth_date,
            p.label
        ],
    )?;
    Ok(())
}

const DOCUMENT_COLUMNS: &str = "entry_uuid, unique_id, ins, lid, version, status, type_code, \
    title, masque_ps, invisible_patient, invisible_representants_legaux, structure, submitted_at";

fn document_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentRow> {
    Ok(DocumentRow {
        entry_uuid: r.get(0)?,
        unique_id: r.get(1)?,
        ins: r.get(2)?,
        lid: r.get(3)?,
        version: r.get(4)?,
        status: r.get(5)?,
        type_code: r.get(6)?,
        title: r.get(7)?,
        masque_ps: r.get(8)?,
        invisible_patient: r.get(9)?,
        invisible_representants_legaux: r.get(10)?,
        structure: r.get(11)?,
        submitted_at: r.get(12)?,
    })
}

pub(crate) fn documents(conn: &Connection, ins: &str) -> rusqlite::Result<Vec<DocumentRow>> {
    let mut s = conn.prepare(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE ins = ?1 ORDER BY submitted_at, rowid"
    ))?;
    let rows = s.query_map([ins], document_row)?;
    rows.collect()
}

/// A document version with its stored entry and CDA.
pub(crate) struct StoredDocument {
    pub row: DocumentRow,
    pub entry_xml: Vec<u8>,
    pub cda: Vec<u8>,
}

/// The documents of `ins` with their entries (every status), oldest first.
pub(crate) fn stored_documents(
    conn: &Connection,
    ins: &str,
) -> rusqlite::Result<Vec<StoredDocument>> {
    let mut s = conn.prepare(&format!(
        "SELECT {DOCUMENT_COLUMNS}, entry_xml, cda FROM documents WHERE ins = ?1 \
         ORDER BY submitted_at, rowid"
    ))?;
    let rows = s.query_map([ins], |r| {
        Ok(StoredDocument {
            row: document_row(r)?,
            entry_xml: r.get(13)?,
            cda: r.get(14)?,
        })
    })?;
    rows.collect()
}

/// The document whose uniqueId or entryUUID is `id`.
pub(crate) fn stored_document(
    conn: &Connection,
    id: &str,
) -> rusqlite::Result<Option<StoredDocument>> {
    conn.query_row(
        &format!(
            "SELECT {DOCUMENT_COLUMNS}, entry_xml, cda FROM documents \
             WHERE unique_id = ?1 OR entry_uuid = ?1"
        ),
        [id],
        |r| {
            Ok(StoredDocument {
                row: document_row(r)?,
                entry_xml: r.get(13)?,
                cda: r.get(14)?,
            })
        },
    )
    .optional()
}

pub(crate) fn insert_document(
    conn: &Connection,
    row: &DocumentRow,
    submission_set: &str,
    entry_xml: &[u8],
    cda: &[u8],
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO documents (entry_uuid, unique_id, ins, lid, version, status, type_code, \
         title, masque_ps, invisible_patient, invisible_representants_legaux, submission_set, \
         structure, submitted_at, entry_xml, cda) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            row.entry_uuid,
            row.unique_id,
            row.ins,
            row.lid,
            row.version,
            row.status,
            row.type_code,
            row.title,
            row.masque_ps,
            row.invisible_patient,
            row.invisible_representants_legaux,
            submission_set,
            row.structure,
            row.submitted_at,
            entry_xml,
            cda
        ],
    )?;
    Ok(())
}

pub(crate) fn set_status(
    conn: &Connection,
    entry_uuid: &str,
    status: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE documents SET status = ?2 WHERE entry_uuid = ?1",
        params![entry_uuid, status],
    )?;
    Ok(())
}

pub(crate) fn set_visibility(
    conn: &Connection,
    entry_uuid: &str,
    masque_ps: bool,
    invisible_patient: bool,
    invisible_representants_legaux: bool,
    entry_xml: &[u8],
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE documents SET masque_ps = ?2, invisible_patient = ?3, \
         invisible_representants_legaux = ?4, entry_xml = ?5 WHERE entry_uuid = ?1",
        params![
            entry_uuid,
            masque_ps,
            invisible_patient,
            invisible_representants_legaux,
            entry_xml
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_submission_set(
    conn: &Connection,
    entry_uuid: &str,
    unique_id: &str,
    ins: &str,
    at: &str,
    structure: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO submission_sets (entry_uuid, unique_id, ins, submitted_at, structure) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entry_uuid, unique_id, ins, at, structure],
    )?;
    Ok(())
}

pub(crate) fn unique_id_exists(conn: &Connection, unique_id: &str) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM documents WHERE unique_id = ?1) + \
         (SELECT count(*) FROM submission_sets WHERE unique_id = ?1)",
        [unique_id],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

pub(crate) fn log_access(conn: &Connection, row: &AccessRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO access_log (at, who, structure, mode, transaction_code, ins, outcome, \
         bris_de_glace) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            row.at,
            row.who,
            row.structure,
            row.mode,
            row.transaction,
            row.ins,
            row.outcome,
            row.bris_de_glace
        ],
    )?;
    Ok(())
}

pub(crate) fn access_log(conn: &Connection) -> rusqlite::Result<Vec<AccessRow>> {
    let mut s = conn.prepare(
        "SELECT at, who, structure, mode, transaction_code, ins, outcome, bris_de_glace \
         FROM access_log ORDER BY id",
    )?;
    let rows = s.query_map([], |r| {
        Ok(AccessRow {
            at: r.get(0)?,
            who: r.get(1)?,
            structure: r.get(2)?,
            mode: r.get(3)?,
            transaction: r.get(4)?,
            ins: r.get(5)?,
            outcome: r.get(6)?,
            bris_de_glace: r.get(7)?,
        })
    })?;
    rows.collect()
}

const AUTHORIZATION_COLUMNS: &str = "ins, who, family, given, specialty, structure, mode, \
    medecin_traitant, started_at, last_action_at";

fn authorization_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuthorizationRow> {
    Ok(AuthorizationRow {
        ins: r.get(0)?,
        who: r.get(1)?,
        family: r.get(2)?,
        given: r.get(3)?,
        specialty: r.get(4)?,
        structure: r.get(5)?,
        mode: r.get(6)?,
        medecin_traitant: r.get(7)?,
        started_at: r.get(8)?,
        last_action_at: r.get(9)?,
    })
}

/// The authorisations on the DMP of `ins`.
pub(crate) fn authorizations(
    conn: &Connection,
    ins: &str,
) -> rusqlite::Result<Vec<AuthorizationRow>> {
    let mut s = conn.prepare(&format!(
        "SELECT {AUTHORIZATION_COLUMNS} FROM authorizations WHERE ins = ?1 ORDER BY who"
    ))?;
    let rows = s.query_map([ins], authorization_row)?;
    rows.collect()
}

/// The active authorisations of the professional `who`, with the date of the last document
/// added to each DMP (`None`: none).
pub(crate) fn authorizations_of(
    conn: &Connection,
    who: &str,
) -> rusqlite::Result<Vec<(AuthorizationRow, Option<String>)>> {
    let mut s = conn.prepare(&format!(
        "SELECT {AUTHORIZATION_COLUMNS}, \
         (SELECT max(submitted_at) FROM documents d WHERE d.ins = a.ins) \
         FROM authorizations a WHERE who = ?1 AND mode = 'ACTIVE' ORDER BY ins"
    ))?;
    let rows = s.query_map([who], |r| Ok((authorization_row(r)?, r.get(10)?)))?;
    rows.collect()
}

/// Adds or replaces the authorisation of `row.who` on `row.ins`.
pub(crate) fn put_authorization(conn: &Connection, row: &AuthorizationRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "INSERT OR REPLACE INTO authorizations ({AUTHORIZATION_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params![
            row.ins,
            row.who,
            row.family,
            row.given,
            row.specialty,
            row.structure,
            row.mode,
            row.medecin_traitant,
            row.started_at,
            row.last_action_at
        ],
    )?;
    Ok(())
}

/// Removes the authorisation of `who` on `ins`; whether there was one.
pub(crate) fn remove_authorization(
    conn: &Connection,
    ins: &str,
    who: &str,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM authorizations WHERE ins = ?1 AND who = ?2",
        params![ins, who],
    )? > 0)
}
