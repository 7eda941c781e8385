//! What the journal tests share: the journal on either backend, the sandbox in-process, and
//! documents of the sample DLU made distinct.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dmp_core::feed::FeedRequest;
use dmp_core::ids::Oid;
use dmp_journal::{EstablishmentKey, Journal, PostgresStore, SqliteStore, Store};
use dmp_sandbox::{Fault, Sandbox, SandboxConfig};

use crate::e2e_support::*;

/// The establishment key of the tests (32 bytes).
pub const KEY: &[u8; 32] = b"ehpad-les-tilleuls-test-key-0001";

/// The PostgreSQL URL of the tests, when given.
pub fn postgres_url() -> Option<String> {
    std::env::var("DMP_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Says so when PostgreSQL is not configured; true when it is.
pub fn postgres_or_skip() -> bool {
    if postgres_url().is_none() {
        println!("skipped: DMP_TEST_POSTGRES_URL not set");
        return false;
    }
    true
}

/// A SQLite journal in a fresh directory: the journal and its file.
pub fn sqlite_journal(name: &str) -> (Journal<SqliteStore>, PathBuf) {
    let dir = temp_dir(name);
    let path = dir.join("journal.sqlite");
    (open_sqlite(&path), path)
}

/// The SQLite journal at `path`.
pub fn open_sqlite(path: &Path) -> Journal<SqliteStore> {
    let store = SqliteStore::open(path).expect("journal file");
    Journal::new(store, EstablishmentKey::new(KEY).expect("key"))
}

/// A PostgreSQL journal for a fresh establishment (tests share one database).
pub fn postgres_journal(establishment: &str) -> Journal<PostgresStore> {
    let url = postgres_url().expect("DMP_TEST_POSTGRES_URL");
    let store = PostgresStore::connect(&url, establishment).expect("postgres journal");
    Journal::new(store, EstablishmentKey::new(KEY).expect("key"))
}

/// A fresh establishment name for PostgreSQL.
pub fn establishment(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

/// An in-process sandbox (usagers seeded, no documents), with a fault hook.
pub fn sandbox(name: &str, fault: Option<Fault>) -> (Sandbox, PathBuf) {
    let data = temp_dir(name);
    let mut config = SandboxConfig::embedded(data.clone());
    config.seed_documents = false;
    config.fault = fault;
    (Sandbox::start(config).expect("sandbox"), data)
}

/// The uniqueIds the sandbox stores for the résidente, with their status.
pub fn stored(sandbox: &Sandbox) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = sandbox
        .store()
        .and_then(|s| s.documents(LEFEBVRE))
        .expect("sandbox store")
        .into_iter()
        .map(|d| (d.unique_id, d.status))
        .collect();
    v.sort();
    v
}

/// The sample DLU as document `n` of its own (its uniqueId and setId under the sample's
/// arcs): distinct documents for the same résidente.
pub fn nth_dlu(n: u32) -> FeedRequest {
    let mut r = dlu();
    let h = r.documents[0].header.as_mut().expect("header");
    h.id = Oid::new(&format!("1.2.250.1.999.1.1.7898.3.{}", 5000 + n)).expect("oid");
    h.set_id = Oid::new(&format!("1.2.250.1.999.1.1.7898.3.{}", 6000 + n)).expect("oid");
    r
}

/// The sample DLU with another title (the DUI changed it), same identifiers.
pub fn changed_dlu() -> FeedRequest {
    let mut r = dlu();
    let h = r.documents[0].header.as_mut().expect("header");
    h.title = "Dossier de liaison d'urgence (corrigé)".into();
    r
}

/// Asserts the store-independent facts of an accepted deposit.
pub fn assert_accepted_once<S: Store>(j: &Journal<S>, id: i64) {
    let d = j.deposit_state(id).expect("deposit");
    assert_eq!(d.state, dmp_journal::State::Accepted, "{d:?}");
    assert!(d
        .message_id
        .as_deref()
        .is_some_and(|m| m.starts_with("urn:uuid:")));
    assert_eq!(d.hash.as_deref().map(str::len), Some(64));
}
