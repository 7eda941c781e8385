//! The `dmp` command as a command line (issue 13): help on every subcommand, `--opt=value`,
//! typo suggestions, shell completions, the man page, the `--json` shapes of docs/cli-json.md,
//! empty and BOM-prefixed inputs.

mod support;

use support::dmp;

/// Every subcommand, with one option its help must name.
const SUBCOMMANDS: [(&str, &str); 28] = [
    ("staff-report", "--social-rows-in-force"),
    ("check", "--oid"),
    ("matrix", "decide"),
    ("matrix decide", "--profession"),
    ("rights", "--transaction"),
    ("cda", "show"),
    ("cda build", "--output"),
    ("cda show", "--content"),
    ("verify", "--part"),
    ("feed", "check"),
    ("feed build", "--password-env"),
    ("feed check", "--trust"),
    ("request", "authorized-list"),
    ("request status", "--ins"),
    ("request search", "--submitted-from"),
    ("request get", "--repository"),
    ("request mask", "--search-response"),
    ("request visibility", "--legal-representatives"),
    ("request authorize", "--action"),
    ("request authorized-list", "--date-type"),
    ("response", "--extract"),
    ("send", "--endpoint"),
    ("sandbox serve", "--client-root"),
    ("due", "--plan"),
    ("indicators", "--dlu-window"),
    ("completions", "powershell"),
    ("man", "Usage: dmp man"),
    ("version", "Usage: dmp version"),
];

const FEED: [&str; 11] = [
    "feed",
    "build",
    "examples/data/feed/dlu.json",
    "--p12",
    "examples/pki/org-sign.p12",
    "--password-env",
    "DMP_TEST_PASSWORD",
    "--at",
    "2026-11-20T15:00:00+01:00",
    "--seed",
    "7",
];

fn tmp(name: &str) -> String {
    support::tmp("usage-cli", name)
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn help_on_every_subcommand() {
    for (path, option) in SUBCOMMANDS {
        let mut args: Vec<&str> = path.split(' ').collect();
        args.push("--help");
        let (code, out, err) = dmp(&args);
        assert_eq!(code, 0, "dmp {path} --help: {err}");
        assert!(out.contains(&format!("Usage: dmp {path}")), "{out}");
        assert!(
            out.contains(option),
            "dmp {path} --help lacks {option}: {out}"
        );
        // `dmp help PATH` says the same.
        let mut args = vec!["help"];
        args.extend(path.split(' '));
        let (code, again, _) = dmp(&args);
        assert_eq!((code, &again), (0, &out), "dmp help {path}");
    }
    let (code, out, _) = dmp(&["-h"]);
    assert_eq!(code, 0);
    for (path, _) in SUBCOMMANDS.iter().filter(|(p, _)| !p.contains(' ')) {
        assert!(out.contains(path), "dmp -h lacks {path}: {out}");
    }
    let (code, out, _) = dmp(&["--version"]);
    assert_eq!(
        (code, out.trim()),
        (0, &*format!("dmp {}", dmp_core::VERSION))
    );
    // No command: usage on stderr, exit 2.
    let (code, out, err) = dmp(&[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("Usage: dmp"), "{err}");
}

#[test]
fn equals_values_typos_and_usage_errors() {
    let (code, out, err) = dmp(&[
        "rights",
        "--auth=indirecte_certificat_es",
        "--actor=non_ps",
        "--transaction=TD2.1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v[0]["transaction"], "TD2.1");
    assert_eq!(v[0]["permission"], "allowed");
    let (code, _, err) = dmp(&["feeed", "build"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unrecognized subcommand 'feeed'") && err.contains("'feed'"),
        "{err}"
    );
    let (code, _, err) = dmp(&["staff-report", "x.json", "--jsn"]);
    assert_eq!(code, 2);
    assert!(err.contains("'--json'"), "{err}");
    let (code, _, err) = dmp(&["rights", "--auth", "telepathy", "--actor", "non_ps"]);
    assert_eq!(code, 2);
    assert!(err.contains("indirecte_certificat_es"), "{err}");
}

#[test]
fn completions_for_each_shell_and_the_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef dmp"),
        ("fish", "complete -c dmp"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (code, out, err) = dmp(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(
            out.contains("staff-report") && out.contains("password-env"),
            "{shell}"
        );
    }
    let (code, _, _) = dmp(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    let (code, man, _) = dmp(&["man"]);
    assert_eq!(code, 0);
    assert!(man.starts_with(".ie") || man.contains(".TH dmp"), "{man}");
    for (path, _) in SUBCOMMANDS {
        assert!(
            man.contains(&format!(".SH \"DMP {}\"", path.to_uppercase())),
            "the man page lacks {path}"
        );
    }
    assert!(man.contains("client\\-root"), "options are listed");
}

#[test]
fn json_of_check_feed_verify_and_request() {
    let (code, out, _) = dmp(&["check", "finess", "690800123", "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(
        (&v["kind"], &v["valid"], &v["normalized"]),
        (&"finess".into(), &true.into(), &"1690800123".into())
    );

    let mime = tmp("dlu.mime");
    let mut args = FEED.to_vec();
    args.extend(["-o", &mime, "--json"]);
    let (code, out, err) = dmp(&args);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["transaction"], "TD2.1");
    assert_eq!(v["seed"], 7);
    assert_eq!(v["random_seed"], false);
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(1));
    // The MIME body: the written file less its HTTP headers.
    let file = std::fs::metadata(&mime).unwrap().len();
    let body = v["bytes"].as_u64().unwrap();
    assert!(body > 10_000 && body < file, "{body} of {file}");
    assert!(
        v["message_id"]
            .as_str()
            .is_some_and(|m| m.starts_with("urn:uuid:")),
        "{v}"
    );

    let trust = [
        "--trust",
        "examples/pki/root.pem",
        "--trust",
        "examples/pki/org-ca.pem",
        "--at",
        "2026-11-20T15:00:00+01:00",
        "--json",
    ];
    let mut args = vec!["feed", "check", &mime];
    args.extend(trust);
    let (code, out, err) = dmp(&args);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["documents"][0]["digest_ok"], true);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0));

    let mut args = vec!["verify", &mime];
    args.extend(trust);
    let (code, out, err) = dmp(&args);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["valid_signatures"], 2);
    let sig = &v["signatures"][0];
    assert_eq!(sig["chain"]["status"], "trusted");
    assert!(
        sig["signer"]
            .as_str()
            .is_some_and(|s| s.contains("EHPAD Les Tilleuls")),
        "{sig}"
    );
    // Without --trust: words, not a Rust variant name.
    let (_, out, _) = dmp(&["verify", &mime, "--json"]);
    let v = json(&out);
    assert_eq!(v["signatures"][0]["chain"]["status"], "not_checked");
    assert_eq!(
        v["signatures"][0]["chain"]["text"],
        "not checked (no --trust)"
    );

    let req = tmp("status.mime");
    let (code, out, err) = dmp(&[
        "request",
        "status",
        "--actor=examples/data/actors/ehpad-etablissement.json",
        "--p12=examples/pki/org-sign.p12",
        "--password-env=DMP_TEST_PASSWORD",
        "--ins=245036912304502",
        "--at=2026-11-20T15:00:00+01:00",
        "--seed=3",
        "-o",
        &req,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(
        (&v["transaction"], &v["kind"]),
        (&"TD0.2".into(), &"status".into())
    );
    assert_eq!(v["output"], req.as_str());
}

#[test]
fn cda_show_prints_json_or_text_never_both() {
    let xml = tmp("dlu.xml");
    let (code, _, err) = dmp(&["cda", "build", "examples/data/cases/dlu.json", "-o", &xml]);
    assert_eq!(code, 0, "{err}");
    let (code, text, _) = dmp(&["cda", "show", &xml]);
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
    assert!(!text.contains('{'), "{text}");
    assert!(text.contains("code.code: 74207-2"), "{text}");
    assert!(text.contains("model check: ok"), "{text}");
    let (code, out, _) = dmp(&["cda", "show", &xml, "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["header"]["code"]["code"], "74207-2");
    assert_eq!(v["model_check"], "ok");
}

#[test]
fn empty_files_and_byte_order_marks() {
    let empty = tmp("empty.json");
    std::fs::write(&empty, "").unwrap();
    for args in [
        vec!["staff-report", empty.as_str()],
        vec!["cda", "show", empty.as_str()],
        vec!["verify", empty.as_str()],
        vec!["response", empty.as_str()],
    ] {
        let (code, _, err) = dmp(&args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(err.trim(), format!("dmp: {empty}: empty file"), "{args:?}");
    }
    // A staff list saved by a Windows editor (UTF-8 with BOM).
    let bom = tmp("bom.json");
    let text = std::fs::read_to_string(format!("{}/examples/data/ehpad-staff.json", support::ROOT))
        .unwrap();
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    let (code, out, err) = dmp(&["staff-report", &bom, "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["summary"]["people"], 14);
    // A JSON error names the file and the field as written in it.
    std::fs::write(&bom, text.replace("899900100027", "899900100028")).unwrap();
    let (code, _, err) = dmp(&["staff-report", &bom]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!("dmp: {bom}: JSON at staff[1].idnat")),
        "{err}"
    );
}
