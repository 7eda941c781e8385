//! The `dmp` binary on the shipped sample data (and, for `dmp verify`, the official DMP
//! samples in `../shared` when present).

#[path = "../../tests/common/mod.rs"]
mod common;

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
    assert!(out.starts_with("denied: "), "{out}");
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
    assert!(out.lines().all(|l| l.contains("denied")), "{out}");
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
        out.contains("allowed") && out.contains("Imputabilité"),
        "{out}"
    );
    let (code, _, _) = dmp(&["rights", "--auth", "telepathy", "--actor", "non_ps"]);
    assert_eq!(code, 2);
    // No reader: a usage error (issue 13), not "denied" with exit 0.
    let (code, _, err) = dmp(&["matrix", "decide", "--type", "ATTEST-RESID"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--profession"), "{err}");
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

mod verify {
    use super::common;
    use super::dmp;
    use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
    use dmp_core::xades::{self, DigestSource, ManifestReference, XadesOptions};
    use dmp_core::xmldsig::{self, EnvelopedOptions};

    const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/pki/root.pem");
    const ORG_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/pki/org-ca.pem");
    /// Official samples, read from ../shared (not copied here, for licensing reasons).
    const VIHF_SAMPLE: &str = "vihf/VIHF_INDIRECTE_signed.xml";
    const XADES_SAMPLE: &str = "TD2.1-SignatureXades.xml";
    const TEMPLATE: &[u8] = include_bytes!("../../tests/fixtures/xmldsig/vihf-template.xml");
    const P12: &[u8] = include_bytes!("../../examples/pki/org-sign.p12");
    const PART: &str = "urn:oid:1.2.250.1.999.1.1.7898.4.2";

    struct Files {
        dir: std::path::PathBuf,
    }

    impl Files {
        fn new(name: &str) -> Files {
            let dir =
                std::env::temp_dir().join(format!("dmp-cli-verify-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Files { dir }
        }
        fn write(&self, name: &str, bytes: &[u8]) -> String {
            let p = self.dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p.to_str().unwrap().to_owned()
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }

    fn signer() -> impl dmp_core::crypto::Signer {
        SigningIdentity::from_pkcs12(P12, "dmp-test")
            .unwrap()
            .with_algorithm(SignatureAlgorithm::RsaSha1)
            .unwrap()
            .signer_at(
                "2026-01-15T10:00:00Z".parse().unwrap(),
                UsagePolicy::DmpSignature,
            )
            .unwrap()
    }

    fn vihf() -> Vec<u8> {
        xmldsig::sign_enveloped(
            TEMPLATE,
            "_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b",
            &EnvelopedOptions::vihf(),
            &signer(),
        )
        .unwrap()
    }

    fn xades() -> Vec<u8> {
        let refs = [
            ManifestReference {
                uri: "urn:oid:1.2.250.1.999.1.1.7898.5.1".into(),
                digest: DigestSource::dmp_dummy(),
            },
            ManifestReference {
                uri: PART.into(),
                digest: DigestSource::Raw(b"part bytes"),
            },
        ];
        let options = XadesOptions::new("sig-1", "2026-01-15T11:00:00+01:00".parse().unwrap());
        xades::sign_manifest(&refs, &options, &signer()).unwrap()
    }

    #[test]
    fn valid_signatures() {
        let f = Files::new("valid");
        let file = f.write("vihf.xml", &vihf());
        let (code, out, err) = dmp(&["verify", &file, "--trust", ROOT, "--trust", ORG_CA]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("signature 1 (line 3): VALID"), "{out}");
        assert!(
            out.contains("signer: CN=EHPAD Les Tilleuls - cachet,OU=1690800123"),
            "{out}"
        );
        assert!(
            out.contains("signing time: 2026-01-15T10:00:00.000Z"),
            "{out}"
        );
        assert!(out.contains("chain: trusted"), "{out}");
        assert!(out.contains("-> <saml2:Assertion> at line 2"), "{out}");
        let (code, out, _) = dmp(&["verify", &file]);
        assert_eq!(code, 0);
        assert!(out.contains("chain: not checked (no --trust)"), "{out}");

        let sig = f.write("xades.xml", &xades());
        let part = f.write("part.bin", b"part bytes");
        let arg = format!("{PART}={part}");
        let (code, out, err) = dmp(&[
            "verify", &sig, "--trust", ROOT, "--trust", ORG_CA, "--part", &arg,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("signing time: 2026-01-15T11:00:00.000+01:00"),
            "{out}"
        );
        assert!(out.contains("not checkable (dummy digest)"), "{out}");
        assert!(
            out.contains(&format!("manifest {PART}: digest ok")),
            "{out}"
        );
        let (code, out, _) = dmp(&["verify", &sig]);
        assert_eq!(code, 0);
        assert!(
            out.contains(&format!("manifest {PART}: not checked (no --part)")),
            "{out}"
        );

        // A multipart (MTOM) message with both.
        let mut mime =
            b"--bnd\r\nContent-ID: <root>\r\n\r\n<e:Envelope xmlns:e=\"urn:e\">".to_vec();
        let v = vihf();
        mime.extend_from_slice(&v[v.iter().position(|&b| b == b'\n').unwrap() + 1..]);
        mime.extend_from_slice(b"</e:Envelope>\r\n--bnd\r\nContent-ID: <sig>\r\n\r\n");
        mime.extend_from_slice(&xades());
        mime.extend_from_slice(b"\r\n--bnd--\r\n");
        let msg = f.write("message.mime", &mime);
        let (code, out, err) = dmp(&["verify", &msg, "--trust", ROOT, "--trust", ORG_CA]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("signature 1 (part <root>, line 2): VALID"),
            "{out}"
        );
        assert!(
            out.contains("signature 2 (part <sig>, line 1): VALID"),
            "{out}"
        );
        assert!(out.contains("2 of 2 signature(s) valid"), "{out}");
    }

    #[test]
    fn invalid_signatures() {
        let f = Files::new("invalid");
        let flipped = String::from_utf8(vihf())
            .unwrap()
            .replace(">INDIRECTE<", ">INDIRECTF<");
        let file = f.write("flipped.xml", flipped.as_bytes());
        let (code, out, err) = dmp(&["verify", &file]);
        assert_eq!(code, 1);
        assert!(
            out.contains(
                "INVALID: digest mismatch on reference #_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b"
            ),
            "{out}"
        );
        assert!(err.contains("invalid signature"), "{err}");

        let good = f.write("vihf.xml", &vihf());
        let (code, out, _) = dmp(&[
            "verify",
            &good,
            "--trust",
            ROOT,
            "--trust",
            ORG_CA,
            "--at",
            "2050-01-01T00:00:00Z",
        ]);
        assert_eq!(code, 1);
        assert!(
            out.contains("INVALID: untrusted or expired certificate"),
            "{out}"
        );
        let (code, out, _) = dmp(&["verify", &good, "--trust", ROOT]);
        assert_eq!(code, 1);
        assert!(
            out.contains("INVALID: untrusted or expired certificate"),
            "{out}"
        );

        // --trust given, the signature value fails first: the chain was not checked, and the
        // report says why, not "no --trust" (issue 10.7).
        let text = String::from_utf8(vihf()).unwrap();
        let at = text.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let first = if text[at..].starts_with('A') {
            "B"
        } else {
            "A"
        };
        let bad_value = format!("{}{first}{}", &text[..at], &text[at + 1..]);
        let file = f.write("bad-value.xml", bad_value.as_bytes());
        let (code, out, _) = dmp(&["verify", &file, "--trust", ROOT, "--trust", ORG_CA]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("INVALID: bad signature value"), "{out}");
        assert!(!out.contains("no --trust"), "{out}");
        assert!(
            out.contains("chain: not checked: the signature failed first (bad signature value"),
            "{out}"
        );

        let sig = f.write("xades.xml", &xades());
        let part = f.write("part.bin", b"other bytes");
        let (code, out, _) = dmp(&["verify", &sig, "--part", &format!("{PART}={part}")]);
        assert_eq!(code, 1);
        assert!(
            out.contains(&format!(
                "INVALID: manifest digest mismatch on reference {PART}"
            )),
            "{out}"
        );

        if common::official_dir().is_none() {
            common::skipped("official samples for dmp verify");
        } else {
            let vihf_sample = common::official_path(VIHF_SAMPLE).unwrap();
            let xades_sample = common::official_path(XADES_SAMPLE).unwrap();
            let (code, out, _) = dmp(&["verify", vihf_sample.to_str().unwrap()]);
            assert_eq!(code, 1);
            assert!(
                out.contains("INVALID: digest mismatch on reference #_65db4fa8"),
                "{out}"
            );
            let sample = xades_sample.to_str().unwrap();
            let (code, out, _) = dmp(&["verify", sample, "--at", "2019-04-04T14:20:12+02:00"]);
            assert_eq!(code, 0, "{out}");
            assert!(
                out.contains("signer: GN=MAX+SN=LIBRE+CN=899900063480,T=Médecin,C=FR"),
                "{out}"
            );
            // Its certificate expired in 2022: said even without --trust (issue 10.7).
            let (code, out, _) = dmp(&["verify", sample]);
            assert_eq!(code, 1, "{out}");
            assert!(out.contains("expired on 2022-02-28"), "{out}");
        }

        let plain = f.write("plain.xml", b"<a/>");
        let (code, _, err) = dmp(&["verify", &plain]);
        assert_eq!(code, 1);
        assert!(err.contains("no XML signature found"), "{err}");
        let (code, _, _) = dmp(&["verify", &good, "--part", "nofile"]);
        assert_eq!(code, 2);
        let (code, _, _) = dmp(&["verify", &good, "--at", "yesterday"]);
        assert_eq!(code, 2);
        let (code, _, _) = dmp(&["verify"]);
        assert_eq!(code, 2);
    }
}
