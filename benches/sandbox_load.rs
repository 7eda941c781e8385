//! Load of the sandbox through the transport, loopback only: N concurrent clients (each its
//! own `Session`) feed D DLUs of about 200 KB (a PDF body padded to size, each its own CDA id
//! and uniqueId) to `dmp sandbox serve` running as a child process on a free port; then one
//! TD3.1 GetDocuments per 100 uniqueIds proves that no document was lost or doubled. Prints documents per second, p50/p99
//! latency of a send, the sandbox's peak RSS (VmHWM), and writes the report to
//! `$CARGO_TARGET_DIR/sandbox-load.json` (or `target/`). Exits 1 if anything was lost,
//! doubled or refused.
//!
//! ```sh
//! cargo bench -p dmp-cli --bench sandbox_load                 # 1 000 documents, 4 clients
//! cargo bench -p dmp-cli --bench sandbox_load -- --quick      # 50 documents (CI)
//! DMP_LOAD_DOCS=200 DMP_LOAD_CLIENTS=8 cargo bench -p dmp-cli --bench sandbox_load
//! ```
//! Bounded: a global deadline (`DMP_LOAD_DEADLINE_S`, default 600 s) after which no new
//! document is sent and the report says how many were.

#[path = "../tests/e2e_support/mod.rs"]
mod e2e_support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dmp_core::cda::Content;
use dmp_core::feed::FeedRequest;
use dmp_core::ids::Oid;

use dmp_sandbox::Store;
use dmp_transport::Outcome;
use e2e_support::*;

/// Size of each document's PDF body.
const BODY_BYTES: usize = 200 << 10;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// The sample PDF, padded after its end with PDF comment lines to `size` bytes.
fn padded_pdf(size: usize) -> Vec<u8> {
    let mut pdf = std::fs::read(repo("examples/data/cases/sample.pdf")).expect("sample.pdf");
    let line = format!("%{}\n", "x".repeat(78));
    while pdf.len() + line.len() <= size {
        pdf.extend_from_slice(line.as_bytes());
    }
    pdf
}

/// The DLU number `i`: its own CDA id (the uniqueId) and set id, the padded body.
fn document(template: &FeedRequest, body: &[u8], i: usize) -> (FeedRequest, String) {
    let mut r = template.clone();
    let unique_id = format!("1.2.250.1.999.1.1.7898.3.9.{}", i + 1);
    let doc = r.documents.first_mut().expect("one document");
    let header = doc.header.as_mut().expect("resolved header");
    header.id = Oid::new(&unique_id).expect("oid");
    header.set_id = Oid::new(&format!("1.2.250.1.999.1.1.7898.4.9.{}", i + 1)).expect("oid");
    let media_type = doc.body.as_ref().expect("resolved body").media_type;
    doc.body = Some(Content {
        media_type,
        data: body.to_vec(),
    });
    (r, unique_id)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at].as_secs_f64() * 1000.0
}

/// The peak resident set of a process (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let docs = env_number("DMP_LOAD_DOCS", if quick { 50 } else { 1000 });
    let clients = env_number("DMP_LOAD_CLIENTS", 4);
    let deadline = Duration::from_secs(env_number("DMP_LOAD_DEADLINE_S", 600) as u64);

    let data = temp_dir("load");
    let sandbox = SandboxProcess::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_dmp")),
        free_port(),
        &data,
        &[],
    );
    let template = dlu();
    let body = padded_pdf(BODY_BYTES);
    println!(
        "sandbox_load: {docs} DLUs of {} KB, {clients} clients, deadline {} s, sandbox pid {} at {}",
        body.len() >> 10,
        deadline.as_secs(),
        sandbox.pid(),
        sandbox.base
    );

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, &'static str, Duration, String)>> = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|scope| {
        for c in 0..clients {
            let (next, results, template, body, base) =
                (&next, &results, &template, &body, &sandbox.base);
            scope.spawn(move || {
                let ehpad = ehpad(base);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= docs || start.elapsed() > deadline {
                        break;
                    }
                    let (request, unique_id) = document(template, body, i);
                    let built = build(&ehpad, &request, ((c as u64) << 32) | i as u64);
                    let t = Instant::now();
                    let outcome = ehpad.send_built(&built.http);
                    let took = t.elapsed();
                    let why = match &outcome {
                        Outcome::Accepted { .. } => String::new(),
                        other => other.to_json().to_string(),
                    };
                    if let Ok(mut r) = results.lock() {
                        r.push((unique_id, outcome.kind(), took, why));
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let results = results.into_inner().unwrap_or_default();
    let rss = peak_rss_kib(sandbox.pid());

    // What the DMP holds, by TD3.1 GetDocuments in slices of 100 uniqueIds (one answer
    // listing 1 000 entries is beyond the core reader's memory budget), and every row of the
    // store for anything unexpected.
    let doctor = doctor(&sandbox.base);
    let sent_ids: Vec<String> = results.iter().map(|r| r.0.clone()).collect();
    let mut found = Vec::new();
    for slice in sent_ids.chunks(100) {
        let q = reference(&doctor, LEFEBVRE, slice);
        found.extend(q.documents.into_iter().map(|d| d.unique_id));
    }
    let stored: Vec<String> = Store::open(&data)
        .and_then(|s| s.documents(LEFEBVRE))
        .map(|rows| rows.into_iter().map(|d| d.unique_id).collect())
        .unwrap_or_default();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &found {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let accepted: Vec<&str> = results
        .iter()
        .filter(|r| r.1 == "accepted")
        .map(|r| r.0.as_str())
        .collect();
    let lost: Vec<&str> = accepted
        .iter()
        .copied()
        .filter(|id| !seen.contains_key(id))
        .collect();
    let doubled: Vec<&str> = seen
        .iter()
        .filter(|(_, &n)| n > 1)
        .map(|(id, _)| *id)
        .collect();
    let unexpected: Vec<&str> = stored
        .iter()
        .map(String::as_str)
        .filter(|id| !accepted.contains(id))
        .collect();
    let failures: Vec<&str> = results
        .iter()
        .filter(|r| r.1 != "accepted")
        .map(|r| r.3.as_str())
        .collect();
    drop(sandbox);
    let _ = std::fs::remove_dir_all(&data);

    let mut latencies: Vec<Duration> = results.iter().map(|r| r.2).collect();
    latencies.sort_unstable();
    let per_second = results.len() as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    let report = serde_json::json!({
        "documents_planned": docs,
        "documents_sent": results.len(),
        "documents_accepted": accepted.len(),
        "document_bytes": body.len(),
        "clients": clients,
        "seconds": elapsed.as_secs_f64(),
        "documents_per_second": per_second,
        "latency_ms": { "p50": percentile(&latencies, 0.50), "p99": percentile(&latencies, 0.99) },
        "sandbox_peak_rss_kib": rss,
        "found_by_td31": found.len(),
        "stored": stored.len(),
        "lost": lost,
        "doubled": doubled,
        "unexpected": unexpected,
        "failures": failures,
        "deadline_reached": results.len() < docs,
    });
    println!(
        "sent {} / {docs} in {:.1} s: {per_second:.1} documents/s; latency p50 {:.0} ms, p99 {:.0} ms; \
         sandbox peak RSS {} MiB; TD3.1 lists {}, the store {}; lost {}, doubled {}, unexpected {}, not accepted {}",
        results.len(),
        elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        rss.map_or("?".to_owned(), |k| (k >> 10).to_string()),
        found.len(),
        stored.len(),
        lost.len(),
        doubled.len(),
        unexpected.len(),
        failures.len()
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo("target"));
    let out = target.join("sandbox-load.json");
    match serde_json::to_string_pretty(&report).map(|t| std::fs::write(&out, t)) {
        Ok(Ok(())) => println!("report: {}", out.display()),
        _ => eprintln!("cannot write {}", out.display()),
    }
    if !lost.is_empty() || !doubled.is_empty() || !unexpected.is_empty() || !failures.is_empty() {
        eprintln!("sandbox_load: documents lost, doubled or refused (see the report)");
        std::process::exit(1);
    }
}
