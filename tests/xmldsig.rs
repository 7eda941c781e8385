//! Enveloped XML-DSig (the VIHF) and the verifier: what we sign verifies; byte flips,
//! swapped certificates, wrapping attacks, expired and untrusted certificates fail the right
//! way; the official signed VIHF samples are rejected with a digest mismatch (read from
//! `../shared`, not copied here; skipped without it). xmlsec1 checks the same signatures in
//! `.ci/signature-checks`.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use dmp_core::crypto::{Certificate, SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xmldsig::{
    self, sign_enveloped, ChainStatus, EnvelopedOptions, Failure, SignatureLimits, SignatureReport,
    VerifyOptions, SAML2_NS,
};
use dmp_core::Error;
use proptest::prelude::*;

const PASSWORD: &str = include_str!("../examples/pki/PASSWORD");
const ORG_SIGN_P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const EXPIRED_P12: &[u8] = include_bytes!("../examples/pki/expired-org-sign.p12");
const AUTH_CLI_P12: &[u8] = include_bytes!("../examples/pki/org-auth-cli.p12");
const ROOT_PEM: &str = include_str!("../examples/pki/root.pem");
const ORG_CA_PEM: &str = include_str!("../examples/pki/org-ca.pem");
const CPS_SIGN_PEM: &str = include_str!("../examples/pki/cps-sign.pem");
/// Self-signed, outside our test hierarchy: trusted as a root, it must not validate our chain.
const FOREIGN_ROOT_PEM: &str = include_str!("../examples/pki/weak-rsa1024.pem");
const TEMPLATE: &[u8] = include_bytes!("fixtures/xmldsig/vihf-template.xml");
const ID: &str = "_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b";
const URI: &str = "#_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap()
}

fn identity(p12: &[u8], alg: SignatureAlgorithm) -> SigningIdentity {
    SigningIdentity::from_pkcs12(p12, PASSWORD.trim())
        .unwrap()
        .with_algorithm(alg)
        .unwrap()
}

fn sign(alg: SignatureAlgorithm) -> Vec<u8> {
    let signer = identity(ORG_SIGN_P12, alg)
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    sign_enveloped(TEMPLATE, ID, &EnvelopedOptions::vihf(), &signer).unwrap()
}

fn roots() -> Vec<Certificate> {
    vec![Certificate::from_pem(ROOT_PEM).unwrap()]
}

fn trusted(at: DateTime<Utc>) -> VerifyOptions {
    let mut o = VerifyOptions::new(at).with_trust(roots());
    o.intermediates = vec![Certificate::from_pem(ORG_CA_PEM).unwrap()];
    o
}

fn one(xml: &[u8], options: &VerifyOptions) -> SignatureReport {
    let mut reports = xmldsig::verify(xml, options).unwrap();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    reports.pop().unwrap()
}

fn replace(doc: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = std::str::from_utf8(doc).unwrap();
    assert!(s.contains(from), "{from} not in the document");
    s.replacen(from, to, 1).into_bytes()
}

/// The span of the root element of `xml`.
fn root_span(xml: &[u8]) -> std::ops::Range<usize> {
    Tree::parse(xml, &Limits::default()).unwrap().root().span()
}

#[test]
fn what_we_sign_verifies() {
    for alg in [SignatureAlgorithm::RsaSha256, SignatureAlgorithm::RsaSha1] {
        let signed = sign(alg);
        let r = one(&signed, &trusted(now()));
        assert!(r.is_valid(), "{r:#?}");
        assert_eq!(r.algorithm, Some(alg));
        assert_eq!(
            r.signer_subject().unwrap(),
            "CN=EHPAD Les Tilleuls - cachet,OU=1690800123,O=EHPAD Les Tilleuls,L=Lyon,ST=Rhône (69),C=FR"
        );
        assert_eq!(r.signing_time.as_deref(), Some("2026-01-15T10:00:00.000Z"));
        match &r.chain {
            ChainStatus::Trusted(path) => {
                assert_eq!(path.len(), 3);
                assert!(path[2].starts_with("CN=TEST AC RACINE IGC-SANTE"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.references.len(), 1);
        let e = r.references[0].element.as_ref().unwrap();
        assert_eq!(e.qname, "saml2:Assertion");
        assert!(r.covers(&root_span(&signed)));
        // Without roots: valid, chain not checked.
        let r = one(&signed, &VerifyOptions::new(now()));
        assert!(r.is_valid());
        assert_eq!(r.chain, ChainStatus::NotChecked);
    }
}

#[test]
fn signature_is_spliced_after_issuer_and_the_rest_is_untouched() {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let text = std::str::from_utf8(&signed).unwrap();
    let start = text.find("<ds:Signature ").unwrap();
    let end = text.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let issuer_end = text.find("</saml2:Issuer>").unwrap() + "</saml2:Issuer>".len();
    assert_eq!(start, issuer_end);
    let mut rest = text[..start].to_owned();
    rest.push_str(&text[end..]);
    assert_eq!(rest.as_bytes(), TEMPLATE);
    assert!(text.contains("PrefixList=\"ds saml #default xsi\""));
    assert!(text.contains("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"));
    assert!(text.contains("http://www.w3.org/2001/04/xmlenc#sha256"));
}

#[test]
fn signing_is_deterministic() {
    for alg in [SignatureAlgorithm::RsaSha256, SignatureAlgorithm::RsaSha1] {
        assert_eq!(sign(alg), sign(alg));
    }
}

#[test]
fn byte_flip_is_a_digest_mismatch() {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let flipped = replace(&signed, ">INDIRECTE<", ">INDIRECTF<");
    let r = one(&flipped, &trusted(now()));
    assert_eq!(r.failure, Some(Failure::DigestMismatch { uri: URI.into() }));
    assert!(!r.covers(&root_span(&flipped)));
    // An attribute of the assertion.
    let flipped = replace(&signed, "Version=\"2.0\"", "Version=\"2.1\"");
    let r = one(&flipped, &VerifyOptions::new(now()));
    assert_eq!(r.failure, Some(Failure::DigestMismatch { uri: URI.into() }));
    // Inside SignedInfo: the signature value no longer matches.
    let flipped = replace(&signed, "PrefixList=\"ds saml", "PrefixList=\"ds samm");
    let r = one(&flipped, &VerifyOptions::new(now()));
    assert!(
        matches!(r.failure, Some(Failure::BadSignatureValue(_))),
        "{r:?}"
    );
}

/// A signed VIHF whose KeyInfo certificate is replaced by another one (CPS_SIGN, MARTIN).
fn signed_with_swapped_certificate() -> (String, String) {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let text = String::from_utf8(signed).unwrap();
    let ours = Certificate::from_pem(include_str!("../examples/pki/org-sign.pem")).unwrap();
    let other = Certificate::from_pem(CPS_SIGN_PEM).unwrap();
    use base64::Engine as _;
    let b64 = |c: &Certificate| base64::engine::general_purpose::STANDARD.encode(c.der());
    assert!(text.contains(&b64(&ours)));
    let swapped = text.replace(&b64(&ours), &b64(&other));
    (text, swapped)
}

#[test]
fn swapped_certificate_is_a_bad_signature_value() {
    let (text, swapped) = signed_with_swapped_certificate();
    let r = one(swapped.as_bytes(), &VerifyOptions::new(now()));
    match &r.failure {
        Some(Failure::BadSignatureValue(m)) => assert!(m.contains("MARTIN"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(r.to_owned().signer_subject().unwrap().contains("MARTIN"));
    // Not DER at all (x509-parser alone would take another outer tag than SEQUENCE).
    let mangled = text.replacen("<ds:X509Certificate>M", "<ds:X509Certificate>U", 1);
    let r = one(mangled.as_bytes(), &VerifyOptions::new(now()));
    assert!(matches!(r.failure, Some(Failure::Malformed(_))), "{r:?}");
}

/// The classic XSW: the signed assertion moved into a wrapper, an evil assertion outside.
#[test]
fn wrapping_attacks_are_refused() {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let text = std::str::from_utf8(&signed).unwrap();
    let body = text
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap();
    let evil_outer = body
        .replace(">INDIRECTE<", ">INDIRECTE_RENFORCEE<")
        .replace("aes-0042", "admin");
    let evil_outer_unsigned = {
        let s = evil_outer.find("<ds:Signature").unwrap();
        let e = evil_outer.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        format!("{}{}", &evil_outer[..s], &evil_outer[e..])
    };

    // 1. Same ID: the evil assertion carries the signed one in an Advice.
    let attack = evil_outer_unsigned.replace(
        "<saml2:Subject>",
        &format!("<saml2:Advice>{body}</saml2:Advice><saml2:Subject>"),
    );
    let r = one(attack.as_bytes(), &trusted(now()));
    match &r.failure {
        Some(Failure::Wrapping(m)) => assert!(m.contains(ID), "{m}"),
        other => panic!("{other:?}"),
    }

    // 2. The outer assertion gets another ID: the signature is valid, but it covers the inner
    //    assertion, not the one an application reads at the root.
    let attack2 = attack.replacen(ID, "_evil", 1);
    let r = one(attack2.as_bytes(), &trusted(now()));
    assert!(r.is_valid(), "{r:?}");
    assert!(!r.covers(&root_span(attack2.as_bytes())));
    let signed_span = r.references[0].element.as_ref().unwrap().span.clone();
    assert!(signed_span.start > 0);

    // 3. The signature moved out of the assertion it signs (enveloped-signature reference to
    //    an element that does not contain it).
    let sig_start = body.find("<ds:Signature").unwrap();
    let sig_end = body.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let assertion = format!("{}{}", &body[..sig_start], &body[sig_end..]);
    let moved = format!(
        "<w:Wrapper xmlns:w=\"urn:example:wrapper\">{assertion}{}</w:Wrapper>",
        &body[sig_start..sig_end]
    );
    let r = one(moved.as_bytes(), &VerifyOptions::new(now()));
    match &r.failure {
        Some(Failure::Wrapping(m)) => assert!(m.contains("does not contain the signature"), "{m}"),
        other => panic!("{other:?}"),
    }

    // 4. Two signatures claiming the same element.
    let sig = &body[sig_start..sig_end];
    let twice = body.replacen(sig, &format!("{sig}{sig}"), 1);
    let reports = xmldsig::verify(twice.as_bytes(), &VerifyOptions::new(now())).unwrap();
    assert_eq!(reports.len(), 2);
    for r in reports {
        match &r.failure {
            Some(Failure::Wrapping(m)) => assert!(m.contains("both sign"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    // 5. An unrelated element elsewhere carrying the same ID in another attribute form.
    let dup = body.replacen(
        "<saml2:Subject>",
        &format!("<saml2:Subject><x:Y xmlns:x=\"urn:x\" Id=\"{ID}\"/>"),
        1,
    );
    let r = one(dup.as_bytes(), &VerifyOptions::new(now()));
    assert!(matches!(r.failure, Some(Failure::Wrapping(_))), "{r:?}");
}

fn org_signer() -> dmp_core::crypto::CheckedSigner {
    identity(ORG_SIGN_P12, SignatureAlgorithm::RsaSha256)
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap()
}

/// A signed VIHF with `text` bytes of extra text in its subject, whose `SignedInfo` holds
/// `n` references to the whole document (`URI=""`, enveloped + exclusive C14N), re-signed.
fn many_references(n: usize, text: usize) -> Vec<u8> {
    let padded = replace(
        TEMPLATE,
        "</saml2:NameID>",
        &format!(" {}</saml2:NameID>", "x".repeat(text)),
    );
    let signer = org_signer();
    let signed = sign_enveloped(&padded, ID, &EnvelopedOptions::vihf(), &signer).unwrap();
    common::resign(&signed, &signer, |si| common::multiply_reference(si, n, ""))
}

/// Issue 10.1: the signature value is checked before any reference is canonicalised: a
/// changed signature value is reported as such even when the content changed too, and no
/// reference digest is computed (failed before: the digest mismatch was found first).
#[test]
fn signature_value_is_checked_before_any_reference() {
    let (_, swapped) = signed_with_swapped_certificate();
    let forged = swapped.replacen(">INDIRECTE<", ">INDIRECTF<", 1);
    let r = one(forged.as_bytes(), &trusted(now()));
    assert!(
        matches!(r.failure, Some(Failure::BadSignatureValue(_))),
        "{:?}",
        r.failure
    );
    assert_eq!(r.references.len(), 1);
    assert!(!r.references[0].digest_ok);
    // The chain is not checked after a bad signature value, and the report says why.
    match &r.chain {
        ChainStatus::Skipped(why) => assert!(why.contains("bad signature value"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// Issue 10.1: references per SignedInfo and signatures per document are capped
/// ([`SignatureLimits`]); within the caps, each distinct target is canonicalised once.
/// Failed before: 800 references to `""` over 400 KB of text verified as VALID after minutes
/// of canonicalisation (time ×4 per doubling); a document with 5 signatures was verified.
#[test]
fn references_and_signatures_are_capped() {
    let limits = SignatureLimits::default();
    assert_eq!((limits.max_references, limits.max_signatures), (32, 4));

    let at_cap = many_references(limits.max_references, 1000);
    let r = one(&at_cap, &trusted(now()));
    assert!(r.is_valid(), "{:?}", r.failure);
    assert_eq!(r.references.len(), 32);
    assert!(r.references.iter().all(|rr| rr.digest_ok));
    assert!(r.covers(&root_span(&at_cap)));

    let over = many_references(limits.max_references + 1, 1000);
    let r = one(&over, &trusted(now()));
    match &r.failure {
        Some(Failure::TooLarge(m)) => {
            assert!(
                m.contains("33 references") && m.contains("at most 32"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }

    // The attack of the issue: refused at once, before any canonicalisation.
    let attack = many_references(800, 400_000);
    let t = std::time::Instant::now();
    let r = one(&attack, &trusted(now()));
    assert!(
        matches!(r.failure, Some(Failure::TooLarge(_))),
        "{:?}",
        r.failure
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );

    // Signatures per document.
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let body = std::str::from_utf8(&signed)
        .unwrap()
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap();
    let five = format!(
        "<w:Wrapper xmlns:w=\"urn:example:wrapper\">{}</w:Wrapper>",
        body.repeat(5)
    );
    match xmldsig::verify(five.as_bytes(), &VerifyOptions::new(now())) {
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains("5 signatures") && m.contains("at most 4"), "{m}");
        }
        Ok(r) => panic!("{} reports", r.len()),
    }
    let mut one_only = VerifyOptions::new(now());
    one_only.signature_limits.max_signatures = 1;
    let two = format!(
        "<w:Wrapper xmlns:w=\"urn:example:wrapper\">{}</w:Wrapper>",
        body.repeat(2)
    );
    assert!(xmldsig::verify(two.as_bytes(), &one_only).is_err());
    assert!(xmldsig::verify(body.as_bytes(), &one_only).unwrap()[0].is_valid());
}

/// Issue 10.6: the usage policy of signing applies to verification. A VIHF signed with an
/// authentication certificate (ORG_AUTH_CLI: keyUsage digitalSignature, EKU clientAuth) is
/// not valid, and the report names the mismatch (failed before: VALID).
#[test]
fn authentication_certificate_does_not_verify() {
    let auth = identity(AUTH_CLI_P12, SignatureAlgorithm::RsaSha256)
        .signer_at(now(), UsagePolicy::AllowInvalid)
        .unwrap();
    let signed = sign_enveloped(TEMPLATE, ID, &EnvelopedOptions::vihf(), &auth).unwrap();
    for options in [trusted(now()), VerifyOptions::new(now())] {
        let r = one(&signed, &options);
        match &r.failure {
            Some(f @ Failure::KeyUsage(m)) => {
                assert!(
                    m.contains("digitalSignature") && m.contains("nonRepudiation"),
                    "{m}"
                );
                assert!(f
                    .to_string()
                    .starts_with("certificate not allowed to sign: "));
            }
            other => panic!("{other:?}"),
        }
        // The content and the signature value are fine: only the key usage fails.
        assert!(r.references[0].digest_ok);
    }
    // A relying party that accepts any signing key may say so.
    let mut any = trusted(now());
    any.usage = UsagePolicy::AnySignature;
    assert!(one(&signed, &any).is_valid());
}

/// A VIHF signed in 2021 with a certificate that expired on 2021-12-31, and when.
fn signed_with_expired_certificate() -> (DateTime<Utc>, Vec<u8>) {
    let signed_at = Utc.with_ymd_and_hms(2021, 6, 1, 12, 0, 0).unwrap();
    let signer = identity(EXPIRED_P12, SignatureAlgorithm::RsaSha256)
        .signer_at(signed_at, UsagePolicy::DmpSignature)
        .unwrap();
    let signed = sign_enveloped(TEMPLATE, ID, &EnvelopedOptions::vihf(), &signer).unwrap();
    (signed_at, signed)
}

/// Issue 10.7: validity dates are checked without trusted roots too ("expired"), and with
/// roots given, a signature that failed before its chain says why the chain was not checked
/// (failed before: VALID without roots; "not checked" as if no roots were given).
#[test]
fn reports_say_expired_and_why_the_chain_was_not_checked() {
    let (signed_at, signed) = signed_with_expired_certificate();
    assert!(one(&signed, &VerifyOptions::new(signed_at)).is_valid());
    let r = one(&signed, &VerifyOptions::new(now()));
    match &r.failure {
        Some(Failure::Certificate(m)) => assert!(m.contains("expired on 2021-12-31"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.chain, ChainStatus::NotChecked);
    assert_eq!(r.chain.to_string(), "not checked (no trusted roots given)");
    let mut replay = VerifyOptions::new(now());
    replay.usage = UsagePolicy::AllowInvalid;
    assert!(one(&signed, &replay).is_valid());

    // No certificate in KeyInfo: the chain cannot be checked, and the report says why.
    let text = String::from_utf8(sign(SignatureAlgorithm::RsaSha256)).unwrap();
    let a = text.find("<ds:KeyInfo>").unwrap();
    let b = text.find("</ds:KeyInfo>").unwrap() + "</ds:KeyInfo>".len();
    let keyless = format!("{}{}", &text[..a], &text[b..]);
    let r = one(keyless.as_bytes(), &trusted(now()));
    match (&r.failure, &r.chain) {
        (Some(Failure::Malformed(m)), ChainStatus::Skipped(why)) => {
            assert!(m.contains("no X509Certificate"), "{m}");
            assert!(why.contains("no X509Certificate"), "{why}");
            assert!(
                r.chain
                    .to_string()
                    .starts_with("not checked: the signature failed first"),
                "{}",
                r.chain
            );
        }
        other => panic!("{other:?}"),
    }
    // Without roots it stays "not checked" (nothing was asked).
    assert_eq!(
        one(keyless.as_bytes(), &VerifyOptions::new(now())).chain,
        ChainStatus::NotChecked
    );
}

#[test]
fn expired_certificate_fails_the_chain_at_the_given_time() {
    let (signed_at, signed) = signed_with_expired_certificate();
    assert!(one(&signed, &trusted(signed_at)).is_valid());
    let r = one(&signed, &trusted(now()));
    match (&r.failure, &r.chain) {
        (Some(Failure::Certificate(m)), ChainStatus::Failed(_)) => {
            assert!(m.contains("2021-12-31"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(r
        .to_owned()
        .failure
        .unwrap()
        .to_string()
        .starts_with("untrusted or expired certificate"));
    // And the signer refuses to sign with it now.
    assert!(identity(EXPIRED_P12, SignatureAlgorithm::RsaSha256)
        .signer_at(now(), UsagePolicy::DmpSignature)
        .is_err());
}

#[test]
fn untrusted_root_fails_the_chain() {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let other_root = Certificate::from_pem(FOREIGN_ROOT_PEM).unwrap();
    let options = VerifyOptions::new(now()).with_trust(vec![other_root]);
    let r = one(&signed, &options);
    assert!(matches!(r.failure, Some(Failure::Certificate(_))), "{r:?}");
    // The official XAdES sample's signer (IGC-Santé test hierarchy), when ../shared is there.
    if let Some(der) = common::official_certificate("TD2.1-SignatureXades.xml") {
        let options =
            VerifyOptions::new(now()).with_trust(vec![Certificate::from_der(&der).unwrap()]);
        let r = one(&signed, &options);
        assert!(matches!(r.failure, Some(Failure::Certificate(_))), "{r:?}");
    }
    // The intermediate alone is not a root.
    let r = one(
        &signed,
        &VerifyOptions::new(now()).with_trust(vec![Certificate::from_pem(CPS_SIGN_PEM).unwrap()]),
    );
    assert!(matches!(r.failure, Some(Failure::Certificate(_))), "{r:?}");
}

#[test]
fn official_vihf_samples_are_rejected_with_a_digest_mismatch() {
    let Some([indirecte, air, directe]) = common::official_messages([
        "vihf/VIHF_INDIRECTE_signed.xml",
        "vihf/VIHF_INDIRECTE_RENFORCEE_signed.xml",
        "vihf/VIHF_DIRECTE_signed.xml",
    ]) else {
        return;
    };
    for (sample, id) in [
        (&indirecte, "#_65db4fa8-b44a-4c11-adc5-135dcc327b24"),
        (&air, "#_232075b3-174d-4f82-a871-76afd7ac6b67"),
    ] {
        let r = one(sample, &VerifyOptions::new(now()));
        assert_eq!(r.failure, Some(Failure::DigestMismatch { uri: id.into() }));
        assert_eq!(r.algorithm, Some(SignatureAlgorithm::RsaSha1));
        assert!(r.signer.is_some());
    }
    // ISO-8859-1 without a declaration: not XML we accept.
    assert!(matches!(
        xmldsig::verify(&directe, &VerifyOptions::new(now())),
        Err(Error::Data { .. })
    ));
}

#[test]
fn unsupported_algorithms_and_references_are_named() {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let cases = [
        (
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
            "transform",
        ),
        (
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2001/04/xmlenc#sha512",
            "digest method",
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
            "signature method",
        ),
        (
            "URI=\"#_4f3c",
            "URI=\"http://evil.example/#_4f3c",
            "same-document",
        ),
    ];
    for (from, to, what) in cases {
        let doc = replace(&signed, from, to);
        let r = one(&doc, &VerifyOptions::new(now()));
        match &r.failure {
            Some(Failure::Unsupported(m)) => assert!(m.contains(what), "{what}: {m}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    let missing = replace(&signed, "URI=\"#_4f3c", "URI=\"#_0f3c");
    assert!(matches!(
        one(&missing, &VerifyOptions::new(now())).failure,
        Some(Failure::ReferenceNotFound { .. })
    ));
    assert!(xmldsig::verify(TEMPLATE, &VerifyOptions::new(now()))
        .unwrap()
        .is_empty());
}

#[test]
fn signing_placements_and_errors() {
    let signer = identity(ORG_SIGN_P12, SignatureAlgorithm::RsaSha256)
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    // Last child, other ID attribute, a default namespace, an empty element expanded.
    for (doc, id) in [
        (
            &br#"<r xmlns="urn:x"><a Id="s1"><b>t</b></a></r>"#[..],
            "s1",
        ),
        (br#"<r xmlns="urn:x"><a Id="s1" k="v" /></r>"#, "s1"),
    ] {
        let options = EnvelopedOptions {
            id_attribute: "Id".into(),
            ..EnvelopedOptions::default()
        };
        let signed = sign_enveloped(doc, id, &options, &signer).unwrap();
        let r = one(&signed, &VerifyOptions::new(now()));
        assert!(r.is_valid(), "{}: {r:?}", String::from_utf8_lossy(&signed));
        let text = String::from_utf8(signed).unwrap();
        assert!(text.contains("</ds:Signature></a></r>"), "{text}");
    }
    let err = |doc: &[u8], id: &str, options: &EnvelopedOptions| {
        sign_enveloped(doc, id, options, &signer)
            .unwrap_err()
            .to_string()
    };
    let e = err(TEMPLATE, "_nope", &EnvelopedOptions::vihf());
    assert!(e.contains("no element"), "{e}");
    let e = err(
        br#"<r><a ID="x"/><b ID="x"/></r>"#,
        "x",
        &EnvelopedOptions::default(),
    );
    assert!(e.contains("2 elements"), "{e}");
    let e = err(
        br#"<r><a ID="x"/><b Id="x"/></r>"#,
        "x",
        &EnvelopedOptions::default(),
    );
    assert!(e.contains("several elements"), "{e}");
    let mut after = EnvelopedOptions::vihf();
    after.insert_after = Some((SAML2_NS.into(), "Nope".into()));
    let e = err(TEMPLATE, ID, &after);
    assert!(e.contains("Nope"), "{e}");
    let e = err(b"<r", ID, &after);
    assert!(e.contains("c14n"), "{e}");
}

/// A limit of exclusive C14N that the ANS `PrefixList` ("ds saml #default xsi") leaves open:
/// `xmlns:xs` is only used inside attribute values (`xsi:type="xs:string"`), so it is not
/// "visibly used" and its declaration is not signed. With `xs` added to the `PrefixList` it is.
#[test]
fn qnames_in_content_need_their_prefix_in_the_prefix_list() {
    let signed = sign(SignatureAlgorithm::RsaSha256);
    let changed = replace(
        &signed,
        "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"",
        "xmlns:xs=\"http://evil.example/XMLSchema\"",
    );
    assert!(one(&changed, &VerifyOptions::new(now())).is_valid());
    let signed = SIGNED.with(|s| s.clone());
    let changed = replace(
        &signed,
        "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"",
        "xmlns:xs=\"http://evil.example/XMLSchema\"",
    );
    assert_eq!(
        one(&changed, &VerifyOptions::new(now())).failure,
        Some(Failure::DigestMismatch { uri: URI.into() })
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any one-byte change of a signed VIHF (`PrefixList` with `xs`, see above) neither panics nor verifies (a change of white
    /// space inside a tag into other white space is no change at all for XML, and is skipped,
    /// as are changes in the XML declaration, where `UTF-8` and `utf-8` are the same).
    #[test]
    fn mutations_never_verify(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let signed = SIGNED.with(|s| s.clone());
        let i = pos.index(signed.len());
        let old = signed[i];
        let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        let declaration = signed.iter().position(|&b| b == b'>').unwrap_or(0);
        prop_assume!(i > declaration && old != byte && !(ws(old) && ws(byte)));
        let mut doc = signed.clone();
        doc[i] = byte;
        if let Ok(reports) = xmldsig::verify(&doc, &TRUST.with(|t| t.clone())) {
            prop_assert!(!reports.iter().any(|r| r.is_valid()), "byte {i}: {old} -> {byte} near {:?}", String::from_utf8_lossy(&SIGNED.with(|s| s.clone())[i.saturating_sub(40)..(i + 20).min(doc.len())]));
        }
    }
}

thread_local! {
    static SIGNED: Vec<u8> = {
        let signer = identity(ORG_SIGN_P12, SignatureAlgorithm::RsaSha256)
            .signer_at(now(), UsagePolicy::DmpSignature)
            .unwrap();
        let mut options = EnvelopedOptions::vihf();
        options.inclusive_prefixes.push("xs".into());
        sign_enveloped(TEMPLATE, ID, &options, &signer).unwrap()
    };
    static TRUST: VerifyOptions = trusted(now());
}
