//! TD2.1 feeding: determinism, re-parsing, signatures, structure against the official
//! example (read from ../shared at run time), pre-send checks, responses.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::crypto::{
    Certificate, CheckedSigner, SignatureAlgorithm, SigningIdentity, UsagePolicy,
};
use dmp_core::feed::{self, FeedContext, FeedMode, FeedOutcome, FeedRequest, IdGenerator};
use dmp_core::soap::mtom;
use dmp_core::xmldsig::{self, ManifestStatus, VerifyOptions};
use dmp_core::Error;

const P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const EXPIRED_P12: &[u8] = include_bytes!("../examples/pki/expired-org-sign.p12");
const PASSWORD: &str = include_str!("../examples/pki/PASSWORD");
const ROOT: &str = include_str!("../examples/pki/root.pem");
const ORG_CA: &str = include_str!("../examples/pki/org-ca.pem");
const AT: &str = "2026-11-20T15:00:00+01:00";

fn shared_dir() -> Option<PathBuf> {
    if std::env::var("DMP_NO_SHARED").as_deref() == Ok("1") {
        return None;
    }
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    p.is_dir().then_some(p)
}

fn now() -> DateTime<FixedOffset> {
    AT.parse().unwrap()
}

fn signer() -> CheckedSigner {
    SigningIdentity::from_pkcs12(P12, PASSWORD.trim())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(now().with_timezone(&Utc), UsagePolicy::DmpSignature)
        .unwrap()
}

fn sample(name: &str) -> FeedRequest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/feed");
    let mut r =
        FeedRequest::from_json(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap();
    r.resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    r
}

fn build_with(
    request: &FeedRequest,
    signer: &dyn dmp_core::crypto::Signer,
    seed: u64,
) -> dmp_core::Result<feed::BuiltRequest> {
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(seed),
        signer,
        rights: None,
    };
    feed::build(request, &mut ctx)
}

fn build(request: &FeedRequest) -> dmp_core::Result<feed::BuiltRequest> {
    build_with(request, &signer(), 42)
}

fn options() -> VerifyOptions {
    let mut o = VerifyOptions::new(now().with_timezone(&Utc))
        .with_trust(vec![Certificate::from_pem(ROOT).unwrap()]);
    o.intermediates.push(Certificate::from_pem(ORG_CA).unwrap());
    o
}

fn rule(e: &Error) -> (&str, &str) {
    let inv = e
        .as_invalid()
        .unwrap_or_else(|| panic!("not a validation error: {e}"));
    (inv.field.as_str(), inv.rule.as_str())
}

#[test]
fn same_inputs_same_bytes() {
    for name in ["dlu", "projet-personnalise", "replacement"] {
        let r = sample(name);
        let a = build(&r).unwrap();
        let b = build(&r).unwrap();
        assert_eq!(a.http.to_message(), b.http.to_message(), "{name}");
        let c = build_with(&r, &signer(), 43).unwrap();
        assert_ne!(a.http.body, c.http.body, "another seed, other ids");
    }
}

#[test]
fn built_request_reparses() {
    let built = build(&sample("projet-personnalise")).unwrap();
    assert_eq!(built.http.path, "/si-dmp-server/v2/services/repository");
    let message = built.http.to_message();
    let m = mtom::parse_message(&message).unwrap();
    assert_eq!(m.root.bytes.as_ref(), built.envelope.as_slice());
    assert_eq!(m.parts.len(), 3, "two CDAs and the signature");
    for (i, (_, bytes)) in built.cdas().iter().enumerate() {
        assert_eq!(m.parts[i].bytes.as_ref(), *bytes);
    }
    assert_eq!(m.parts[2].bytes.as_ref(), built.signature.as_slice());
    let info = dmp_core::soap::parse_envelope(&built.envelope).unwrap();
    assert_eq!(
        info.action.as_deref(),
        Some(dmp_core::soap::action::PROVIDE_AND_REGISTER)
    );
    assert_eq!(info.message_id.as_deref(), Some(built.message_id.as_str()));
    assert!(info
        .to
        .as_deref()
        .unwrap()
        .ends_with("/si-dmp-server/v2/services/repository"));
}

#[test]
fn every_signature_verifies_with_the_test_root() {
    for name in ["dlu", "projet-personnalise", "replacement"] {
        let built = build(&sample(name)).unwrap();
        let reports = xmldsig::verify(&built.http.to_message(), &options()).unwrap();
        assert_eq!(reports.len(), 2, "VIHF and XAdES");
        for r in &reports {
            assert!(r.is_valid(), "{name}: {:?}", r.failure);
        }
        let manifest: Vec<_> = reports.iter().flat_map(|r| &r.manifest).collect();
        for (uri, _) in &built.cdas() {
            assert!(
                manifest
                    .iter()
                    .any(|m| &m.uri == uri && m.status == ManifestStatus::Ok),
                "{name}: {uri} digest recomputed from the part"
            );
        }
        assert!(manifest.iter().any(|m| m.status == ManifestStatus::Dummy));
        let report = feed::check(&built.http.to_message(), &options()).unwrap();
        assert!(report.is_ok(), "{}", report.render());
    }
}

/// A forged CDA part after the genuine one, under the same Content-ID: the genuine one would
/// pass the manifest check while a receiver binding the last part would store the forgery.
/// RFC 2392: refused, by the verifier and by the pre-send check.
#[test]
fn forged_part_with_a_duplicate_content_id_is_refused() {
    let built = build(&sample("dlu")).unwrap();
    let message = built.http.to_message();
    let m = mtom::parse_message(&message).unwrap();
    let cid = m.parts[0].content_id.clone().unwrap();
    let boundary = m.boundary.clone();
    let closing = format!("--{boundary}--");
    let forged = format!(
        "--{boundary}\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\n\
         Content-ID: <{cid}>\r\n\r\n<ClinicalDocument>forged</ClinicalDocument>\r\n{closing}"
    );
    let text = String::from_utf8(message).unwrap();
    assert_eq!(text.matches(&closing).count(), 1);
    let tampered = text.replacen(&closing, &forged, 1);
    for e in [
        xmldsig::verify(tampered.as_bytes(), &options()).unwrap_err(),
        feed::check(tampered.as_bytes(), &options()).unwrap_err(),
    ] {
        let s = e.to_string();
        assert!(s.contains("Content-ID") && s.contains(&cid), "{s}");
    }
}

#[test]
fn check_finds_a_tampered_cda() {
    let built = build(&sample("dlu")).unwrap();
    let message = built.http.to_message();
    let text = String::from_utf8(message).unwrap();
    let tampered = text.replacen(
        "Dossier de liaison d'urgence</title>",
        "Dossier de liaison modifié</title>",
        1,
    );
    assert_ne!(text, tampered);
    let report = feed::check(tampered.as_bytes(), &options()).unwrap();
    assert!(!report.is_ok());
    assert!(!report.documents[0].differences.is_empty() || !report.documents[0].digest_ok);
}

/// Slot names, classification schemes, external-identifier schemes and association types of
/// a request, by object kind.
fn structure(envelope: &str) -> std::collections::BTreeSet<String> {
    use dmp_core::xml::reader::Limits;
    use dmp_core::xml::tree::Tree;
    const RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
    let tree = Tree::parse(envelope.as_bytes(), &Limits::default()).unwrap();
    let mut out = std::collections::BTreeSet::new();
    for e in tree.root().descendants_or_self() {
        if e.namespace() != Some(RIM) {
            continue;
        }
        let owner = e
            .parent()
            .map(|p| p.local_name().to_owned())
            .unwrap_or_default();
        match e.local_name() {
            "Slot" => {
                out.insert(format!("slot {owner}/{}", e.attr("name").unwrap_or("")));
            }
            "Classification" => {
                out.insert(format!(
                    "classification {owner}/{}{}",
                    e.attr("classificationScheme").unwrap_or(""),
                    e.attr("classificationNode").unwrap_or("")
                ));
            }
            "ExternalIdentifier" => {
                out.insert(format!(
                    "external {owner}/{}",
                    e.attr("identificationScheme").unwrap_or("")
                ));
            }
            "Association" => {
                out.insert(format!(
                    "association {}",
                    e.attr("associationType").unwrap_or("")
                ));
            }
            _ => {}
        }
    }
    out
}

#[test]
fn structure_covers_the_official_td21_request() {
    let Some(shared) = shared_dir() else {
        eprintln!("note: ../shared absent (or DMP_NO_SHARED=1): official TD2.1 comparison skipped");
        return;
    };
    let path = shared.join("reference/dmp-messages/TD2.1-Alimentation.request.xml");
    let Ok(official) = std::fs::read(&path) else {
        eprintln!("note: {} absent: skipped", path.display());
        return;
    };
    let m = mtom::parse_message(&official).unwrap();
    let theirs = structure(std::str::from_utf8(&m.root.bytes).unwrap());
    assert!(
        theirs.len() > 20,
        "the official request lists its structure: {theirs:?}"
    );
    let built = build(&sample("dlu")).unwrap();
    let ours = structure(std::str::from_utf8(&built.envelope).unwrap());
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(missing.is_empty(), "missing from ours: {missing:#?}");
    // The replacement adds RPLC.
    let built = build(&sample("replacement")).unwrap();
    let ours = structure(std::str::from_utf8(&built.envelope).unwrap());
    assert!(ours.contains("association urn:ihe:iti:2007:AssociationType:RPLC"));
}

#[test]
fn air_is_refused() {
    let mut r = sample("dlu");
    r.mode = FeedMode::Air;
    let e = build(&r).unwrap_err();
    assert_eq!(rule(&e), ("mode", feed::RULE_RIGHTS));
}

#[test]
fn production_ins_in_test_environment_is_refused() {
    let mut r = sample("dlu");
    r.environment = feed::Environment::Production;
    let e = build(&r).unwrap_err();
    assert_eq!(
        rule(&e),
        (
            "documents[0].header.patient.ins",
            feed::RULE_INS_ENVIRONMENT
        )
    );
    let mut r = sample("dlu");
    let h = r.documents[0].header.as_mut().unwrap();
    h.patient.ins =
        dmp_core::ids::Ins::parse(h.patient.ins.matricule().as_str(), "1.2.250.1.213.1.4.8")
            .unwrap();
    let e = build(&r).unwrap_err();
    assert_eq!(
        rule(&e),
        (
            "documents[0].header.patient.ins",
            feed::RULE_INS_ENVIRONMENT
        )
    );
}

#[test]
fn unqualified_identity_is_refused() {
    let mut r = sample("dlu");
    r.identity_status = dmp_core::model::InsStatus::Recuperee;
    assert_eq!(
        rule(&build(&r).unwrap_err()),
        ("identity_status", feed::RULE_IDENTITY)
    );
}

#[test]
fn structure_mismatch_is_refused() {
    let mut r = sample("dlu");
    r.structure_id = Some("1690800999".into());
    assert_eq!(
        rule(&build(&r).unwrap_err()),
        ("structure_id", feed::RULE_STRUCTURE)
    );
    let mut r = sample("projet-personnalise");
    let h = r.documents[1].header.as_mut().unwrap();
    h.structure.finess = dmp_core::ids::Finess::new("750000010").unwrap_or_else(|_| {
        // any valid FINESS other than the first document's
        dmp_core::ids::Finess::new("010000024").unwrap()
    });
    assert_eq!(
        rule(&build(&r).unwrap_err()),
        ("documents[1].header.structure.finess", feed::RULE_STRUCTURE)
    );
}

#[test]
fn builder_errors_name_the_document() {
    let mut r = sample("projet-personnalise");
    r.documents[1].header.as_mut().unwrap().title = "x".repeat(500);
    let e = build(&r).unwrap_err();
    assert_eq!(rule(&e).0, "documents[1].header.title");
}

/// An oversize document is refused from its known size, before its body is encoded: the
/// error names the document, the limit (the rule) and how the size comes about.
#[test]
fn oversize_document_is_refused_with_its_sizes() {
    let mut r = sample("dlu");
    let mut data = b"%PDF-1.4\n".to_vec();
    data.resize(15 << 20, b'x');
    r.documents[0].body = Some(dmp_core::cda::Content {
        media_type: dmp_core::cda::MediaType::Pdf,
        data,
    });
    let e = build(&r).unwrap_err();
    assert_eq!(rule(&e), ("documents[0]", feed::RULE_DOCUMENT_SIZE));
    let value = &e.as_invalid().unwrap().value;
    assert!(
        value.contains("a 15728640-byte file is 20971520 bytes in base64"),
        "{value}"
    );
    let total: usize = value.split(' ').next().unwrap().parse().unwrap();
    assert!(
        total > feed::MAX_DOCUMENT_BYTES && total < 20_971_520 + 16_384,
        "{value}"
    );
}

#[test]
fn expired_certificate_is_refused() {
    let r = sample("dlu");
    let expired = SigningIdentity::from_pkcs12(EXPIRED_P12, PASSWORD.trim())
        .unwrap()
        .signer_at(now().with_timezone(&Utc), UsagePolicy::AllowInvalid)
        .unwrap();
    let e = build_with(&r, &expired, 42).unwrap_err();
    assert!(matches!(e, Error::Crypto { .. }), "{e}");
    // And signer_at refuses it in the first place.
    assert!(SigningIdentity::from_pkcs12(EXPIRED_P12, PASSWORD.trim())
        .unwrap()
        .signer_at(now().with_timezone(&Utc), UsagePolicy::DmpSignature)
        .is_err());
}

const RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";

fn soap(body: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header/>\
         <soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

#[test]
fn responses() {
    let ok = soap(&format!(
        "<rs:RegistryResponse xmlns:rs=\"{RS}\" \
         status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\"/>"
    ));
    assert!(
        feed::parse_response("application/soap+xml; charset=UTF-8", ok.as_bytes())
            .unwrap()
            .is_success()
    );

    let failure = soap(&format!(
        "<rs:RegistryResponse xmlns:rs=\"{RS}\" \
         status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure\"><rs:RegistryErrorList>\
         <rs:RegistryError errorCode=\"DMPPatientNotFound\" codeContext=\"Le DMP n'existe pas\" \
         severity=\"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error\"/>\
         <rs:RegistryError errorCode=\"XDSRegistryMetadataError\" codeContext=\"Métadonnée &lt;title&gt;\" \
         severity=\"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error\"/>\
         </rs:RegistryErrorList></rs:RegistryResponse>"
    ));
    // As an MTOM response.
    let mime = format!(
        "--b1\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n\
         Content-ID: <root@x>\r\n\r\n{failure}\r\n--b1--\r\n"
    );
    let ct = "multipart/related; boundary=\"b1\"; type=\"application/xop+xml\"; start=\"<root@x>\"";
    match feed::parse_response(ct, mime.as_bytes()).unwrap() {
        FeedOutcome::Failure(r) => {
            assert_eq!(r.errors.len(), 2);
            assert_eq!(r.errors[0].error_code, "DMPPatientNotFound");
            assert_eq!(r.errors[0].code_context, "Le DMP n'existe pas");
            assert_eq!(r.errors[1].code_context, "Métadonnée <title>");
        }
        other => panic!("{other:?}"),
    }

    let fault = soap(
        "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>\
         <soap:Reason><soap:Text xml:lang=\"fr\">Le certificat ayant signé le VIHF est invalide</soap:Text>\
         </soap:Reason></soap:Fault>",
    );
    match feed::parse_response("application/soap+xml", fault.as_bytes()).unwrap() {
        FeedOutcome::Fault(f) => {
            assert_eq!(f.reason(), "Le certificat ayant signé le VIHF est invalide");
            assert_eq!(f.code.local_name, "Sender");
        }
        other => panic!("{other:?}"),
    }
    assert!(feed::parse_response("text/xml", b"not xml").is_err());
}

/// The message of `built` with `edit` applied to its text (the first occurrence of `from`,
/// which must be there).
fn forge(built: &feed::BuiltRequest, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(built.http.to_message()).unwrap();
    assert!(text.contains(from), "{from} not in the message");
    text.replacen(from, to, 1).into_bytes()
}

/// Issue 10.3: a whole ProvideAndRegister message whose manifest names a document the message
/// does not carry (its uniqueId edited in the unsigned metadata, or its `xop:Include` pointed
/// at a missing part) does not verify (failed before: every signature VALID, the manifest
/// reference "part not supplied").
#[test]
fn verify_refuses_a_forged_provide_and_register() {
    let built = build(&sample("dlu")).unwrap();
    let (uri, _) = &built.cdas()[0];
    let unique_id = uri.strip_prefix("urn:oid:").unwrap();
    let reports = xmldsig::verify(&built.http.to_message(), &options()).unwrap();
    assert!(reports.iter().all(|r| r.is_valid()));

    let edited_id = forge(
        &built,
        &format!("value=\"{unique_id}\""),
        &format!("value=\"{unique_id}.9\""),
    );
    let cid = mtom::parse_message(&built.http.to_message()).unwrap().parts[0]
        .content_id
        .clone()
        .unwrap();
    let href = mtom::cid_href(&cid);
    let dangling = forge(
        &built,
        &format!("href=\"{href}\""),
        "href=\"cid:missing@example.org\"",
    );
    for (forged, why) in [
        (edited_id, "no document of the message has this uniqueId"),
        (dangling, "cid:missing@example.org"),
    ] {
        let reports = xmldsig::verify(&forged, &options()).unwrap();
        let xades = reports
            .iter()
            .find(|r| !r.manifest.is_empty())
            .expect("the XAdES signature");
        match &xades.failure {
            Some(f @ xmldsig::Failure::ManifestNotInMessage { uri: u, reason }) => {
                assert_eq!(u, uri);
                assert!(reason.contains(why), "{reason}");
                assert!(f.to_string().contains(*uri), "{f}");
            }
            other => panic!("{other:?}"),
        }
        let entry = xades.manifest.iter().find(|m| &m.uri == uri).unwrap();
        assert!(
            matches!(&entry.status, ManifestStatus::NotInMessage(r) if r.contains(why)),
            "{:?}",
            entry.status
        );
        let report = xmldsig::verify_message(&forged, &options()).unwrap();
        assert!(!report.is_valid());
        assert!(!feed::check(&forged, &options()).unwrap().is_ok());
    }
    // The dangling xop:Include is also a problem of the message itself.
    let dangling = forge(
        &built,
        &format!("href=\"{href}\""),
        "href=\"cid:missing@example.org\"",
    );
    let report = xmldsig::verify_message(&dangling, &options()).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("cid:missing@example.org") && p.contains("no such part")),
        "{:?}",
        report.problems
    );
    // A standalone signature (not a whole message) still says "not supplied".
    let standalone = xmldsig::verify(&built.signature, &options()).unwrap();
    assert!(standalone[0]
        .manifest
        .iter()
        .any(|m| &m.uri == uri && m.status == ManifestStatus::PartMissing));
}

/// The VIHF (`saml2:Assertion` … `</saml2:Assertion>`) of `text`.
fn vihf_span(text: &str) -> std::ops::Range<usize> {
    let a = text.find("<saml2:Assertion").unwrap();
    let close = "</saml2:Assertion>";
    let b = text.find(close).unwrap() + close.len();
    a..b
}

/// An unsigned copy of the assertion `signed`, for another user and with another ID.
fn evil_assertion(signed: &str) -> String {
    let a = signed.find("<ds:Signature").unwrap();
    let close = "</ds:Signature>";
    let b = signed.find(close).unwrap() + close.len();
    let unsigned = format!("{}{}", &signed[..a], &signed[b..]);
    let id_at = unsigned.find(" ID=\"").unwrap() + 5;
    let id_end = id_at + unsigned[id_at..].find('"').unwrap();
    format!("{}_evil{}", &unsigned[..id_at], &unsigned[id_end..])
}

/// Issue 10.4: the VIHF of a request is the single Assertion of `wsse:Security`, and the
/// signature must cover that one. An unsigned assertion before the signed one, or the signed
/// one inside an unsigned assertion's Advice, fails `feed check` and `verify_message` (failed
/// before: every signature VALID, so `dmp verify` said the message verified).
#[test]
fn wrapped_vihf_is_refused() {
    let built = build(&sample("dlu")).unwrap();
    let text = String::from_utf8(built.http.to_message()).unwrap();
    let span = vihf_span(&text);
    let signed = &text[span.clone()];
    let evil = evil_assertion(signed);
    let before = format!("{}{evil}{signed}{}", &text[..span.start], &text[span.end..]);
    let issuer_end = evil.find("</saml2:Issuer>").unwrap() + "</saml2:Issuer>".len();
    let advice = format!(
        "{}{}<saml2:Advice>{signed}</saml2:Advice>{}{}",
        &text[..span.start],
        &evil[..issuer_end],
        &evil[issuer_end..],
        &text[span.end..]
    );
    for (attack, why) in [
        (before, "more than one element"),
        (advice, "another Assertion"),
    ] {
        let report = feed::check(attack.as_bytes(), &options()).unwrap();
        assert!(!report.is_ok(), "{}", report.render());
        assert!(
            report.problems.iter().any(|p| p.contains(why)),
            "{:?}",
            report.problems
        );
        // Every signature is valid by itself: the message is what is wrong.
        let reports = xmldsig::verify(attack.as_bytes(), &options()).unwrap();
        assert!(reports.iter().all(|r| r.is_valid()));
        let verified = xmldsig::verify_message(attack.as_bytes(), &options()).unwrap();
        assert!(!verified.is_valid());
        assert!(
            verified.problems.iter().any(|p| p.contains(why)),
            "{:?}",
            verified.problems
        );
    }
    // The genuine message: no problem.
    let verified = xmldsig::verify_message(&built.http.to_message(), &options()).unwrap();
    assert!(verified.is_valid(), "{:?}", verified.problems);
    assert_eq!(verified.signatures.len(), 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// A whole TD2.1 with one byte changed or cut short: `verify_message` gives a typed
    /// error or a report, never a panic; a changed byte inside the signed VIHF never
    /// verifies.
    #[test]
    fn verify_message_never_panics_on_a_mutated_message(
        pos in proptest::prelude::any::<proptest::sample::Index>(),
        byte in proptest::prelude::any::<u8>(),
        cut in proptest::prelude::any::<bool>(),
    ) {
        let message = MESSAGE.with(|m| m.clone());
        let i = pos.index(message.len());
        let mut forged = message.clone();
        if cut {
            forged.truncate(i);
        } else {
            forged[i] = byte;
        }
        if let Ok(report) = xmldsig::verify_message(&forged, &options()) {
            let text = String::from_utf8_lossy(&message);
            let vihf = vihf_span(&text);
            let inside = vihf.contains(&i) && message[i] != byte;
            let ws = |b: u8| b.is_ascii_whitespace();
            // What the signature covers: the assertion's exclusive C14N. A change it does not
            // render (a declaration of a prefix no name uses) rightly leaves it valid.
            let signed = |m: &[u8]| {
                let exclusive = dmp_core::xml::c14n::C14nMethod::Exclusive {
                    comments: false,
                    inclusive_prefixes: Vec::new(),
                };
                dmp_core::xml::c14n::canonicalize_document(&m[vihf.clone()], &exclusive).ok()
            };
            let unsigned_change = signed(&message).is_some() && signed(&message) == signed(&forged);
            proptest::prop_assert!(
                cut || !inside || ws(message[i]) && ws(byte) || unsigned_change
                    || !report.is_valid(),
                "byte {i} of the VIHF changed and the message verifies"
            );
        }
    }
}

thread_local! {
    static MESSAGE: Vec<u8> = build(&sample("dlu")).unwrap().http.to_message();
}

// --- The streamed build (feed::build_to): the same bytes, written rather than held. ---

fn context(signer: &dyn dmp_core::crypto::Signer, seed: u64) -> FeedContext<'_> {
    FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(seed),
        signer,
        rights: None,
    }
}

/// `r` with its first document's body replaced by `data` (`media_type`).
fn with_body(
    mut r: FeedRequest,
    media_type: dmp_core::cda::MediaType,
    data: Vec<u8>,
) -> FeedRequest {
    r.documents[0].body = Some(dmp_core::cda::Content { media_type, data });
    r
}

/// A PDF of `len` bytes whose bytes vary (every base64 chunk differs).
fn pdf(len: usize) -> Vec<u8> {
    let mut data = b"%PDF-1.4\n".to_vec();
    data.extend((0..len.saturating_sub(9)).map(|i| (i * 7 % 251) as u8));
    data
}

#[test]
fn streamed_build_writes_the_built_bytes() {
    let cases = [
        ("one document", sample("dlu")),
        ("two documents", sample("projet-personnalise")),
        ("a new version (RPLC)", sample("replacement")),
        // Several 48 KiB input chunks and a last partial one (its base64 padded).
        (
            "a 1 MiB PDF",
            with_body(
                sample("dlu"),
                dmp_core::cda::MediaType::Pdf,
                pdf((1 << 20) + 1),
            ),
        ),
        (
            "a text body",
            with_body(
                sample("projet-personnalise"),
                dmp_core::cda::MediaType::Text,
                "Compte rendu : à revoir le 3 mai.\n"
                    .repeat(5000)
                    .into_bytes(),
            ),
        ),
    ];
    for (name, r) in &cases {
        let s = signer();
        let built = feed::build(r, &mut context(&s, 42)).unwrap();
        let mut body = Vec::new();
        let streamed = feed::build_to(r, &mut context(&s, 42), &mut body).unwrap();
        assert_eq!(body.len(), built.http.body.len(), "{name}");
        assert!(body == built.http.body, "{name}: the bytes differ");
        // What the summary gives is what BuiltRequest gives.
        assert_eq!(streamed.path(), built.http.path, "{name}");
        assert_eq!(streamed.headers(), built.http.headers, "{name}");
        assert_eq!(streamed.envelope(), &built.envelope[..], "{name}");
        assert_eq!(streamed.signature(), &built.signature[..], "{name}");
        assert_eq!(streamed.vihf(), &built.vihf[..], "{name}");
        assert_eq!(streamed.metadata(), built.metadata, "{name}");
        assert_eq!(streamed.message_id(), built.message_id, "{name}");
        assert_eq!(
            streamed.submission_set_unique_id(),
            &built.submission_set_unique_id,
            "{name}"
        );
        let sizes: Vec<(&str, usize)> = built.cdas().iter().map(|(u, b)| (*u, b.len())).collect();
        assert_eq!(streamed.documents(), sizes, "{name}");
        // Written again, as a message file: the same as to_message, and it checks.
        let mut message = Vec::new();
        let n = streamed.write_message(&mut message).unwrap();
        assert_eq!(n, built.http.body.len() as u64, "{name}");
        assert!(
            message == built.http.to_message(),
            "{name}: the message differs"
        );
        let report = feed::check(&message, &options()).unwrap();
        assert_eq!(report.documents.len(), sizes.len(), "{name}");
    }
}

/// Every refusal comes before the first byte: the sink stays empty.
#[test]
fn streamed_build_refuses_before_writing() {
    let r = with_body(sample("dlu"), dmp_core::cda::MediaType::Pdf, pdf(15 << 20));
    let s = signer();
    let mut sink = Vec::new();
    let e = feed::build_to(&r, &mut context(&s, 42), &mut sink)
        .err()
        .expect("an oversize document is refused");
    assert_eq!(rule(&e), ("documents[0]", feed::RULE_DOCUMENT_SIZE));
    assert!(sink.is_empty(), "{} bytes written", sink.len());

    let mut r = sample("projet-personnalise");
    r.mode = FeedMode::Air;
    let e = feed::build_to(&r, &mut context(&s, 42), &mut sink)
        .err()
        .expect("AIR is refused");
    assert_eq!(rule(&e), ("mode", feed::RULE_RIGHTS));
    assert!(sink.is_empty(), "{} bytes written", sink.len());
}

/// A writer that takes `room` bytes, then fails as a full disk does.
struct FullDisk {
    room: usize,
    taken: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.room - self.taken);
        if n == 0 && !buf.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on the spool disk",
            ));
        }
        self.taken += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn streamed_build_reports_the_writer_error() {
    let r = with_body(sample("dlu"), dmp_core::cda::MediaType::Pdf, pdf(300_000));
    let s = signer();
    let full = feed::build(&r, &mut context(&s, 42))
        .unwrap()
        .http
        .body
        .len();
    // At the first byte, in the envelope, in the middle of the document's base64, at the
    // closing delimiter.
    for room in [0, 100, full / 2, full - 3] {
        let mut disk = FullDisk { room, taken: 0 };
        let e = feed::build_to(&r, &mut context(&s, 42), &mut disk)
            .err()
            .expect("the writer fails");
        assert_eq!(
            e,
            Error::Write {
                message: "no space left on the spool disk".into()
            },
            "room {room}"
        );
        assert_eq!(
            e.to_string(),
            "cannot write the request: no space left on the spool disk"
        );
        assert_eq!(disk.taken, room);
    }
    let mut disk = FullDisk {
        room: full,
        taken: 0,
    };
    let streamed = feed::build_to(&r, &mut context(&s, 42), &mut disk).unwrap();
    assert_eq!(disk.taken, full);
    assert_eq!(streamed.documents().len(), 1);
}
