//! The `dmp` binary on the shipped sample data.

use std::process::Command;

const STAFF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/data/ehpad-staff.json"
);

fn dmp(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dmp"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn staff_report_table_and_json() {
    let (code, out, _) = dmp(&["staff-report", STAFF]);
    assert_eq!(code, 0);
    assert!(out.contains("Professionnels concernés — EHPAD Les Tilleuls"));
    assert!(out.contains("14 people: 14 may feed, 5 may consult, 1 need"));
    let (code, out, _) = dmp(&["staff-report", STAFF, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["people"], 14);
    assert_eq!(v["social_rows_in_force"], false);
    let (_, out, _) = dmp(&["staff-report", STAFF, "--json", "--social-rows-in-force"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["social_rows_in_force"], true);
}

#[test]
fn staff_report_errors() {
    let dir = std::env::temp_dir().join(format!("dmp-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    let text = std::fs::read_to_string(STAFF)
        .unwrap()
        .replace("899900100027", "899900100028");
    std::fs::write(&bad, text).unwrap();
    let (code, _, err) = dmp(&["staff-report", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("staff[1].idnat"), "{err}");
    assert!(err.contains("99900100028"), "{err}");
    let (code, _, err) = dmp(&["staff-report"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = dmp(&["staff-report", STAFF, "--nope"]);
    assert_eq!(code, 2);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn check_identifiers() {
    let (code, out, _) = dmp(&[
        "check",
        "ins",
        "207058575627097",
        "--oid",
        "1.2.250.1.213.1.4.10",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"));
    let (code, _, err) = dmp(&["check", "ins", "207058575627098"]);
    assert_eq!(code, 1);
    assert!(err.contains("expected 97"), "{err}");
    let (code, out, _) = dmp(&["check", "finess", "690800123"]);
    assert_eq!(
        (code, out.trim()),
        (0, "valid FINESS: structure IdNat 1690800123")
    );
    let (code, _, _) = dmp(&["check", "rpps", "99900100018"]);
    assert_eq!(code, 1);
    let (code, _, _) = dmp(&["check", "colour", "x"]);
    assert_eq!(code, 2);
}

#[test]
fn matrix_and_rights() {
    let (code, out, _) = dmp(&[
        "matrix",
        "decide",
        "--profession",
        "TRE_G15:10",
        "--type",
        "ATTEST-RESID",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Denied"), "{out}");
    assert!(out.contains("SECONDARY_VERIFIED"), "{out}");
    let (_, out, _) = dmp(&[
        "matrix",
        "decide",
        "--function",
        "administratif",
        "--type",
        "ATTEST-RESID",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "denied");
    assert_eq!(v["cell_value"], true);
    let (code, out, _) = dmp(&[
        "rights",
        "--auth",
        "indirecte_certificat_es",
        "--actor",
        "non_ps",
        "--transaction",
        "TD3.2",
    ]);
    assert_eq!(code, 0);
    assert!(out.lines().all(|l| l.contains("Denied")), "{out}");
    let (_, out, _) = dmp(&[
        "rights",
        "--auth",
        "indirecte_certificat_es",
        "--actor",
        "non_ps",
        "--transaction",
        "TD2.1",
    ]);
    assert!(
        out.contains("Allowed") && out.contains("Imputabilité"),
        "{out}"
    );
    let (code, _, _) = dmp(&["rights", "--auth", "telepathy", "--actor", "non_ps"]);
    assert_eq!(code, 2);
}

#[test]
fn cda_build_and_show() {
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/cases/dlu.json"
    );
    let dir = std::env::temp_dir().join(format!("dmp-cli-cda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("dlu.xml");
    let out_s = out.to_str().unwrap();
    let (code, stdout, err) = dmp(&["cda", "build", case, "-o", out_s]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("Document de liaison d'urgence"), "{stdout}");
    let first = std::fs::read(&out).unwrap();
    assert!(first.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    // Same inputs, same bytes.
    dmp(&["cda", "build", case, "-o", out_s]);
    assert_eq!(std::fs::read(&out).unwrap(), first);

    let pdf = dir.join("body.pdf");
    let (code, stdout, err) = dmp(&[
        "cda",
        "show",
        out_s,
        "--json",
        "--content",
        pdf.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["model_check"], "ok");
    assert_eq!(v["header"]["code"]["code"], "74207-2");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/cases/sample.pdf"
    );
    assert_eq!(std::fs::read(pdf).unwrap(), std::fs::read(sample).unwrap());

    // A bad case: an error naming the field, and no output file.
    let bad = dir.join("bad.json");
    let text = std::fs::read_to_string(case)
        .unwrap()
        .replace("\"sample.pdf\"", &format!("{sample:?}"))
        .replace(
            "\"Dossier de liaison d'urgence\"",
            &format!("\"{}\"", "x".repeat(129)),
        );
    std::fs::write(&bad, text).unwrap();
    let out2 = dir.join("never.xml");
    let (code, _, err) = dmp(&[
        "cda",
        "build",
        bad.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("title") && err.contains("128"), "{err}");
    assert!(!out2.exists());
    std::fs::remove_dir_all(dir).ok();
}
