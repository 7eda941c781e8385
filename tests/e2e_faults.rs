//! Faults between the client and the DMP, over real sockets on 127.0.0.1: the sandbox killed
//! after storing a TD2.1 and restarted, answers cut in the middle, a proxy that refuses, a
//! DMP that is down. The client must never lose nor double a document, and must say which of
//! its typed outcomes happened.

mod e2e_support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dmp_core::consult::Response;
use dmp_core::xds::DocumentStatus;
use dmp_sandbox::{Fault, Sandbox, SandboxConfig, Store};
use dmp_transport::Outcome;
use e2e_support::*;

fn dmp_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_dmp"))
}

/// The uniqueIds stored for the résidente.
fn stored(data: &Path) -> Vec<String> {
    Store::open(data)
        .and_then(|s| s.documents(LEFEBVRE))
        .expect("store")
        .into_iter()
        .map(|d| d.unique_id)
        .collect()
}

#[test]
fn sandbox_killed_after_storing_then_restarted_one_document_confirmed_by_check() {
    let data = temp_dir("abort");
    let port = free_port();
    let first = SandboxProcess::start(dmp_exe(), port, &data, &["--fault", "abort-after-store"]);
    let base = first.base.clone();

    // Enough retries of the landing search (backoff 100 ms, doubling: ~12 s) for a restart.
    let ehpad = session(
        profile("ehpad-etablissement", |v| {
            v["transport"]["retries"] = serde_json::json!({ "attempts": 8, "backoff_ms": 100 });
        }),
        "org-sign.p12",
        &base,
    );
    let (tx, rx) = mpsc::channel();
    let client = std::thread::spawn(move || {
        let _ = tx.send(ehpad.feed(&dlu()).expect("TD2.1 built"));
    });

    // The first sandbox aborts after committing; restart it on the same port and data.
    let status = first
        .wait_exit(Duration::from_secs(30))
        .expect("the sandbox aborted after storing");
    assert!(!status.success(), "aborted, not a clean exit: {status}");
    assert_eq!(stored(&data), [DLU_ID], "committed before the abort");
    let second = SandboxProcess::start(dmp_exe(), port, &data, &[]);

    let outcome = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the client ends within its total timeout");
    client.join().expect("client thread");
    match &outcome {
        Outcome::Accepted {
            confirmed_by_check,
            attempts,
            response,
            ..
        } => {
            assert!(*confirmed_by_check, "established by the landing search");
            assert_eq!(*attempts, 1, "sent once, never again");
            let Response::Search(found) = response else {
                panic!("the landing search's answer: {}", response.render());
            };
            assert_eq!(found.documents.len(), 1);
            assert_eq!(found.documents[0].unique_id, DLU_ID);
        }
        other => panic!("expected accepted by check, got {}", other.to_json()),
    }
    drop(second);
    assert_eq!(stored(&data), [DLU_ID], "exactly one document");
    let _ = std::fs::remove_dir_all(&data);
}

/// An in-process sandbox with `fault`.
fn sandbox_with(name: &str, fault: Fault) -> (Sandbox, std::path::PathBuf) {
    let data = temp_dir(name);
    let mut config = SandboxConfig::embedded(data.clone());
    config.fault = Some(fault);
    config.seed_documents = false;
    (Sandbox::start(config).expect("sandbox"), data)
}

#[test]
fn an_answer_cut_mid_response_a_query_is_retried() {
    let (sandbox, data) = sandbox_with("cut-query", Fault::DropMidResponse { count: 1 });
    let doctor = doctor(&sandbox.base_url());
    let outcome = find_outcome(&doctor, LEFEBVRE, &[DocumentStatus::Approved]);
    assert_eq!(outcome.attempts(), 2, "{}", outcome.to_json());
    let (r, http, confirmed) = accepted("TD3.1", outcome);
    assert!(!confirmed);
    assert_eq!(http.status, 200);
    assert!(matches!(r, Response::Search(ref f) if f.documents.is_empty()));
    sandbox.stop();
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_answer_cut_mid_response_a_feed_is_confirmed_by_the_landing_check() {
    let (sandbox, data) = sandbox_with("cut-feed", Fault::DropMidResponse { count: 1 });
    let ehpad = ehpad(&sandbox.base_url());
    let outcome = ehpad.feed(&dlu()).expect("TD2.1 built");
    match &outcome {
        Outcome::Accepted {
            confirmed_by_check,
            attempts,
            ..
        } => {
            assert!(*confirmed_by_check);
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected accepted by check, got {}", other.to_json()),
    }
    assert_eq!(stored(&data), [DLU_ID]);
    sandbox.stop();
    let _ = std::fs::remove_dir_all(&data);
}

/// A proxy on 127.0.0.1 that answers every CONNECT with `answer`; stops after the test.
struct RefusingProxy {
    url: String,
    connections: mpsc::Receiver<String>,
}

impl RefusingProxy {
    fn start(answer: &'static str, max_connections: usize) -> RefusingProxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(max_connections) {
                let Ok(mut s) = stream else { return };
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 << 10 {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let first = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let _ = s.write_all(answer.as_bytes());
                let _ = tx.send(first);
            }
        });
        RefusingProxy {
            url,
            connections: rx,
        }
    }
}

fn through_refusing_proxy(answer: &'static str, code: &str) {
    let data = temp_dir("proxy");
    let mut config = SandboxConfig::embedded(data.clone());
    config.seed_documents = false;
    let sandbox = Sandbox::start(config).expect("sandbox");
    let proxy = RefusingProxy::start(answer, 2);
    let ehpad = session(
        profile("ehpad-etablissement", |v| {
            v["transport"]["proxy"] = serde_json::json!({ "url": proxy.url });
        }),
        "org-sign.p12",
        &sandbox.base_url(),
    );
    let outcome = ehpad.feed(&dlu()).expect("TD2.1 built");
    match &outcome {
        Outcome::FailedBeforeSending { reason, attempts } => {
            assert_eq!(*attempts, 2);
            let proxy_addr = proxy.url.trim_start_matches("http://");
            assert!(reason.contains(proxy_addr), "names the proxy: {reason}");
            assert!(reason.contains(code), "says what it answered: {reason}");
        }
        other => panic!("expected failed_before_sending, got {}", other.to_json()),
    }
    let host = sandbox.base_url().trim_start_matches("https://").to_owned();
    for _ in 0..2 {
        let line = proxy
            .connections
            .recv_timeout(Duration::from_secs(5))
            .expect("the client went through the proxy");
        assert!(line.starts_with(&format!("CONNECT {host} ")), "{line}");
    }
    assert!(stored(&data).is_empty());
    assert!(sandbox
        .store()
        .and_then(|s| s.access_log())
        .expect("log")
        .is_empty());
    sandbox.stop();
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_proxy_that_forbids_fails_before_sending_and_names_it() {
    through_refusing_proxy(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "403",
    );
}

#[test]
fn a_proxy_that_wants_authentication_fails_before_sending_and_names_it() {
    through_refusing_proxy(
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"dmp\"\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
        "407",
    );
}

#[test]
fn the_dmp_down_fails_before_sending_quickly() {
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let ehpad = ehpad(&base);
    let start = Instant::now();
    let outcome = ehpad.feed(&dlu()).expect("TD2.1 built");
    let took = start.elapsed();
    match &outcome {
        Outcome::FailedBeforeSending { reason, attempts } => {
            assert_eq!(*attempts, 2);
            assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
        }
        other => panic!("expected failed_before_sending, got {}", other.to_json()),
    }
    assert!(took < Duration::from_secs(3), "took {took:?}");
}
