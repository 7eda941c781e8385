//! `dmp request KIND` and `dmp response FILE` on the shipped samples: every kind builds, a
//! refusal exits 1 with the rule, a usage error exits 2, answers print as a table or JSON.

mod support;

use support::dmp;

const AT: &str = "2026-11-20T15:00:00+01:00";
const INS: &str = "245036912304502";
const SEARCH: &str = "examples/data/responses/search-dlu.response.xml";

fn tmp(name: &str) -> String {
    support::tmp("consult-cli", name)
}

/// `dmp request KIND` as `who` (ehpad, doctor or nurse) with `extra` arguments.
fn request(kind: &str, who: &str, extra: &[&str], out: &str) -> (i32, String, String) {
    let (actor, p12) = match who {
        "ehpad" => ("ehpad-etablissement", "org-sign"),
        "doctor" => ("medecin-coordonnateur-cps", "cps-sign"),
        _ => ("ide-ecps", "org-sign"),
    };
    let actor = format!("examples/data/actors/{actor}.json");
    let p12 = format!("examples/pki/{p12}.p12");
    let mut args = vec![
        "request",
        kind,
        "--actor",
        &actor,
        "--p12",
        &p12,
        "--password-env",
        "DMP_TEST_PASSWORD",
        "--ins",
        INS,
        "--at",
        AT,
        "--seed",
        "3",
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    dmp(&args)
}

#[test]
fn every_kind_builds_its_request() {
    let entry = |uid: &'static str| vec!["--unique-id", uid, "--search-response", SEARCH];
    let dlu = "1.2.250.1.999.1.1.7898.5.1";
    let cases: Vec<(&str, &str, Vec<&str>, &str)> = vec![
        ("status", "ehpad", vec![], "TD0.2"),
        (
            "search",
            "doctor",
            vec!["--consent", "care-team", "--status", "approved"],
            "TD3.1",
        ),
        ("search", "ehpad", vec!["--unique-id", dlu], "TD3.1"),
        (
            "get",
            "nurse",
            vec!["--consent", "explicit", "--unique-id", dlu],
            "TD3.2",
        ),
        ("mask", "doctor", entry(dlu), "TD3.3a"),
        (
            "unmask",
            "doctor",
            entry("1.2.250.1.999.1.1.7898.5.2"),
            "TD3.3a",
        ),
        (
            "visibility",
            "doctor",
            [entry(dlu), vec!["--patient", "invisible"]].concat(),
            "TD3.3b",
        ),
        ("archive", "doctor", entry(dlu), "TD3.3d"),
        (
            "unarchive",
            "doctor",
            entry("1.2.250.1.999.1.1.7898.5.3"),
            "TD3.3d",
        ),
        ("delete", "ehpad", entry(dlu), "TD3.3c"),
        ("authorize", "doctor", vec![], "TD0.3"),
        (
            "authorized-list",
            "doctor",
            vec!["--since", "2026-01-01T00:00:00Z"],
            "TD0.4",
        ),
    ];
    for (kind, who, extra, td) in cases {
        let out = tmp(&format!("{kind}-{who}.mime"));
        let (code, stdout, stderr) = request(kind, who, &extra, &out);
        assert_eq!(code, 0, "{kind}: {stderr}");
        assert!(stdout.contains(td), "{kind}: {stdout}");
        let message = std::fs::read(&out).unwrap();
        assert!(message.starts_with(b"Content-Type: "), "{kind}");
        let again = tmp(&format!("{kind}-{who}-2.mime"));
        request(kind, who, &extra, &again);
        assert_eq!(
            std::fs::read(&again).unwrap(),
            message,
            "{kind}: same bytes"
        );
    }
}

#[test]
fn refusals_exit_1_with_the_rule_and_usage_errors_exit_2() {
    let out = tmp("refused.mime");
    let (code, _, stderr) = request("search", "doctor", &[], &out);
    assert_eq!(code, 1);
    assert!(stderr.contains("consent"), "{stderr}");
    let (code, _, stderr) = request(
        "get",
        "ehpad",
        &["--consent", "explicit", "--unique-id", "1.2.3"],
        &out,
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("functional rights"), "{stderr}");
    assert!(
        !std::path::Path::new(&out).exists(),
        "nothing written on refusal"
    );
    let (code, _, stderr) = request("mask", "doctor", &["--unique-id", "1.2.3"], &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--search-response"), "{stderr}");
    let (code, _, stderr) = request("teleport", "doctor", &[], &out);
    assert_eq!(code, 2);
    // clap names the kinds it knows and suggests the closest.
    assert!(
        stderr.contains("unrecognized subcommand 'teleport'"),
        "{stderr}"
    );
    let (code, _, stderr) = request("serch", "doctor", &[], &out);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("similar subcommand") && stderr.contains("'search'"),
        "{stderr}"
    );
    let (code, _, stderr) = request("search", "doctor", &["--consent", "maybe"], &out);
    assert_eq!(code, 2);
    assert!(stderr.contains("care-team"), "{stderr}");
}

#[test]
fn response_prints_a_table_json_and_the_readers_habilitation() {
    let (code, stdout, stderr) = dmp(&["response", SEARCH]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("TD3.1 response: 3 document(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("[N,MASQUE_PS]"), "{stdout}");
    let (code, stdout, _) = dmp(&["response", SEARCH, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["transaction"], "TD3.1");
    let d = &v["result"]["documents"][1];
    for key in [
        "entry_uuid",
        "unique_id",
        "status",
        "type_code",
        "title",
        "size",
        "hash",
        "confidentiality",
        "creation_time",
        "repository_unique_id",
    ] {
        assert!(!d[key].is_null(), "{key}");
    }
    assert_eq!(d["confidentiality"][1]["code"], "MASQUE_PS");
    let (_, stdout, _) = dmp(&[
        "response",
        SEARCH,
        "--json",
        "--actor",
        "examples/data/actors/ide-ecps.json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["result"]["documents"][0]["habilitation"]["outcome"],
        "allowed"
    );
}

#[test]
fn a_refusal_answer_exits_1_with_the_dmps_words() {
    let file = tmp("failure.xml");
    std::fs::write(
        &file,
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><rs:RegistryErrorList><rs:RegistryError errorCode="XDSUnknownPatientId" codeContext="Patient inconnu" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/></rs:RegistryErrorList></rs:RegistryResponse></soap:Body></soap:Envelope>"#,
    )
    .unwrap();
    let (code, stdout, stderr) = dmp(&["response", &file]);
    assert_eq!(code, 1);
    assert!(stdout.contains("XDSUnknownPatientId"), "{stdout}");
    assert!(stderr.contains("Patient inconnu"), "{stderr}");
}

/// Issue 13: a closed pipe is a normal end, and a file name that is not UTF-8 works.
#[test]
fn a_closed_pipe_and_a_latin1_argument_are_no_panic() {
    use std::os::unix::ffi::OsStrExt as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmp"))
        .args(["staff-report", "examples/data/ehpad-staff.json", "--json"])
        .current_dir(support::ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the report is written
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // A Latin-1 file name (ESSMS file shares) is a path like any other.
    let dir = std::path::PathBuf::from(tmp("latin1"));
    std::fs::create_dir_all(&dir).unwrap();
    let latin1 = dir.join(std::ffi::OsStr::from_bytes(b"r\xe9sidents.json"));
    std::fs::copy(
        format!("{}/examples/data/ehpad-staff.json", support::ROOT),
        &latin1,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dmp"))
        .arg("staff-report")
        .arg(&latin1)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["people"], 14);
    // A missing one is named (lossily), not a panic.
    let missing = dir.join(std::ffi::OsStr::from_bytes(b"absent-\xe9.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_dmp"))
        .args(["cda", "show"])
        .arg(&missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read") && stderr.contains("absent-\u{fffd}.json"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
