//! `dmp feed build` and `dmp feed check` on the shipped samples.

mod support;

use support::dmp;

const AT: &str = "2026-11-20T15:00:00+01:00";
/// The test roots and the time of the samples, for `feed check` and `verify`.
const TRUST_AT: [&str; 6] = [
    "--trust",
    "examples/pki/root.pem",
    "--trust",
    "examples/pki/org-ca.pem",
    "--at",
    AT,
];

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

    let mut args = vec!["feed", "check", &out];
    args.extend_from_slice(&TRUST_AT);
    let (code, stdout, stderr) = dmp(&args);
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

/// `dmp verify` of a whole TD2.1 message: the genuine one verifies; a forged one (a document
/// whose uniqueId was edited in the unsigned metadata, or an unsigned assertion put before
/// the signed VIHF) exits 1 and says why (issue 10.3 and 10.4; both exited 0 before, every
/// signature being valid by itself).
#[test]
fn verify_refuses_forged_messages() {
    let out = tmp("verify-dlu.mime");
    let (code, stdout, stderr) = build("dlu", &out, &["--at", AT, "--seed", "7"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let verify = |file: &str| {
        let mut args = vec!["verify", file];
        args.extend_from_slice(&TRUST_AT);
        dmp(&args)
    };
    let (code, stdout, stderr) = verify(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("2 of 2 signature(s) valid"), "{stdout}");
    assert!(!stdout.contains("problem:"), "{stdout}");

    let text = String::from_utf8(std::fs::read(&out).unwrap()).unwrap();
    // The document's uniqueId, as the signed manifest names it.
    let scheme = "identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\"";
    let at = text.find(scheme).unwrap();
    let value = at + text[at..].find("value=\"").unwrap() + 7;
    let end = value + text[value..].find('"').unwrap();
    let unique_id = &text[value..end];
    let edited = format!("{}{unique_id}.9{}", &text[..value], &text[end..]);
    let file = tmp("verify-edited.mime");
    std::fs::write(&file, edited).unwrap();
    let (code, stdout, _) = verify(&file);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "INVALID: the manifest reference urn:oid:{unique_id} is not in the message"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("manifest urn:oid:{unique_id}: NOT IN THE MESSAGE")),
        "{stdout}"
    );

    // An unsigned assertion before the signed VIHF in wsse:Security.
    let a = text.find("<saml2:Assertion").unwrap();
    let evil = "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
                ID=\"_evil\" IssueInstant=\"2026-11-20T14:00:00Z\" Version=\"2.0\">\
                <saml2:Issuer>evil</saml2:Issuer></saml2:Assertion>";
    let wrapped = format!("{}{evil}{}", &text[..a], &text[a..]);
    let file = tmp("verify-wrapped.mime");
    std::fs::write(&file, wrapped).unwrap();
    let (code, stdout, stderr) = verify(&file);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("2 of 2 signature(s) valid"), "{stdout}");
    assert!(
        stdout.contains("problem: VIHF") && stdout.contains("more than one element"),
        "{stdout}"
    );
    assert!(stderr.contains("the message does not verify"), "{stderr}");
}

/// The request is streamed into its file: each dumped document is the one in the message,
/// and a file that cannot be written is named, with nothing left behind.
#[test]
fn streamed_file_holds_the_dumped_documents() {
    let out = tmp("two.mime");
    let dump = tmp("dump-two");
    let (code, stdout, stderr) = build(
        "projet-personnalise",
        &out,
        &["--at", AT, "--seed", "7", "--dump", &dump],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("2 document(s)"), "{stdout}");
    let message = std::fs::read(&out).unwrap();
    assert!(message.starts_with(b"Content-Type: multipart/related; boundary=\"MIMEBoundary_"));
    for n in [1, 2] {
        let doc =
            std::fs::read(std::path::Path::new(&dump).join(format!("document-{n}.xml"))).unwrap();
        assert!(doc.starts_with(b"<?xml"), "document-{n}");
        assert!(
            message.windows(doc.len()).any(|w| w == doc),
            "document-{n}.xml is not in the message"
        );
        assert!(
            stdout.contains(&format!(": {} bytes", doc.len())),
            "document-{n}: {stdout}"
        );
    }

    let missing = tmp("no-such-folder/out.mime");
    let (code, stdout, stderr) = build("dlu", &missing, &["--at", AT]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {missing}")),
        "{stderr}"
    );
    assert!(!std::path::Path::new(&missing).parent().unwrap().exists());
}
