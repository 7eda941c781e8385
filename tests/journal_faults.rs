//! Faults around the journal, over real sockets and mutual TLS: the DUI's process killed
//! between journaling and sending and between sending and the answer, the answer lost by the
//! DMP, the journal's disk full, two workers draining one PostgreSQL outbox. Afterwards
//! every document is in the DMP exactly once and the journal says so.

mod e2e_support;
mod journal_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use dmp_core::soap::mtom::HttpRequest;
use dmp_journal::{Courier, DepositOptions, JournalError, State};
use dmp_sandbox::Fault;
use dmp_transport::{Outcome, Session};
use e2e_support::*;
use journal_support::*;

/// Where the child test process stops (the variable holds `where;journal path;base url`).
const CHILD: &str = "DMP_JOURNAL_TEST_CHILD";

/// A courier that kills its own process before or after handing the request over.
struct Killed<'a> {
    session: &'a Session,
    after_send: bool,
}

impl Courier for Killed<'_> {
    fn client(&self) -> &dmp_transport::Client {
        &self.session.client
    }

    fn profile(&self) -> &dmp_core::actor::ActorProfile {
        &self.session.profile
    }

    fn signer(&self) -> std::sync::Arc<dyn dmp_transport::SignerSource> {
        self.session.signer()
    }

    fn send(&self, request: &HttpRequest) -> Outcome {
        if self.after_send {
            let _ = self.session.send_built(request);
        }
        println!("ABORTING");
        std::process::abort();
    }
}

/// The child's side: deposit, flush with a courier that aborts.
fn child(spec: &str) {
    let mut parts = spec.splitn(3, ';');
    let (Some(when), Some(path), Some(base)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("bad child spec {spec}");
    };
    let j = open_sqlite(std::path::Path::new(path));
    j.deposit(&dlu(), &DepositOptions::default())
        .expect("journaled");
    let session = ehpad(base);
    let _ = j.flush(&Killed {
        session: &session,
        after_send: when == "after",
    });
    panic!("the courier should have aborted the process");
}

/// Runs this test binary's `test` as the child with `spec`; waits (at most 60 s) for it to
/// die by abort.
fn run_child(test: &str, spec: &str) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("child");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let saw = BufReader::new(stdout)
            .lines()
            .map_while(|l| l.ok())
            .any(|l| l.contains("ABORTING"));
        let _ = tx.send(saw);
    });
    let saw = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the child ends within 60 s");
    let status = child.wait().expect("child status");
    assert!(saw, "the child reached the courier");
    assert!(!status.success(), "the child was aborted: {status}");
}

fn killed(test: &str, after_send: bool) {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    let (sandbox, data) = sandbox(test, None);
    let dir = temp_dir(test);
    let path = dir.join("journal.sqlite");
    let when = if after_send { "after" } else { "before" };
    run_child(
        test,
        &format!("{when};{};{}", path.display(), sandbox.base_url()),
    );

    // The journal holds the request, built and journaled before the kill.
    let j = open_sqlite(&path);
    let deposits = j.store_deposits();
    assert_eq!(deposits.len(), 1);
    let d = j.deposit_state(deposits[0]).expect("deposit");
    assert_eq!(d.state, State::Sending, "journaled as possibly sent");
    let message_id = d.message_id.clone().expect("built before sending");
    let in_dmp = if after_send { 1 } else { 0 };
    assert_eq!(stored(&sandbox).len(), in_dmp);

    // The restarted DUI resumes: the registry is asked before any resend.
    let report = j.resume(&ehpad(&sandbox.base_url())).expect("resume");
    assert_eq!(report.accepted, [d.id], "{report:?}");
    let d = j.deposit_state(d.id).expect("deposit");
    assert_eq!(d.state, State::Accepted);
    assert_eq!(
        d.message_id.as_deref(),
        Some(message_id.as_str()),
        "same request"
    );
    // Killed after sending: found in the registry, not sent again; killed before: the same
    // bytes sent once.
    assert_eq!(d.confirmed_by_check, after_send);
    assert_eq!(d.attempts, if after_send { 0 } else { 1 });
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );
    assert!(sandbox
        .store()
        .expect("store")
        .access_log()
        .expect("log")
        .iter()
        .any(|a| a.transaction == "TD3.1"));
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
    let _ = std::fs::remove_dir_all(dir);
}

trait Numbers {
    fn store_deposits(&self) -> Vec<i64>;
}

impl<S: dmp_journal::Store> Numbers for dmp_journal::Journal<S> {
    fn store_deposits(&self) -> Vec<i64> {
        self.store()
            .deposits()
            .expect("deposits")
            .iter()
            .map(|d| d.id)
            .collect()
    }
}

#[test]
fn killed_between_journaling_and_sending() {
    killed("killed_between_journaling_and_sending", false);
}

#[test]
fn killed_between_sending_and_the_answer() {
    killed("killed_between_sending_and_the_answer", true);
}

#[test]
fn the_dmp_drops_the_answer_after_storing_confirmed_by_the_registry() {
    let (sandbox, data) = sandbox("jf-drop", Some(Fault::DropAfterStore { count: 1 }));
    let (j, path) = sqlite_journal("jf-drop");
    let id = j
        .deposit(&dlu(), &DepositOptions::default())
        .expect("journaled")[0]
        .id();
    let report = j.flush(&ehpad(&sandbox.base_url())).expect("flush");
    assert_eq!(report.accepted, [id]);
    let d = j.deposit_state(id).expect("deposit");
    assert!(d.confirmed_by_check);
    assert_eq!(d.attempts, 1, "sent once");
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
    let _ = std::fs::remove_file(path);
}

/// A full disk, without privileges: the journal file capped by SQLite's `max_page_count`
/// (what a full file system does to SQLite: SQLITE_FULL on the next page). The request
/// cannot be journaled, so it is not sent; room again: sent once.
#[test]
fn a_full_disk_stops_before_sending_and_nothing_is_lost() {
    let (sandbox, data) = sandbox("jf-full", None);
    let ehpad = ehpad(&sandbox.base_url());
    let dir = temp_dir("jf-full");
    let path = dir.join("journal.sqlite");
    let id = {
        let j = open_sqlite(&path);
        let id = j
            .deposit(&dlu(), &DepositOptions::default())
            .expect("journaled")[0]
            .id();
        // Full: not one more page.
        j.store().set_max_pages(1).expect("quota");
        match j.flush(&ehpad) {
            Err(JournalError::Store { message, .. }) => {
                assert!(message.contains("full"), "{message}")
            }
            other => panic!("expected a store error, got {other:?}"),
        }
        // A new deposit is refused too: the DUI knows it is not journaled.
        assert!(matches!(
            j.deposit(&nth_dlu(1), &DepositOptions::default()),
            Err(JournalError::Store { .. })
        ));
        id
    };
    assert!(stored(&sandbox).is_empty(), "not journaled, so not sent");
    let j = open_sqlite(&path);
    assert_eq!(j.deposit_state(id).expect("deposit").state, State::Queued);
    assert_eq!(j.flush(&ehpad).expect("flush").accepted, [id]);
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
    let _ = std::fs::remove_dir_all(dir);
}

/// Two workers, each with its own connection, drain one outbox: every document sent once.
#[test]
fn two_workers_on_postgres_send_each_document_once() {
    if !postgres_or_skip() {
        return;
    }
    const N: u32 = 8;
    let (sandbox, data) = sandbox("jf-workers", None);
    let est = establishment("workers");
    let j = postgres_journal(&est);
    let ids: Vec<i64> = (0..N)
        .map(|n| {
            j.deposit(&nth_dlu(n), &DepositOptions::default())
                .expect("journaled")[0]
                .id()
        })
        .collect();
    let base = sandbox.base_url();
    let workers: Vec<_> = ["worker-a", "worker-b"]
        .into_iter()
        .map(|name| {
            let (est, base) = (est.clone(), base.clone());
            std::thread::spawn(move || {
                let j = postgres_journal(&est).with_worker(name);
                j.flush(&ehpad(&base)).expect("flush")
            })
        })
        .collect();
    let reports: Vec<_> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    let mut accepted: Vec<i64> = reports.iter().flat_map(|r| r.accepted.clone()).collect();
    accepted.sort();
    assert_eq!(
        accepted, ids,
        "each deposit accepted by exactly one worker: {reports:?}"
    );
    for id in &ids {
        let d = j.deposit_state(*id).expect("deposit");
        assert_eq!((d.state, d.attempts), (State::Accepted, 1));
    }
    assert_eq!(
        stored(&sandbox).len(),
        N as usize,
        "each document once in the DMP"
    );
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// A worker that died holding a lease: another takes the deposit over once the lease ends,
/// asking the registry first.
#[test]
fn an_expired_lease_is_taken_over_after_the_registry_is_asked() {
    if !postgres_or_skip() {
        return;
    }
    let (sandbox, data) = sandbox("jf-lease", None);
    let est = establishment("lease");
    let j = postgres_journal(&est).with_lease(Duration::from_millis(300));
    let id = j
        .deposit(&dlu(), &DepositOptions::default())
        .expect("journaled")[0]
        .id();
    // The dead worker: claimed and journaled as sending, sent, then nothing.
    use dmp_journal::Store as _;
    let now = chrono::Utc::now().fixed_offset();
    let claimed = j
        .store()
        .claim("dead", 0, now, now + chrono::Duration::milliseconds(300))
        .expect("claim")
        .expect("a deposit");
    assert_eq!(claimed.id, id);
    // While the lease holds, nobody else takes it.
    let other = postgres_journal(&est).with_worker("other");
    let ehpad = ehpad(&sandbox.base_url());
    assert_eq!(other.flush(&ehpad).expect("flush"), Default::default());
    std::thread::sleep(Duration::from_millis(400));
    let report = other.flush(&ehpad).expect("flush");
    assert_eq!(report.accepted, [id]);
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}
