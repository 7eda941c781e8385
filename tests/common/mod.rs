//! Helpers shared by the integration tests (`mod common;`; dmp-cli's tests include this file
//! with `#[path]`): access to the reference folder `../shared` beside the repository.
//!
//! The official DMP sample messages (GIE SESAM-Vitale / ANS "DMP_LPS_Exemple de messages",
//! `shared/reference/dmp-messages/`), the DMP WSDL/schema annex and the tools are **not**
//! copied into this repository (licensing: see `docs/dmp-interface.md` §0 in `../shared`).
//! Tests that need them read them from `../shared` at run time; without it they print a
//! one-line `skipped: ../shared not present` note and skip that part.
//!
//! `DMP_NO_SHARED=1` makes the tests behave as if `../shared` were absent (to check that the
//! suite passes without it).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared` beside the repository, unless absent or hidden by `DMP_NO_SHARED`.
pub fn shared_dir() -> Option<PathBuf> {
    let hidden = std::env::var_os("DMP_NO_SHARED").is_some_and(|v| !v.is_empty() && v != "0");
    if hidden {
        return None;
    }
    // CARGO_MANIFEST_DIR is `dmp-core/` (or `dmp-cli/`): the workspace root is one level up,
    // `shared` sits beside the workspace.
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    dir.is_dir().then(|| dir.to_path_buf())
}

/// Prints the one-line note of a skipped check.
pub fn skipped(what: &str) {
    eprintln!("skipped: ../shared not present ({what})");
}

/// A path under `../shared` (file or folder) when `../shared` is there; `None` (and a note)
/// otherwise. A missing path inside a present `../shared` is also `None` with a note.
pub fn shared_path(rel: &str) -> Option<PathBuf> {
    let Some(dir) = shared_dir() else {
        skipped(rel);
        return None;
    };
    let p = dir.join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} absent", p.display());
        None
    }
}

/// The folder of the official DMP sample messages (`shared/reference/dmp-messages`).
pub fn official_dir() -> Option<PathBuf> {
    let dir = shared_dir()?.join("reference/dmp-messages");
    dir.is_dir().then_some(dir)
}

/// Path of an official DMP sample message, e.g. `TD2.1-SignatureXades.xml` or
/// `vihf/VIHF_INDIRECTE_signed.xml`. `None` (with a note) without `../shared`; a file missing
/// from a present folder is a test failure (a misspelt name must not pass as a skip).
pub fn official_path(name: &str) -> Option<PathBuf> {
    let Some(dir) = official_dir() else {
        skipped(&format!("official sample {name}"));
        return None;
    };
    let p = dir.join(name);
    assert!(p.is_file(), "{} missing from ../shared", p.display());
    Some(p)
}

/// The bytes of an official DMP sample message (see [`official_path`]).
pub fn official_message(name: &str) -> Option<Vec<u8>> {
    official_path(name).map(|p| std::fs::read(&p).expect("official sample readable"))
}

/// Several official DMP sample messages, all or none (one note when skipped).
pub fn official_messages<const N: usize>(names: [&str; N]) -> Option<[Vec<u8>; N]> {
    if official_dir().is_none() {
        skipped(&format!("official samples {}", names.join(", ")));
        return None;
    }
    Some(names.map(|n| official_message(n).unwrap()))
}

/// The DER of the first `X509Certificate` of an official DMP sample message (its signer's
/// certificate, in `KeyInfo`). Byte search: the DIRECTE samples are not UTF-8.
pub fn official_certificate(name: &str) -> Option<Vec<u8>> {
    let xml = official_message(name)?;
    let find = |from: usize, needle: &[u8]| {
        xml[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| from + p)
    };
    let mut from = 0;
    loop {
        let at = find(from, b"X509Certificate>").expect("an X509Certificate element");
        let open = xml[..at].iter().rposition(|&b| b == b'<').unwrap();
        from = at + b"X509Certificate>".len();
        if xml[open + 1] != b'/' {
            break;
        }
    }
    let end = find(from, b"<").unwrap();
    let text: Vec<u8> = xml[from..end]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    Some(base64_decode(&text))
}

/// Standard base64 (padding optional, no white space); panics on anything else. Here so that
/// the crates including this file need no base64 dependency.
fn base64_decode(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", char::from(c)),
        }
    };
    let text = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let n = chunk.iter().fold(0u32, |n, &c| n << 6 | value(c)) << (6 * (4 - chunk.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// An official CI-SIS example document (`shared/data/cisis/examples/`), for the ones too
/// large to keep in `tests/fixtures/cisis/`.
pub fn cisis_example(name: &str) -> Option<Vec<u8>> {
    let p = shared_path(&format!("data/cisis/examples/{name}"))?;
    Some(std::fs::read(p).expect("example readable"))
}

/// One deterministic mutation of a message, for the "typed error or Ok, never panic" tests
/// of the response parsers (proptest draws `kind`, `at` and `len`; kept free of proptest so
/// that every crate including this file can use it):
///
/// - 0: truncated at `at`;
/// - 1: bytes `at..at+len` removed;
/// - 2: bytes `at..at+len` repeated (duplicated elements, ids, flags);
/// - 3: the byte at `at` replaced by one of `< > " = / & : x 0`;
/// - 4: an attribute removed (the one whose `="` comes `at`-th);
/// - 5: a line duplicated (the `at`-th: our fixtures write one element per line);
/// - 6: a `code="…"` or `value="…"` value replaced by an unknown code;
/// - 7: an element's text replaced by an unknown value (the `at`-th `>text<`).
pub fn mutate(input: &[u8], kind: u8, at: usize, len: usize) -> Vec<u8> {
    let n = input.len().max(1);
    let i = at % n;
    let j = (i + len).min(input.len());
    let occurrence = |needle: &[u8]| -> Option<usize> {
        let all: Vec<usize> = input
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(p, _)| p)
            .collect();
        (!all.is_empty()).then(|| all[at % all.len()])
    };
    let mut out = input.to_vec();
    match kind % 8 {
        0 => out.truncate(i),
        1 => {
            out.drain(i..j);
        }
        2 => {
            let copy = input[i..j].to_vec();
            out.splice(j..j, copy);
        }
        3 => {
            if let Some(b) = out.get_mut(i) {
                *b = b"<>\"=/&:x0"[len % 9];
            }
        }
        4 => {
            if let Some(q) = occurrence(b"=\"") {
                let start = input[..q].iter().rposition(|&b| b == b' ').unwrap_or(q);
                let end = input[q + 2..]
                    .iter()
                    .position(|&b| b == b'"')
                    .map_or(input.len(), |e| q + 3 + e);
                out.drain(start..end);
            }
        }
        5 => {
            let lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
            let k = at % lines.len().max(1);
            out = lines
                .iter()
                .enumerate()
                .flat_map(|(x, l)| if x == k { vec![*l, *l] } else { vec![*l] })
                .flatten()
                .copied()
                .collect();
        }
        6 => {
            let needle: &[u8] = if len.is_multiple_of(2) {
                b"code=\""
            } else {
                b"value=\""
            };
            if let Some(p) = occurrence(needle) {
                let from = p + needle.len();
                let end = input[from..]
                    .iter()
                    .position(|&b| b == b'"')
                    .map_or(input.len(), |e| from + e);
                out.splice(from..end, b"ZZ_UNKNOWN".iter().copied());
            }
        }
        _ => {
            if let Some(p) = occurrence(b">") {
                let end = input[p + 1..]
                    .iter()
                    .position(|&b| b == b'<')
                    .map_or(input.len(), |e| p + 1 + e);
                out.splice(p + 1..end, b"ZZ unknown".iter().copied());
            }
        }
    }
    out
}

/// A minimal SOAP 1.2 envelope around a body element.
pub fn soap12_envelope(body: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\n<soap:Body>\n\
         {body}\n</soap:Body>\n</soap:Envelope>\n"
    )
}

/// Runs `shared/tools/validate-xds` on these SOAP envelopes (named files in a temporary
/// folder), asserts that each one is valid and returns the report. `None` (and a note)
/// without `../shared`, python3 or xmllint.
pub fn validate_xds(envelopes: &[(&str, String)]) -> Option<String> {
    let tool = shared_path("tools/validate-xds")?;
    let have = |t: &str| {
        std::process::Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("xmllint") || !have("python3") {
        eprintln!("note: skipped: validate-xds needs xmllint (Debian libxml2-utils) and python3");
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "dmp-validate-{}-{}",
        std::process::id(),
        envelopes.first().map_or("none", |(n, _)| n)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<PathBuf> = envelopes
        .iter()
        .map(|(name, xml)| {
            let p = dir.join(format!("{name}.xml"));
            std::fs::write(&p, xml).unwrap();
            p
        })
        .collect();
    let out = std::process::Command::new("python3")
        .arg(&tool)
        .args(&files)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "validate-xds: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report.matches("valid against").count(),
        envelopes.len(),
        "{report}"
    );
    Some(report)
}

/// The clock of the signing tests (inside the validity of every test certificate).
pub const TEST_AT: &str = "2026-11-20T15:00:00+01:00";

/// A signer of the test PKI (`examples/pki/*.p12`, RSA-SHA1 as the DMP samples), checked
/// for a DMP signature at [`TEST_AT`].
pub fn test_signer(p12: &[u8]) -> dmp_core::crypto::CheckedSigner {
    let password = include_str!("../../examples/pki/PASSWORD");
    let at: chrono::DateTime<chrono::FixedOffset> = TEST_AT.parse().unwrap();
    dmp_core::crypto::SigningIdentity::from_pkcs12(p12, password.trim())
        .unwrap()
        .with_algorithm(dmp_core::crypto::SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(
            at.with_timezone(&chrono::Utc),
            dmp_core::crypto::UsagePolicy::DmpSignature,
        )
        .unwrap()
}

/// `signed` (bytes holding one `ds:Signature` with an exclusive-C14N `SignedInfo`, as
/// [`dmp_core::xmldsig::sign_enveloped`] writes it) with its `SignedInfo` rewritten by `edit`
/// and signed again by `signer`: a genuine signature over an attacker's `SignedInfo` (many
/// references, references to `""`…), to test what the verifier does after the signature value.
pub fn resign(
    signed: &[u8],
    signer: &dyn dmp_core::crypto::Signer,
    edit: impl FnOnce(&str) -> String,
) -> Vec<u8> {
    use dmp_core::xml::c14n::{canonicalize, C14nMethod};
    use dmp_core::xml::reader::Limits;
    use dmp_core::xml::tree::Tree;
    let text = std::str::from_utf8(signed).unwrap();
    let between = |s: &str, open: &str, close: &str| {
        let a = s.find(open).unwrap();
        let b = s.find(close).unwrap() + close.len();
        (a, b)
    };
    let (a, b) = between(text, "<ds:SignedInfo>", "</ds:SignedInfo>");
    let draft = format!("{}{}{}", &text[..a], edit(&text[a..b]), &text[b..]);
    let tree = Tree::parse(draft.as_bytes(), &Limits::default()).unwrap();
    let si = tree
        .elements()
        .find(|e| e.is(dmp_core::xmldsig::DSIG_NS, "SignedInfo"))
        .unwrap();
    let method = C14nMethod::Exclusive {
        comments: false,
        inclusive_prefixes: Vec::new(),
    };
    let c14n = canonicalize(&tree, Some(si.id()), None, &method).unwrap();
    let mut value = Vec::new();
    dmp_core::xml::writer::encode_base64_into(&mut value, &signer.sign(&c14n).unwrap()).unwrap();
    let value = String::from_utf8(value).unwrap();
    let (a, b) = between(&draft, "<ds:SignatureValue>", "</ds:SignatureValue>");
    format!(
        "{}<ds:SignatureValue>{value}</ds:SignatureValue>{}",
        &draft[..a],
        &draft[b..]
    )
    .into_bytes()
}

/// `signed_info` with its one `ds:Reference` replaced by `n` copies pointing at `uri`.
pub fn multiply_reference(signed_info: &str, n: usize, uri: &str) -> String {
    let a = signed_info.find("<ds:Reference ").unwrap();
    let close = "</ds:Reference>";
    let b = signed_info.find(close).unwrap() + close.len();
    let one = &signed_info[a..b];
    let q = one.find("URI=\"").unwrap() + 5;
    let e = q + one[q..].find('"').unwrap();
    let one = format!("{}{uri}{}", &one[..q], &one[e..]);
    format!(
        "{}{}{}",
        &signed_info[..a],
        one.repeat(n),
        &signed_info[b..]
    )
}
