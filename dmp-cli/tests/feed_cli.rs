//! `dmp feed build` and `dmp feed check` on the shipped samples.

mod support;

use support::dmp;

const AT: &str = "2026-11-20T15:00:00+01:00";

fn tmp(name: &str) -> String {
    support::tmp("feed-cli", name)
}

fn build(sample: &str, out: &str, extra: &[&str]) -> (i32, String, String) {
    let case = format!("examples/data/feed/{sample}.json");
    let mut args = vec![
        "feed",
        "build",
        case.as_str(),
        "--p12",
        "examples/pki/org-sign.p12",
        "--password-env",
        "DMP_TEST_PASSWORD",
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    dmp(&args)
}

#[test]
fn build_then_check() {
    let out = tmp("dlu.mime");
    let dump = tmp("dump");
    let (code, stdout, stderr) = build("dlu", &out, &["--at", AT, "--seed", "7", "--dump", &dump]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("seed 7"), "{stdout}");
    for f in [
        "envelope.xml",
        "document-1.xml",
        "signature.xml",
        "vihf.xml",
    ] {
        assert!(std::path::Path::new(&dump).join(f).is_file(), "{f}");
    }
    let first = std::fs::read(&out).unwrap();
    let (code, ..) = build("dlu", &out, &["--at", AT, "--seed", "7"]);
    assert_eq!(code, 0);
    assert_eq!(
        first,
        std::fs::read(&out).unwrap(),
        "same --at and --seed, same bytes"
    );

    let (code, stdout, stderr) = dmp(&[
        "feed",
        "check",
        &out,
        "--trust",
        "examples/pki/root.pem",
        "--trust",
        "examples/pki/org-ca.pem",
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("metadata matches the CDA"), "{stdout}");
    assert!(stdout.ends_with("OK\n"), "{stdout}");
}

#[test]
fn random_seed_is_printed_and_air_is_refused() {
    let out = tmp("air.mime");
    let (code, stdout, stderr) = build("dlu", &out, &["--at", AT, "--mode", "air"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("mode") && stderr.contains("TD2.1"),
        "{stderr}"
    );
    let (code, stdout, _) = build("replacement", &tmp("r.mime"), &["--at", AT]);
    assert_eq!(code, 0);
    assert!(stdout.contains("(random)"), "{stdout}");
    let (code, ..) = dmp(&["feed", "build", "x.json"]);
    assert_eq!(code, 2);
}
