//! `dmp journal …` end to end: the binary against an in-process sandbox over real sockets and
//! mutual TLS (deposit, flush, status, consent, consult, facts), and the inputs it refuses.

mod support;

use dmp_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use support::dmp;

/// The test-only establishment key shipped for the samples.
const KEY: &str = "examples/data/journal/TEST-ONLY-establishment.key";
/// The résidente of the sample DLU (a test INS).
const LEFEBVRE: &str = "245036912304502";
/// The uniqueId of the sample DLU.
const DLU_ID: &str = "1.2.250.1.999.1.1.7898.3.1001";

fn tmp(name: &str) -> String {
    support::tmp("journal-cli", name)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// Runs `dmp journal ARGS… --journal J`, with `--key-file` the test key when `key`.
fn journal(sub: &str, j: &str, key: bool, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["journal", sub, "--journal", j];
    if key {
        args.extend(["--key-file", KEY]);
    }
    args.extend_from_slice(extra);
    dmp(&args)
}

/// A sandbox with the sample usagers and no documents, and its data directory.
fn sandbox(name: &str) -> (Sandbox, std::path::PathBuf) {
    let data = std::path::PathBuf::from(tmp(&format!("sandbox-{name}")));
    let mut config = SandboxConfig::embedded(data.clone());
    config.seed_documents = false;
    (Sandbox::start(config).expect("sandbox"), data)
}

#[test]
fn deposit_flush_status_consult_and_facts_against_the_sandbox() {
    let (sandbox, data) = sandbox("e2e");
    let base = sandbox.base_url();
    let j = tmp("e2e.sqlite");
    let case = "examples/data/feed/dlu-profile.json";

    // Journaled, not sent; the same content again is not queued twice.
    let (code, out, err) = journal("deposit", &j, true, &[case, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let d = json(&out);
    assert_eq!(d["deposits"][0]["deposit"], 1);
    assert_eq!(d["deposits"][0]["enqueued"], "new");
    assert_eq!(d["deposits"][0]["unique_id"], DLU_ID);
    let (code, out, _) = journal("deposit", &j, true, &[case, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["deposits"][0]["enqueued"], "same");
    let (code, out, _) = journal("status", &j, false, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("queued") && out.contains(DLU_ID), "{out}");
    assert!(out.ends_with("1 deposit(s)\n"), "{out}");
    assert!(
        sandbox
            .store()
            .unwrap()
            .documents(LEFEBVRE)
            .unwrap()
            .is_empty(),
        "nothing sent before the flush"
    );

    // Flushed once: accepted, in the DMP once.
    let send_as = [
        "--actor",
        "examples/data/actors/ehpad-etablissement.json",
        "--p12",
        "examples/pki/org-sign.p12",
        "--password-env",
        "DMP_TEST_PASSWORD",
        "--endpoint",
        &base,
        "--json",
    ];
    let (code, out, err) = journal("flush", &j, true, &send_as);
    assert_eq!(code, 0, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["accepted"], serde_json::json!([1]));
    assert_eq!(report["settled"], true);
    let (code, out, _) = journal("flush", &j, true, &send_as);
    assert_eq!(code, 0);
    assert_eq!(
        json(&out)["accepted"],
        serde_json::json!([]),
        "nothing left"
    );
    let stored = sandbox.store().unwrap().documents(LEFEBVRE).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].unique_id, DLU_ID);

    let (code, out, _) = journal("status", &j, false, &["--json"]);
    assert_eq!(code, 0);
    let status = json(&out);
    assert_eq!(status.as_array().map(Vec::len), Some(1));
    assert_eq!(status[0]["state"], "accepted");
    assert_eq!(status[0]["attempts"], 1);
    assert_eq!(status[0]["kind"], "dlu");
    assert_eq!(status[0]["usager"].as_str().map(str::len), Some(64));
    assert!(
        !out.contains(LEFEBVRE),
        "the INS is nowhere in the journal's output"
    );

    // Consultation through the register: blocked without consent, sent once it is recorded.
    let consult_as = [
        "--actor",
        "examples/data/actors/medecin-coordonnateur-cps.json",
        "--p12",
        "examples/pki/cps-sign.p12",
        "--password-env",
        "DMP_TEST_PASSWORD",
        "--endpoint",
        &base,
        "--ins",
        LEFEBVRE,
        "--care-team",
    ];
    let (code, out, err) = journal("consult", &j, true, &consult_as);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("not sent (journaled as blocked)") && err.contains("care_team"),
        "{err}"
    );
    for record in ["consent-care-team", "consent-information"] {
        let path = format!("examples/data/journal/{record}.json");
        let (code, out, err) = journal(
            "consent",
            &j,
            true,
            &[
                "--ins",
                LEFEBVRE,
                "--environment",
                "test",
                "--record",
                &path,
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("recorded: "), "{out}");
    }
    let mut args = consult_as.to_vec();
    args.push("--json");
    let (code, out, err) = journal("consult", &j, true, &args);
    assert_eq!(code, 0, "{out}{err}");
    let answer = json(&out);
    assert_eq!(answer["outcome"], "accepted");
    assert_eq!(
        answer["response"]["result"]["documents"][0]["unique_id"],
        DLU_ID
    );

    let (code, out, _) = journal(
        "event",
        &j,
        true,
        &[
            "--ins",
            LEFEBVRE,
            "--environment",
            "test",
            "--kind",
            "admission",
        ],
    );
    assert_eq!(code, 0, "{out}");

    // The facts: one accepted DLU, two consultations (one blocked), one event.
    let facts_file = tmp("facts.json");
    let (code, out, err) = journal("facts", &j, false, &["-o", &facts_file]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 usager(s), 1 deposit(s), 2 consultation(s), 1 event(s)"),
        "{out}"
    );
    let facts = json(&std::fs::read_to_string(&facts_file).unwrap());
    assert_eq!(facts["deposits"][0]["status"], "accepted");
    assert_eq!(facts["deposits"][0]["kind"], "dlu");
    assert_eq!(facts["consultations"][0]["outcome"], "blocked");
    assert_eq!(facts["consultations"][1]["outcome"], "accepted");
    assert_eq!(facts["consultations"][1]["consent"], "care_team");
    assert_eq!(facts["events"][0]["kind"], "admission");
    // The indicators and the deposit plan read the journal itself, and agree with the file.
    let (code, out, err) = dmp(&["indicators", "--journal", &j, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let from_journal = json(&out);
    assert_eq!(from_journal["dmp_fed"], 1);
    assert_eq!(from_journal["by_kind"][0]["kind"], "dlu");
    assert_eq!(from_journal["consultations"]["total"], 2);
    let (code, out, _) = dmp(&["indicators", "--facts", &facts_file, "--json"]);
    assert_eq!(code, 0);
    let mut from_file = json(&out);
    from_file["at"] = from_journal["at"].clone();
    assert_eq!(from_file, from_journal);
    let (code, out, err) = dmp(&[
        "due",
        "--plan",
        "examples/data/plans/ehpad.json",
        "--journal",
        &j,
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // The plan is the EHPAD's; the test's usager has no setting (never registered with one).
    let due = json(&out);
    assert_eq!(due["plan"], "EHPAD — plan de dépôt type");
    assert_eq!(due["current_usagers"], 0);
    // A period before anything happened holds nothing.
    let (code, out, _) = journal(
        "facts",
        &j,
        false,
        &[
            "--from",
            "2000-01-01T00:00:00Z",
            "--to",
            "2000-02-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(json(&out)["deposits"], serde_json::json!([]));

    // The usager's export: their register and consultations, under the pseudonym.
    let (code, out, _) = journal(
        "export",
        &j,
        true,
        &["--ins", LEFEBVRE, "--environment", "test"],
    );
    assert_eq!(code, 0);
    let export = json(&out);
    assert_eq!(export["usager"], status[0]["usager"]);
    assert_eq!(export["consents"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["consultations"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["deposits"][0]["unique_id"], DLU_ID);

    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn a_flush_with_the_dmp_down_keeps_the_deposit_queued_and_exits_3() {
    let j = tmp("down.sqlite");
    let (code, ..) = journal(
        "deposit",
        &j,
        true,
        &["examples/data/feed/dlu-profile.json"],
    );
    assert_eq!(code, 0);
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}");
    let (code, out, err) = journal(
        "flush",
        &j,
        true,
        &[
            "--actor",
            "examples/data/actors/ehpad-etablissement.json",
            "--p12",
            "examples/pki/org-sign.p12",
            "--password-env",
            "DMP_TEST_PASSWORD",
            "--endpoint",
            &url,
        ],
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.starts_with("deposit 1: not sent"), "{out}");
    assert!(err.contains("the next flush sends them"), "{err}");
    let (_, out, _) = journal("status", &j, false, &["--json"]);
    assert_eq!(json(&out)[0]["state"], "queued");
}

#[test]
fn bad_inputs_are_named_in_the_users_words() {
    let j = tmp("bad.sqlite");
    let case = "examples/data/feed/dlu-profile.json";

    // No key file.
    let (code, _, err) = dmp(&[
        "journal",
        "deposit",
        case,
        "--journal",
        &j,
        "--key-file",
        "no/such/establishment.key",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--key-file no/such/establishment.key: cannot read")
            && err.contains("head -c 32 /dev/urandom"),
        "{err}"
    );
    // A key too short.
    let short = tmp("short.key");
    std::fs::write(&short, b"0123456789").unwrap();
    let (code, _, err) = dmp(&[
        "journal",
        "deposit",
        case,
        "--journal",
        &j,
        "--key-file",
        &short,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("--key-file {short}"))
            && err.contains("at least 32 bytes")
            && err.contains("this file has 10 bytes"),
        "{err}"
    );

    // A consent record with a misspelt field, and one with a time that is not one.
    let misspelt = tmp("misspelt.json");
    std::fs::write(
        &misspelt,
        r#"{"scope": "care_team", "colected_by": "899900100019", "at": "2026-01-15T10:00:00+01:00"}"#,
    )
    .unwrap();
    let consent = |record: &str| {
        journal(
            "consent",
            &j,
            true,
            &[
                "--ins",
                LEFEBVRE,
                "--environment",
                "test",
                "--record",
                record,
            ],
        )
    };
    let (code, _, err) = consent(&misspelt);
    assert_eq!(code, 1);
    assert!(
        err.contains(&misspelt) && err.contains("unknown field `colected_by`"),
        "{err}"
    );
    let bad_scope = tmp("scope.json");
    std::fs::write(
        &bad_scope,
        r#"{"scope": "care-team", "collected_by": "899900100019", "at": "2026-01-15T10:00:00+01:00"}"#,
    )
    .unwrap();
    let (code, _, err) = consent(&bad_scope);
    assert_eq!(code, 1);
    assert!(err.contains(&bad_scope) && err.contains("scope"), "{err}");
    // Nobody collected it: the journal refuses, naming the field.
    let nobody = tmp("nobody.json");
    std::fs::write(
        &nobody,
        r#"{"scope": "care_team", "collected_by": " ", "at": "2026-01-15T10:00:00+01:00"}"#,
    )
    .unwrap();
    let (code, _, err) = consent(&nobody);
    assert_eq!(code, 1);
    assert!(
        err.contains(&nobody) && err.contains("collected_by"),
        "{err}"
    );

    // A feed case with a field the format does not have.
    let bad_case = tmp("case.json");
    std::fs::write(
        &bad_case,
        r#"{"profile": "x.json", "documents": [], "identity_statut": "qualifiee"}"#,
    )
    .unwrap();
    let (code, _, err) = journal("deposit", &j, true, &[&bad_case]);
    assert_eq!(code, 1);
    assert!(err.contains(&bad_case), "{err}");

    // A PostgreSQL journal needs its establishment; a SQLite one has none.
    let (code, _, err) = journal("status", "postgres://localhost/dmp", false, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--establishment"), "{err}");
    let (code, _, err) = journal("status", &j, false, &["--establishment", "690800123"]);
    assert_eq!(code, 2);
    assert!(err.contains("PostgreSQL"), "{err}");

    // Nothing was journaled by any of them.
    let (code, out, _) = journal("status", &j, false, &[]);
    assert_eq!(code, 0);
    assert_eq!(out, "0 deposit(s)\n");
}
