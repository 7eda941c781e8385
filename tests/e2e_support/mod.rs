//! What the end-to-end tests and the load bench share: the test keys, the sample actor
//! profiles (short retries), the sample DLU, sessions, outcomes unpacked, and `dmp sandbox
//! serve` as a child process on a free loopback port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use dmp_core::actor::ActorProfile;
use dmp_core::consent::Consent;
use dmp_core::consult::{ConsultRequest, Response, Transaction};
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, BuiltRequest, FeedContext, FeedRequest, IdGenerator};
use dmp_core::ids::Ins;
use dmp_core::xds::{DocumentRef, DocumentStatus, FindDocuments, QueryResponse, StoredQuery};
use dmp_transport::{HttpResponse, Outcome, Session};

/// The résidente of the sample DLU, seeded in the sandbox.
pub const LEFEBVRE: &str = "245036912304502";
/// The three usagers the sandbox seeds (`examples/data/sandbox/patients.json`).
pub const SEEDED: [&str; 3] = [LEFEBVRE, "212059935012364", "138027505601229"];
/// The OID of test INS.
pub const INS_OID: &str = "1.2.250.1.213.1.4.10";
/// The uniqueId of the sample DLU (`examples/data/cases/dlu.json`).
pub const DLU_ID: &str = "1.2.250.1.999.1.1.7898.3.1001";

/// A path of the repository (the tests are declared one level below it).
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// A test INS.
pub fn ins(matricule: &str) -> Ins {
    Ins::parse(matricule, INS_OID).expect("a valid test INS")
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "dmp-e2e-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A test signing identity (RSA-SHA1, as every DMP sample).
pub fn identity(p12: &str) -> SigningIdentity {
    let bytes = std::fs::read(repo(&format!("examples/pki/{p12}"))).expect("p12");
    SigningIdentity::from_pkcs12(&bytes, "dmp-test")
        .and_then(|i| i.with_algorithm(SignatureAlgorithm::RsaSha1))
        .expect("identity")
}

/// A sample actor profile with short retries and timeouts, changed by `patch`.
pub fn profile(name: &str, patch: impl FnOnce(&mut serde_json::Value)) -> ActorProfile {
    let path = repo(&format!("examples/data/actors/{name}.json"));
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("profile")).expect("json");
    v["transport"]["retries"] = serde_json::json!({ "attempts": 2, "backoff_ms": 20 });
    v["transport"]["timeouts_ms"] =
        serde_json::json!({ "connect": 3000, "read": 20000, "total": 40000 });
    patch(&mut v);
    ActorProfile::from_json(&v.to_string()).expect("actor profile")
}

/// A session of `profile` signing with `sign_p12`, against `base`.
pub fn session(profile: ActorProfile, sign_p12: &str, base: &str) -> Session {
    Session::new(
        profile,
        &repo("examples/data/actors"),
        identity(sign_p12),
        Some(base),
    )
    .expect("session")
}

/// The EHPAD (indirect mode, ORG_AUTH_CLI for TLS, ORG_SIGN for VIHF and XAdES).
pub fn ehpad(base: &str) -> Session {
    session(profile("ehpad-etablissement", |_| {}), "org-sign.p12", base)
}

/// The médecin coordonnateur with her CPS (direct mode).
pub fn doctor(base: &str) -> Session {
    session(
        profile("medecin-coordonnateur-cps", |_| {}),
        "cps-sign.p12",
        base,
    )
}

/// A feed file of `examples/data/feed/` (paths relative to it).
pub fn feed_request(text: &str) -> FeedRequest {
    let dir = repo("examples/data/feed");
    let load = |p: &str| std::fs::read(dir.join(p)).map_err(|e| e.to_string());
    let mut r = FeedRequest::from_json_with_profile(text, load).expect("feed request");
    r.resolve(load).expect("feed documents");
    r
}

/// The sample DLU, as the EHPAD.
pub fn dlu() -> FeedRequest {
    feed_request(
        &std::fs::read_to_string(repo("examples/data/feed/dlu-profile.json")).expect("dlu"),
    )
}

/// Builds a TD2.1 now with ids from `seed`, as `Session::feed` does, keeping the bytes.
pub fn build(s: &Session, request: &FeedRequest, seed: u64) -> BuiltRequest {
    let now = Utc::now();
    let signer = s
        .identity
        .signer_at(now, UsagePolicy::DmpSignature)
        .expect("signer");
    let mut ctx = FeedContext {
        now: now.fixed_offset(),
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
        rights: None,
    };
    feed::build(request, &mut ctx).expect("TD2.1 built")
}

/// The answer of an accepted outcome, or a failure that says what happened.
pub fn accepted(what: &str, outcome: Outcome) -> (Response, HttpResponse, bool) {
    match outcome {
        Outcome::Accepted {
            response,
            http,
            confirmed_by_check,
            ..
        } => (response, http, confirmed_by_check),
        other => panic!("{what}: expected accepted, got {}", other.to_json()),
    }
}

/// A care-team consent given now.
pub fn care() -> Option<Consent> {
    Some(Consent::care_team(Utc::now().fixed_offset()))
}

/// The TD3.1 FindDocuments of `who` on `matricule` with `statuses`: the outcome.
pub fn find_outcome(who: &Session, matricule: &str, statuses: &[DocumentStatus]) -> Outcome {
    let mut q = FindDocuments::new(ins(matricule));
    q.statuses = statuses.to_vec();
    who.consult(&ConsultRequest {
        actor: who.profile.clone(),
        consent: care(),
        transaction: Transaction::Search {
            ins: ins(matricule),
            query: StoredQuery::FindDocuments(q),
        },
    })
    .expect("TD3.1 built")
}

/// The TD3.1 FindDocuments answer and its bytes.
pub fn find(
    who: &Session,
    matricule: &str,
    statuses: &[DocumentStatus],
) -> (QueryResponse, Vec<u8>) {
    let (r, http, _) = accepted("TD3.1", find_outcome(who, matricule, statuses));
    match r {
        Response::Search(found) => (found, http.body),
        other => panic!("TD3.1: not a search answer: {}", other.render()),
    }
}

/// The TD3.1 reference search (GetDocuments) of `who` for `unique_ids`: the entries.
pub fn reference(who: &Session, matricule: &str, unique_ids: &[String]) -> QueryResponse {
    let outcome = who
        .consult(&ConsultRequest {
            actor: who.profile.clone(),
            consent: care(),
            transaction: Transaction::Reference {
                ins: ins(matricule),
                query: StoredQuery::GetDocuments {
                    by: DocumentRef::UniqueIds(unique_ids.to_vec()),
                    home_community_id: None,
                },
            },
        })
        .expect("TD3.1 built");
    match accepted("TD3.1 GetDocuments", outcome).0 {
        Response::Search(found) => found,
        other => panic!(
            "TD3.1 GetDocuments: not a search answer: {}",
            other.render()
        ),
    }
}

/// A loopback port free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `dmp sandbox serve` running as a child process; killed when dropped.
pub struct SandboxProcess {
    /// The child (taken by [`SandboxProcess::wait_exit`]).
    child: Option<Child>,
    /// `https://127.0.0.1:PORT`.
    pub base: String,
}

impl SandboxProcess {
    /// Starts `dmp` (`exe`) `sandbox serve` on `port` with `data` (the seed usagers, not
    /// the seeded documents: the callers count what they feed) and the extra `args`, and
    /// waits (at most 30 s) for its ready line.
    pub fn start(exe: &Path, port: u16, data: &Path, args: &[&str]) -> SandboxProcess {
        let mut child = Command::new(exe)
            .args(["sandbox", "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data)
            .arg("--no-seed-documents")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("dmp sandbox serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep the pipe drained until the child exits.
            for _ in lines {}
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Ok(line))) if line.starts_with("dmp sandbox ready") => {}
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("dmp sandbox serve did not start: {other:?}");
            }
        }
        SandboxProcess {
            child: Some(child),
            base: format!("https://127.0.0.1:{port}"),
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits (at most `within`) for the process to end by itself: its exit status, or
    /// `None` after killing it.
    pub fn wait_exit(mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(within) {
            Ok(status) => status.ok(),
            Err(_) => {
                // The waiting thread owns the child: end it by its id.
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                None
            }
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
