//! Helpers shared by the benches that time by hand (`#[path = "common/mod.rs"] mod common;`).

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// The best of `n` timed runs of `f`.
pub fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Runs the Python `script` with `bytes` written to a temporary file (its path is
/// `sys.argv[1]`) and returns what it prints, when python3 with lxml is there (else a note
/// and `None`). `tag` names the temporary file.
pub fn run_lxml(script: &str, bytes: &[u8], tag: &str) -> Option<String> {
    let probe = Command::new("python3").args(["-c", "import lxml"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: lxml skipped: python3 with lxml not available (pip install lxml)");
        return None;
    }
    let path = std::env::temp_dir().join(format!("dmp-{tag}-{}.xml", std::process::id()));
    std::fs::write(&path, bytes).ok()?;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let out = out.ok()?;
    if !out.status.success() {
        eprintln!(
            "note: lxml run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
