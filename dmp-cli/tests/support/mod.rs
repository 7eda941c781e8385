//! Running the `dmp` binary from the CLI tests.

#![allow(dead_code)]

use std::process::Command;

/// The workspace root (commands run there, sample paths are relative to it).
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Runs `dmp` with `args` from the workspace root, the test PKI password in
/// `DMP_TEST_PASSWORD`: exit code, stdout, stderr.
pub fn dmp(args: &[&str]) -> (i32, String, String) {
    let password = std::fs::read_to_string(format!("{ROOT}/examples/pki/PASSWORD")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dmp"))
        .args(args)
        .current_dir(ROOT)
        .env("DMP_TEST_PASSWORD", password.trim())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A path for `name` in a temporary folder of this test binary (`group`).
pub fn tmp(group: &str, name: &str) -> String {
    let d = std::env::temp_dir().join(format!("dmp-{group}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name).to_string_lossy().into_owned()
}
