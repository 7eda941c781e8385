//! SOAP 1.2 envelope, MTOM/XOP request building and parsing, faults.
//!
//! - the envelope: WS-Addressing headers, verbatim insertion of the security token and the
//!   body, fragment checks, no default namespace;
//! - MTOM: round trip (build then parse gives back the same bytes), Content-Type parameters,
//!   boundary checks, `xop:Include` resolution;
//! - the official TD2.1 request (MTOM without HTTP headers, SOAP 1.1 namespace) and responses,
//!   read from `../shared/reference/dmp-messages` (not copied here, for licensing reasons;
//!   skipped with a note without `../shared`);
//! - SOAP 1.2 and 1.1 faults (hand-made fixtures);
//! - hostile MIME: errors, never panics (proptest);
//! - with `xmllint` and `../shared`: `validate-xds` on a whole MTOM request built here.
//!
//! The security token of the envelopes is a VIHF built and signed here (test PKI).

mod common;

use std::borrow::Cow;
use std::process::Command;
use std::sync::OnceLock;

use dmp_core::soap::mtom::{self, cid_href, ContentType, Part, ROOT_CONTENT_ID};
use dmp_core::soap::{
    action, body_child, build_envelope, endpoint, parse_envelope, Fault, SoapVersion, SOAP12_NS,
    WSA_NS,
};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::Error;
use proptest::prelude::*;

const TD21_REQUEST: &str = "TD2.1-Alimentation.request.xml";
const TD21_RESPONSE: &str = "TD2.1-Alimentation.response.xml";
const TD32_RESPONSE: &str = "TD3.2-Consultation_d_un_document.response.xml";
const FAULT12: &[u8] = include_bytes!("fixtures/soap/fault-soap12.xml");
const FAULT11: &[u8] = include_bytes!("fixtures/soap/fault-soap11.xml");

const MSG_ID: &str = "urn:uuid:b3745a7c-4d1a-4cfd-a752-536197e4ac7a";
const BOUNDARY: &str = "MIMEBoundary_dmp_0123456789abcdef";

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// An indirect-mode VIHF of the project's sample EHPAD, built by `dmp_core::vihf` and signed
/// with the test ORG_SIGN of `examples/pki/` (TEST ONLY): a signed `saml2:Assertion` without
/// XML declaration, as the envelope receives it. Built once.
fn vihf() -> &'static [u8] {
    use chrono::{TimeZone, Utc};
    use dmp_core::crypto::{SigningIdentity, UsagePolicy};
    use dmp_core::habilitation::AccessMode;
    use dmp_core::ids::Ins;
    use dmp_core::vihf::{
        AuthnClass, LocalAuthentication, Lps, Vihf, VihfCode, VihfMode, VihfProfile, VihfUser,
    };
    use dmp_core::xmldsig::{sign_enveloped, EnvelopedOptions};
    static VIHF: OnceLock<Vec<u8>> = OnceLock::new();
    VIHF.get_or_init(|| {
        let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
        let id = "_7c0e5d2a-1f3b-4a6c-9d8e-2b4f6a8c0e1d";
        let v = Vihf {
            mode: VihfMode::Indirecte,
            assertion_id: id.to_owned(),
            issue_instant: now,
            validity: None,
            issuer: "CN=EHPAD Les Tilleuls - cachet,OU=1690800123,O=EHPAD Les Tilleuls,\
                     L=Lyon,ST=Rhône (69),C=FR"
                .to_owned(),
            user: VihfUser {
                idnat: "899900100019".parse().unwrap(),
                family_name: "MARTIN".to_owned(),
                given_name: "Claire".to_owned(),
                subject_id: None,
                roles: VihfCode::roles_from_author_specialty("G15_10/SM26").unwrap(),
            },
            authentication: LocalAuthentication {
                instant: now,
                class: AuthnClass::PasswordProtectedTransport,
                decl: None,
            },
            structure_id: "1690800123".to_owned(),
            secteur_activite: "SA17".to_owned(),
            patient: Ins::parse("245036912304502", "1.2.250.1.213.1.4.10").unwrap(),
            purpose_of_use: AccessMode::Normal,
            hide_from_legal_representatives: false,
            lps: Lps {
                id: None,
                nom: "dmp-rs tests".to_owned(),
                version: "0.1.0".to_owned(),
                homologation: "TEST".to_owned(),
            },
            profile: VihfProfile::default(),
        };
        let xml = v.to_xml().unwrap();
        let signer = SigningIdentity::from_pkcs12(
            include_bytes!("../examples/pki/org-sign.p12"),
            include_str!("../examples/pki/PASSWORD").trim(),
        )
        .unwrap()
        .signer_at(now, UsagePolicy::DmpSignature)
        .unwrap();
        let mut signed = sign_enveloped(&xml, id, &EnvelopedOptions::vihf(), &signer).unwrap();
        assert!(signed.starts_with(b"<saml2:Assertion "));
        while signed.last().is_some_and(u8::is_ascii_whitespace) {
            signed.pop();
        }
        assert!(contains(&signed, b"<ds:SignatureValue>"));
        signed
    })
}

fn body_xml() -> Vec<u8> {
    br#"<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007" xmlns:xop="http://www.w3.org/2004/08/xop/include">
  <xdsb:Document id="Doc1"><xop:Include href="cid:doc1@dmp"/></xdsb:Document>
  <xdsb:Document id="Sig1"><xop:Include href="cid:sig1%40dmp"/></xdsb:Document>
</xdsb:ProvideAndRegisterDocumentSetRequest>"#
        .to_vec()
}

fn envelope() -> Vec<u8> {
    build_envelope(
        action::PROVIDE_AND_REGISTER,
        MSG_ID,
        "",
        vihf(),
        &body_xml(),
    )
    .unwrap()
}

fn parts() -> Vec<Part<'static>> {
    vec![
        Part::new(
            "doc1@dmp",
            "text/xml",
            b"<ClinicalDocument/>\r\n--not-the-boundary\n".to_vec(),
        ),
        Part::new(
            "sig1@dmp",
            "text/xml",
            (0u8..=255).cycle().take(5000).collect::<Vec<u8>>(),
        ),
    ]
}

fn invalid_field(e: &Error) -> &str {
    e.as_invalid().map(|i| i.field.as_str()).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Envelope

#[test]
fn envelope_headers_and_verbatim_fragments() {
    let mut security = b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec();
    security.extend_from_slice(vihf());
    security.extend_from_slice(b"\n\n");
    let body = body_xml();
    let env = build_envelope(
        action::PROVIDE_AND_REGISTER,
        MSG_ID,
        "https://lps2.dmp.gouv.fr/si-dmp-server/v2/services/repository",
        &security,
        &body,
    )
    .unwrap();
    // Verbatim: the signed assertion and the body appear byte for byte.
    assert!(contains(&env, vihf()));
    assert!(contains(&env, &body));
    assert!(!contains(&env, b"<?xml"));
    assert!(!contains(&env, b"\xEF\xBB\xBF"));
    // Header layout.
    let s = String::from_utf8(env.clone()).unwrap();
    assert!(s.starts_with(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" \
         xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" \
         xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">\n  <soap:Header>\n    <wsa:MessageID>urn:uuid:b3745a7c-4d1a-4cfd-a752-536197e4ac7a</wsa:MessageID>\n    <wsa:To>https://lps2.dmp.gouv.fr/si-dmp-server/v2/services/repository</wsa:To>\n    <wsa:ReplyTo>\n      <wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address>\n    </wsa:ReplyTo>\n    <wsa:Action soap:mustUnderstand=\"true\">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</wsa:Action>\n    <wsse:Security>\n      <saml2:Assertion"
    ));
    assert!(s.ends_with(
        "</xdsb:ProvideAndRegisterDocumentSetRequest>\n  </soap:Body>\n</soap:Envelope>\n"
    ));
    // Deterministic.
    assert_eq!(
        env,
        build_envelope(
            action::PROVIDE_AND_REGISTER,
            MSG_ID,
            "https://lps2.dmp.gouv.fr/si-dmp-server/v2/services/repository",
            &security,
            &body,
        )
        .unwrap()
    );
    // Read back.
    let info = parse_envelope(&env).unwrap();
    assert_eq!(info.version, SoapVersion::Soap12);
    assert_eq!(info.action.as_deref(), Some(action::PROVIDE_AND_REGISTER));
    assert_eq!(info.message_id.as_deref(), Some(MSG_ID));
    let span = body_child(&env).unwrap();
    assert_eq!(&env[span], &body[..]);
    // The mustUnderstand is the SOAP 1.2 one.
    let tree = Tree::parse(&env, &Limits::default()).unwrap();
    let act = tree.elements().find(|e| e.is(WSA_NS, "Action")).unwrap();
    assert_eq!(act.attr_ns(Some(SOAP12_NS), "mustUnderstand"), Some("true"));
}

#[test]
fn envelope_declares_no_default_namespace() {
    let env = envelope();
    let tree = Tree::parse(&env, &Limits::default()).unwrap();
    let security = tree
        .elements()
        .find(|e| e.local_name() == "Security")
        .unwrap();
    // Every ancestor of the assertion and of the body element: prefixed declarations only,
    // and no prefix the VIHF signature could pick up (saml, ds, xsi).
    for e in [
        tree.root(),
        security,
        tree.root().children().next().unwrap(),
    ] {
        for d in e.namespace_declarations() {
            assert!(d.prefix.is_some(), "default namespace on {}", e.qname());
            assert!(["soap", "wsa", "wsse"].contains(&d.prefix.unwrap()));
        }
    }
    let assertion = security.children().next().unwrap();
    assert_eq!(assertion.lookup_namespace(None), None);
}

#[test]
fn fragments_must_be_one_self_contained_element() {
    let ok_body = body_xml();
    let try_body =
        |body: &[u8]| build_envelope(action::PROVIDE_AND_REGISTER, MSG_ID, "", vihf(), body);
    for bad in [
        &b""[..],
        b"   ",
        b"text only",
        b"<a/><b/>",
        b"<a/>trailing",
        b"<a/><!-- c -->",
        b"<?pi x?><a/>",
        b"<!DOCTYPE a><a/>",
        b"<p:a/>",
        b"<a>",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
        b"<a>\xE9</a>",
    ] {
        let e = try_body(bad).unwrap_err();
        assert_eq!(
            invalid_field(&e),
            "body",
            "{:?}: {e}",
            String::from_utf8_lossy(bad)
        );
    }
    let e = build_envelope(
        action::PROVIDE_AND_REGISTER,
        MSG_ID,
        "",
        b"<x:y/>",
        &ok_body,
    )
    .unwrap_err();
    assert_eq!(invalid_field(&e), "security");
    // White space and a declaration around are fine; a default namespace on the body root too.
    let env = try_body(b"\n<?xml version=\"1.0\"?>\n<r xmlns=\"urn:x\"><c/></r>\n ").unwrap();
    assert!(contains(
        &env,
        b"<r xmlns=\"urn:x\"><c/></r>\n  </soap:Body>"
    ));
}

#[test]
fn header_values_are_checked() {
    let body = body_xml();
    let b = |a: &str, m: &str, t: &str| build_envelope(a, m, t, vihf(), &body);
    assert_eq!(invalid_field(&b("", MSG_ID, "").unwrap_err()), "action");
    assert_eq!(
        invalid_field(&b("urn:a b", MSG_ID, "").unwrap_err()),
        "action"
    );
    assert_eq!(
        invalid_field(&b("urn:a\"", MSG_ID, "").unwrap_err()),
        "action"
    );
    for m in [
        "",
        "b3745a7c-4d1a-4cfd-a752-536197e4ac7a",
        "urn:uuid:xyz",
        "urn:uuid:b3745a7c4d1a4cfda752536197e4ac7a",
    ] {
        assert_eq!(
            invalid_field(&b(action::PROVIDE_AND_REGISTER, m, "").unwrap_err()),
            "message_id"
        );
    }
    assert_eq!(
        invalid_field(&b(action::PROVIDE_AND_REGISTER, MSG_ID, "https://x/\ny").unwrap_err()),
        "to"
    );
}

/// The exclusive canonical form of the assertion (what its signature covers) is the same
/// standalone and inside our envelope, for the `InclusiveNamespaces PrefixList`s in use
/// (`#default` included): the envelope declares no default namespace and none of those
/// prefixes. (A list naming the envelope's own prefixes, `soap wsa wsse`, would pull their
/// declarations in: the signature layer must not use one.)
#[test]
fn assertion_canonical_form_is_unchanged_by_the_envelope() {
    use dmp_core::xml::c14n::{canonicalize, C14nMethod, EXC_C14N};
    let env = envelope();
    let outer = Tree::parse(&env, &Limits::default()).unwrap();
    let inner = Tree::parse(vihf(), &Limits::default()).unwrap();
    let assertion = outer
        .elements()
        .find(|e| e.local_name() == "Assertion")
        .unwrap()
        .id();
    for list in [
        None,
        Some("ds saml #default xsi"),
        Some("#default saml2 xsi xs hl7 ds"),
    ] {
        let m = C14nMethod::from_uri(EXC_C14N, list).unwrap();
        assert_eq!(
            canonicalize(&outer, Some(assertion), None, &m).unwrap(),
            canonicalize(&inner, None, None, &m).unwrap(),
            "{list:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// MTOM

#[test]
fn mtom_round_trip_and_headers() {
    let env = envelope();
    let parts = parts();
    let req = mtom::build(&env, &parts, BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap();
    assert_eq!(req.path, "/si-dmp-server/v2/services/repository");
    assert_eq!(req.path, endpoint::REPOSITORY);
    assert_eq!(req.headers.len(), 1);
    let ct = req.header("content-type").unwrap();
    assert_eq!(
        ct,
        "multipart/related; boundary=\"MIMEBoundary_dmp_0123456789abcdef\"; \
         type=\"application/xop+xml\"; start=\"<root.message@dmp>\"; \
         start-info=\"application/soap+xml\"; \
         action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\""
    );
    let parsed_ct = ContentType::parse(ct).unwrap();
    assert_eq!(parsed_ct.media_type, "multipart/related");
    assert_eq!(parsed_ct.param("type"), Some("application/xop+xml"));
    assert_eq!(parsed_ct.param("start-info"), Some("application/soap+xml"));

    // Exact byte layout of the start of the body.
    let head = format!(
        "--{BOUNDARY}\r\nContent-Type: application/xop+xml; charset=UTF-8; \
         type=\"application/soap+xml\"; action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"\r\n\
         Content-Transfer-Encoding: binary\r\nContent-ID: <root.message@dmp>\r\n\r\n"
    );
    assert!(req.body.starts_with(head.as_bytes()));
    let part1 = format!(
        "\r\n--{BOUNDARY}\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\n\
         Content-ID: <doc1@dmp>\r\n\r\n<ClinicalDocument/>"
    );
    assert!(contains(&req.body, part1.as_bytes()));
    assert!(req
        .body
        .ends_with(format!("\r\n--{BOUNDARY}--\r\n").as_bytes()));

    // Parse back: same bytes.
    let m = mtom::parse(ct, &req.body).unwrap();
    assert_eq!(m.boundary, BOUNDARY);
    assert_eq!(m.root.content_id.as_deref(), Some(ROOT_CONTENT_ID));
    assert_eq!(&m.root.bytes[..], &env[..]);
    assert_eq!(m.parts.len(), 2);
    for (got, want) in m.parts.iter().zip(&parts) {
        assert_eq!(got.content_id.as_deref(), Some(want.content_id.as_str()));
        assert_eq!(
            got.content_type.as_deref(),
            Some(want.content_type.as_str())
        );
        assert_eq!(got.bytes, want.bytes);
        assert!(
            matches!(got.bytes, Cow::Borrowed(_)),
            "binary parts are borrowed"
        );
    }
    assert_eq!(m.part("sig1@dmp").unwrap().bytes, parts[1].bytes);
    // The whole message (headers + body) parses the same.
    let msg = req.to_message();
    let m2 = mtom::parse_message(&msg).unwrap();
    assert_eq!(m2.root, m.root);
    assert_eq!(m2.parts, m.parts);
    // Deterministic.
    assert_eq!(
        req,
        mtom::build(&env, &parts, BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap()
    );

    // XOP: each include becomes the base64 of its part (the percent-encoded one too).
    let resolved = m.resolve_xop().unwrap();
    let s = String::from_utf8(resolved).unwrap();
    assert!(!s.contains("xop:Include"));
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    assert!(s.contains(&format!(
        "<xdsb:Document id=\"Doc1\">{}</xdsb:Document>",
        b64(&parts[0].bytes)
    )));
    assert!(s.contains(&format!(
        "<xdsb:Document id=\"Sig1\">{}</xdsb:Document>",
        b64(&parts[1].bytes)
    )));
    assert_eq!(cid_href("sig1@dmp"), "cid:sig1@dmp");
}

#[test]
fn mtom_build_refusals() {
    let env = envelope();
    let parts = parts();
    let build = |b: &str, p: &[Part<'_>]| mtom::build(&env, p, b, action::PROVIDE_AND_REGISTER);
    // The boundary occurs in a part / in the envelope.
    let e = build("not-the-boundary", &parts).unwrap_err();
    assert_eq!(invalid_field(&e), "boundary");
    assert!(e.to_string().contains("part 0"), "{e}");
    let env2 = build_envelope(
        action::PROVIDE_AND_REGISTER,
        MSG_ID,
        "",
        vihf(),
        b"<r>text\n--collide</r>",
    )
    .unwrap();
    let e = mtom::build(&env2, &[], "collide", action::PROVIDE_AND_REGISTER).unwrap_err();
    assert!(e.to_string().contains("envelope"), "{e}");
    // Malformed boundaries.
    for b in ["", "a b", "a\"b", "é", &"x".repeat(71)] {
        assert_eq!(
            invalid_field(&build(b, &parts).unwrap_err()),
            "boundary",
            "{b:?}"
        );
    }
    // Content-IDs: duplicate, the root's, with angle brackets or spaces.
    let mut p = parts.clone();
    p[1].content_id = "doc1@dmp".into();
    assert_eq!(
        invalid_field(&build(BOUNDARY, &p).unwrap_err()),
        "parts[1].content_id"
    );
    for cid in [ROOT_CONTENT_ID, "<a@b>", "a b", ""] {
        let mut p = parts.clone();
        p[0].content_id = cid.into();
        assert_eq!(
            invalid_field(&build(BOUNDARY, &p).unwrap_err()),
            "parts[0].content_id"
        );
    }
    // Content types with a line break (header injection) or no subtype.
    for ct in ["text/xml\r\nX-Evil: 1", "textxml", ""] {
        let mut p = parts.clone();
        p[0].content_type = ct.into();
        assert_eq!(
            invalid_field(&build(BOUNDARY, &p).unwrap_err()),
            "parts[0].content_type"
        );
    }
    // An include naming no part.
    assert_eq!(
        invalid_field(&build(BOUNDARY, &parts[..1]).unwrap_err()),
        "envelope"
    );
    // Every part is checked before any is written: a bad Content-ID in part 1 is reported
    // before the boundary found in part 0's bytes.
    let mut p = parts.clone();
    p[1].content_id = "<sig1@dmp>".into();
    assert_eq!(
        invalid_field(&build("not-the-boundary", &p).unwrap_err()),
        "parts[1].content_id"
    );
    // What counts as an include: the XOP namespace whatever its prefix, and the unprefixed
    // `href` only; an `Include` of another namespace is not one.
    let with_body = |body: &str| {
        build_envelope(
            action::PROVIDE_AND_REGISTER,
            MSG_ID,
            "",
            vihf(),
            body.as_bytes(),
        )
        .unwrap()
    };
    let xop = "http://www.w3.org/2004/08/xop/include";
    let one = &parts[..1];
    let cases = [
        (
            format!(r#"<r><Include xmlns="{xop}" href="cid:doc1@dmp"/></r>"#),
            true,
        ),
        (
            format!(r#"<r><i:Include xmlns:i="{xop}" href="cid:nowhere@dmp"/></r>"#),
            false,
        ),
        (
            r#"<r><Include xmlns="urn:other" href="cid:nowhere@dmp"/></r>"#.to_owned(),
            true,
        ),
        (
            format!(r#"<r xmlns:x="urn:x"><i:Include xmlns:i="{xop}" x:href="cid:doc1@dmp"/></r>"#),
            false,
        ),
    ];
    for (body, accepted) in cases {
        let got = mtom::build(
            &with_body(&body),
            one,
            BOUNDARY,
            action::PROVIDE_AND_REGISTER,
        );
        match got {
            Ok(_) => assert!(accepted, "{body} should be refused"),
            Err(e) => {
                assert!(!accepted, "{body}: {e}");
                assert_eq!(invalid_field(&e), "envelope", "{body}");
            }
        }
    }
    // A SOAP 1.1 envelope (made here, and the official TD2.1 one), an unknown action.
    let soap11 = b"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
        <soapenv:Header/><soapenv:Body><r/></soapenv:Body></soapenv:Envelope>";
    let e = mtom::build(soap11, &[], BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap_err();
    assert_eq!(invalid_field(&e), "envelope");
    if let Some(td21) = common::official_message(TD21_REQUEST) {
        let m = mtom::parse_message(&td21).unwrap();
        let e =
            mtom::build(&m.root.bytes, &[], BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap_err();
        assert_eq!(invalid_field(&e), "envelope");
    }
    let e = mtom::build(&env, &parts, BOUNDARY, "urn:unknown").unwrap_err();
    assert_eq!(invalid_field(&e), "action");
    let req = mtom::build_to("/x/y", &env, &parts, BOUNDARY, "urn:unknown").unwrap();
    assert_eq!(req.path, "/x/y");
}

#[test]
fn endpoints_of_the_actions() {
    use dmp_core::soap::endpoint::for_action;
    assert_eq!(
        for_action(action::PROVIDE_AND_REGISTER),
        Some(endpoint::REPOSITORY)
    );
    assert_eq!(
        for_action(action::RETRIEVE_DOCUMENT_SET),
        Some(endpoint::REPOSITORY)
    );
    assert_eq!(
        for_action(action::REGISTRY_STORED_QUERY),
        Some(endpoint::REGISTRY)
    );
    assert_eq!(
        for_action(action::UPDATE_DOCUMENT_SET),
        Some(endpoint::REGISTRY)
    );
    assert_eq!(
        for_action(action::PRPA_IN201307UV02),
        Some(endpoint::PATIENTS)
    );
    assert_eq!(
        for_action(action::PRPA_IN201305UV02),
        Some(endpoint::PATIENTS_PDQ)
    );
    assert_eq!(
        for_action(action::SET_AUTHORIZATION),
        Some(endpoint::HABILITATIONS)
    );
    assert_eq!(
        for_action(action::PATIENT_LIST),
        Some(endpoint::PATIENTS_SPECIFIC)
    );
    assert_eq!(for_action("urn:hl7-org:v3:setAuthorization"), None);
    for p in [
        endpoint::REPOSITORY,
        endpoint::REGISTRY,
        endpoint::PATIENT_CERTIF,
    ] {
        assert!(p.starts_with(endpoint::BASE_PATH));
    }
}

// ---------------------------------------------------------------------------------------------
// Official samples

#[test]
fn official_td21_request() {
    let Some(td21) = common::official_message(TD21_REQUEST) else {
        return;
    };
    let m = mtom::parse_message(&td21).unwrap();
    assert_eq!(mtom::parse("", &td21).unwrap(), m);
    assert_eq!(m.boundary, "----=_Part_9_20030738.1554380517598");
    assert_eq!(m.root.content_id.as_deref(), Some("rootpart@soapui.org"));
    assert_eq!(m.root.header("content-transfer-encoding"), Some("8bit"));
    let root_ct = ContentType::parse(m.root.content_type.as_deref().unwrap()).unwrap();
    assert_eq!(root_ct.media_type, "application/xop+xml");
    assert_eq!(root_ct.param("type"), Some("application/soap+xml"));
    let cids: Vec<_> = m
        .parts
        .iter()
        .map(|p| p.content_id.as_deref().unwrap())
        .collect();
    assert_eq!(
        cids,
        [
            "WS_DMP_TD2.1-DocumentME2.xml",
            "WS_DMP_TD2.1-SignatureXades.xml"
        ]
    );
    assert!(m.parts[0].bytes.starts_with(b"<ClinicalDocument "));
    // The blank line before the delimiter leaves one LF in the content.
    assert!(m.parts[0].bytes.ends_with(b"</ClinicalDocument>\n"));
    assert!(m.parts[1].bytes.ends_with(b"</Signature>"));
    assert_eq!(
        m.parts[0].header("Content-Disposition"),
        Some("attachment; name=\"WS_DMP_TD2.1-DocumentME2.xml\"; filename=\"WS_DMP_TD2.1-DocumentME2.xml\"")
    );
    // The envelope: SOAP 1.1 namespace (the sample's defect), read leniently.
    let info = parse_envelope(&m.root.bytes).unwrap();
    assert_eq!(info.version, SoapVersion::Soap11);
    assert_eq!(info.action.as_deref(), Some(action::PROVIDE_AND_REGISTER));
    assert_eq!(info.message_id.as_deref(), Some(MSG_ID));
    assert_eq!(info.to.as_deref(), Some(""));
    let span = body_child(&m.root.bytes).unwrap();
    assert!(m.root.bytes[span].starts_with(b"<ns4:ProvideAndRegisterDocumentSetRequest"));
    // XOP resolution against its parts.
    let resolved = m.resolve_xop().unwrap();
    assert!(!contains(&resolved, b"xop:Include"));
    Tree::parse(&resolved, &Limits::default()).unwrap();
    // With the HTTP headers in front (as a transport would hand it over), and with CRLFs.
    let crlf: Vec<u8> = td21
        .split(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .join(&b"\r\n"[..]);
    let mut msg = b"POST /si-dmp-server/v2/services/repository HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; type=\"application/xop+xml\";\r\n\tstart=\"<rootpart@soapui.org>\"; boundary=\"----=_Part_9_20030738.1554380517598\"\r\n\r\n".to_vec();
    msg.extend_from_slice(&crlf);
    let m2 = mtom::parse_message(&msg).unwrap();
    assert_eq!(m2.parts.len(), 2);
    assert_eq!(m2.root.content_id.as_deref(), Some("rootpart@soapui.org"));
    for (p2, p1) in m2.parts.iter().zip(&m.parts) {
        let lf_to_crlf: Vec<u8> = p1
            .bytes
            .split(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .join(&b"\r\n"[..]);
        assert_eq!(p2.bytes, lf_to_crlf);
    }
}

#[test]
fn official_responses() {
    let Some([td21, td32]) = common::official_messages([TD21_RESPONSE, TD32_RESPONSE]) else {
        return;
    };
    let info = parse_envelope(&td21).unwrap();
    assert_eq!(info.version, SoapVersion::Soap12);
    assert_eq!(
        info.action.as_deref(),
        Some("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse")
    );
    assert_eq!(info.relates_to.as_deref(), Some(MSG_ID));
    assert_eq!(
        info.to.as_deref(),
        Some("http://www.w3.org/2005/08/addressing/anonymous")
    );
    let span = body_child(&td21).unwrap();
    assert!(td21[span].starts_with(b"<ns2:RegistryResponse"));
    assert_eq!(Fault::parse(&td21).unwrap(), None);

    // An ITI-43 root part: the href is percent-encoded, the Content-ID is not.
    let part = mtom::MimePart {
        headers: vec![],
        content_id: Some("b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007".into()),
        content_type: Some("text/xml".into()),
        bytes: Cow::Borrowed(b"<doc/>"),
    };
    let resolved = mtom::resolve_xop(&td32, std::slice::from_ref(&part)).unwrap();
    assert!(contains(&resolved, b"PGRvYy8+"));
    assert!(!contains(&resolved, b"xop:Include"));
    let e = mtom::resolve_xop(&td32, &[]).unwrap_err();
    assert!(e.to_string().contains("names no MIME part"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn soap12_fault() {
    let f = Fault::parse(FAULT12).unwrap().unwrap();
    assert_eq!(f.version, SoapVersion::Soap12);
    assert_eq!(f.code.value, "soap:Sender");
    assert_eq!(f.code.namespace.as_deref(), Some(SOAP12_NS));
    assert_eq!(f.code.local_name, "Sender");
    let sub: Vec<_> = f
        .subcodes
        .iter()
        .map(|c| (c.value.as_str(), c.namespace.as_deref()))
        .collect();
    assert_eq!(
        sub,
        [
            ("dmp:VIHF", Some("urn:si-dmp:faults")),
            ("DMPVihfInvalide", None)
        ]
    );
    assert_eq!(f.reasons.len(), 2);
    assert_eq!(f.reasons[0].lang.as_deref(), Some("fr"));
    assert_eq!(
        f.reason(),
        "Aucune spécialité dans le vihf. Spécialité obligatoire pour les Médecins et Pharmaciens"
    );
    assert_eq!(f.reasons[1].lang.as_deref(), Some("en"));
    assert_eq!(
        f.role.as_deref(),
        Some("http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver")
    );
    assert_eq!(f.node, None);
    assert_eq!(
        f.detail.as_deref(),
        Some(&b"<soap:Detail><dmp:erreur xmlns:dmp=\"urn:si-dmp:faults\" code=\"DMPVihfInvalide\">  texte &amp; d\xC3\xA9tail  </dmp:erreur></soap:Detail>"[..])
    );
    assert_eq!(
        f.to_string(),
        "SOAP fault soap:Sender / dmp:VIHF / DMPVihfInvalide: Aucune spécialité dans le vihf. \
         Spécialité obligatoire pour les Médecins et Pharmaciens"
    );
}

#[test]
fn soap11_fault() {
    let f = Fault::parse(FAULT11).unwrap().unwrap();
    assert_eq!(f.version, SoapVersion::Soap11);
    assert_eq!(f.code.value, "soapenv:Client");
    assert_eq!(f.code.local_name, "Client");
    assert!(f.subcodes.is_empty());
    assert_eq!(f.reasons[0].lang.as_deref(), Some("fr"));
    assert_eq!(
        f.reason(),
        "Le certificat ayant signé le VIHF est invalide : Not a valid signature certificate"
    );
    assert_eq!(
        f.role.as_deref(),
        Some("https://lps2.dmp.gouv.fr/si-dmp-server/v2/services/repository")
    );
    assert_eq!(
        f.detail.as_deref(),
        Some(&b"<detail><code>DMPCertificatInvalide</code></detail>"[..])
    );
}

#[test]
fn not_envelopes() {
    for bad in [
        &b"<a/>"[..],
        b"<soap:Envelope xmlns:soap=\"urn:other\"><soap:Body/></soap:Envelope>",
        b"<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"/>",
        b"not xml",
    ] {
        assert!(Fault::parse(bad).is_err());
        assert!(parse_envelope(bad).is_err());
        assert!(body_child(bad).is_err());
    }
    let empty =
        b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>";
    assert_eq!(parse_envelope(empty).unwrap().body_child, None);
    assert!(body_child(empty).is_err());
    assert_eq!(Fault::parse(empty).unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Hostile MIME

fn is_mime_error(e: &Error) -> bool {
    matches!(e, Error::Data { source_name, .. } if source_name == "mime" || source_name == "c14n")
}

#[test]
fn hostile_mime_is_refused() {
    let env = envelope();
    let req = mtom::build(&env, &parts(), BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap();
    let ct = req.header("Content-Type").unwrap().to_owned();
    let body = &req.body;
    let cases: Vec<(&str, String, Vec<u8>)> = vec![
        (
            "missing boundary",
            "multipart/related; type=\"application/xop+xml\"".into(),
            body.clone(),
        ),
        ("not multipart", "application/soap+xml".into(), body.clone()),
        (
            "wrong boundary",
            ct.replace(BOUNDARY, "other"),
            body.clone(),
        ),
        ("truncated", ct.clone(), body[..body.len() - 20].to_vec()),
        ("truncated in headers", ct.clone(), body[..60].to_vec()),
        ("empty", ct.clone(), Vec::new()),
        (
            "huge headers",
            "multipart/related; boundary=b".into(),
            [
                &b"--b\r\nX: "[..],
                &vec![b'a'; 100_000],
                b"\r\n\r\nx\r\n--b--\r\n",
            ]
            .concat(),
        ),
        (
            "too many headers",
            "multipart/related; boundary=b".into(),
            [
                &b"--b\r\n"[..],
                &b"X: 1\r\n".repeat(200),
                b"\r\nx\r\n--b--\r\n",
            ]
            .concat(),
        ),
        (
            "no blank line",
            "multipart/related; boundary=b".into(),
            b"--b\r\nContent-Type: text/plain\r\n--b--\r\n".to_vec(),
        ),
        (
            "quoted-printable",
            "multipart/related; boundary=b".into(),
            b"--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=41\r\n--b--\r\n".to_vec(),
        ),
        (
            "bad base64",
            "multipart/related; boundary=b".into(),
            b"--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b--\r\n".to_vec(),
        ),
        (
            "start names no part",
            "multipart/related; boundary=b; start=\"<nope>\"".into(),
            b"--b\r\nContent-ID: <x>\r\n\r\nx\r\n--b--\r\n".to_vec(),
        ),
        (
            "no part",
            "multipart/related; boundary=b".into(),
            b"--b--\r\n".to_vec(),
        ),
        (
            "malformed header",
            "multipart/related; boundary=b".into(),
            b"--b\r\nno colon here\r\n\r\nx\r\n--b--\r\n".to_vec(),
        ),
    ];
    for (what, ct, body) in cases {
        let e = mtom::parse(&ct, &body).unwrap_err();
        assert!(is_mime_error(&e), "{what}: {e:?}");
    }
    for msg in [
        &b""[..],
        b"--",
        b"--b",
        b"Content-Type: text/plain\r\n\r\nbody",
        b"X-Other: 1\r\n\r\n--b\r\n\r\nx\r\n--b--",
        b"Content-Type: multipart/related; boundary=b\r\nno blank line",
    ] {
        assert!(
            mtom::parse_message(msg).is_err(),
            "{:?}",
            String::from_utf8_lossy(msg)
        );
    }
    // Base64 parts are decoded; an epilogue and a preamble are ignored; LF line ends work.
    let m = mtom::parse(
        "multipart/related; boundary=\"b\"",
        b"preamble\n--b\nContent-ID: <r>\n\n<r/>\n--b \t\nContent-ID: <p>\nContent-Transfer-Encoding: BASE64\n\naGVs\nbG8=\n--b--\nepilogue",
    )
    .unwrap();
    assert_eq!(&m.root.bytes[..], b"<r/>");
    assert_eq!(&m.parts[0].bytes[..], b"hello");
    assert!(matches!(m.parts[0].bytes, Cow::Owned(_)));
}

/// RFC 2392: a Content-ID names one part. A second part with the same Content-ID (a forged
/// part after the genuine one, or two root parts) is refused, not silently shadowed.
#[test]
fn duplicate_content_ids_are_refused() {
    let ct = "multipart/related; boundary=b; start=\"<r>\"";
    let cases: [(&str, &str, &[u8]); 4] = [
        (
            "forged part after the genuine one",
            ct,
            b"--b\r\nContent-ID: <r>\r\n\r\n<r/>\r\n--b\r\nContent-ID: <doc1>\r\n\r\ngenuine\r\n\
              --b\r\nContent-ID: <doc1>\r\n\r\nforged\r\n--b--\r\n",
        ),
        (
            "two root parts",
            ct,
            b"--b\r\nContent-ID: <r>\r\n\r\n<r/>\r\n--b\r\nContent-ID: <r>\r\n\r\n<f/>\r\n--b--\r\n",
        ),
        (
            "same id, other brackets and spaces",
            "multipart/related; boundary=b",
            b"--b\r\nContent-ID: <r>\r\n\r\n<r/>\r\n--b\r\nContent-ID:  < r > \r\n\r\n<f/>\r\n--b--\r\n",
        ),
        (
            "two Content-ID headers in one part",
            "multipart/related; boundary=b",
            b"--b\r\nContent-ID: <r>\r\nContent-ID: <s>\r\n\r\n<r/>\r\n--b--\r\n",
        ),
    ];
    for (what, ct, body) in cases {
        let e = mtom::parse(ct, body).unwrap_err();
        assert!(is_mime_error(&e), "{what}: {e}");
        assert!(e.to_string().contains("Content-ID"), "{what}: {e}");
        let msg = [format!("Content-Type: {ct}\r\n\r\n").as_bytes(), body].concat();
        assert!(mtom::parse_message(&msg).is_err(), "{what}");
    }
    // Parts without a Content-ID are not duplicates of each other.
    let m = mtom::parse(
        "multipart/related; boundary=b",
        b"--b\r\n\r\n<r/>\r\n--b\r\n\r\nA\r\n--b\r\n\r\nB\r\n--b--\r\n",
    )
    .unwrap();
    assert_eq!(m.parts.len(), 2);
    assert_eq!(&m.parts[1].bytes[..], b"B");
}

/// The one MIME parser: its limits and answers are those of `soap::mtom`, for the verifier
/// too (which used to have its own parser: 1 000 parts, no header limit).
#[test]
fn verifier_reads_mime_with_the_same_parser() {
    use dmp_core::xmldsig::{self, VerifyOptions};
    let options = VerifyOptions::new(chrono::DateTime::UNIX_EPOCH);
    // 2 000 parts: within the limit of the parser (10 000), so the verifier reads them too.
    let mut body = b"Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-ID: <r>\r\n\r\n<r/>\r\n".to_vec();
    for i in 0..2000 {
        body.extend_from_slice(format!("--b\r\nContent-ID: <p{i}>\r\n\r\nx\r\n").as_bytes());
    }
    body.extend_from_slice(b"--b--\r\n");
    assert_eq!(mtom::parse_message(&body).unwrap().parts.len(), 2000);
    assert!(xmldsig::verify(&body, &options).unwrap().is_empty());
    // A 100 KB header: refused by both.
    let huge = [
        &b"--b\r\nContent-ID: <r>\r\nX: "[..],
        &vec![b'a'; 100_000],
        b"\r\n\r\n<r/>\r\n--b--\r\n",
    ]
    .concat();
    assert!(mtom::parse_message(&huge).is_err());
    assert!(is_mime_error(
        &xmldsig::verify(&huge, &options).unwrap_err()
    ));
    // A duplicate Content-ID: refused by both.
    let dup =
        b"--b\r\nContent-ID: <r>\r\n\r\n<r/>\r\n--b\r\nContent-ID: <r>\r\n\r\n<f/>\r\n--b--\r\n";
    assert!(mtom::parse_message(dup).is_err());
    assert!(is_mime_error(&xmldsig::verify(dup, &options).unwrap_err()));
    // `start` naming the last part: both take it as the root.
    let last = b"Content-Type: multipart/related; boundary=b; start=\"<r>\"\r\n\r\n\
                 --b\r\nContent-ID: <a>\r\n\r\nnot xml\r\n--b\r\nContent-ID: <r>\r\n\r\n<r/>\r\n--b--\r\n";
    let m = mtom::parse_message(last).unwrap();
    assert_eq!(m.root.content_id.as_deref(), Some("r"));
    assert!(xmldsig::verify(last, &options).unwrap().is_empty());
    // Plain XML and a plain SOAP HTTP message are not MIME.
    assert!(xmldsig::verify(b"<a/>", &options).unwrap().is_empty());
    assert!(
        xmldsig::verify(b"Content-Type: application/soap+xml\r\n\r\n<a/>", &options)
            .unwrap()
            .is_empty()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics(ct in "[ -~]{0,80}", body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = mtom::parse(&ct, &body);
        let _ = mtom::parse_message(&body);
        let _ = ContentType::parse(&ct);
        let _ = Fault::parse(&body);
        let _ = parse_envelope(&body);
    }

    #[test]
    fn mutated_messages_never_panic(cut in 0usize..4000, flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..8)) {
        let env = envelope();
        let req = mtom::build(&env, &parts(), BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap();
        let mut msg = req.to_message();
        for (at, b) in flips {
            let n = msg.len();
            msg[at % n] = b;
        }
        msg.truncate(cut.min(msg.len()).max(msg.len().saturating_sub(cut)));
        if let Ok(m) = mtom::parse_message(&msg) {
            let _ = m.resolve_xop();
        }
    }

    #[test]
    fn round_trip_any_bytes(
        a in proptest::collection::vec(any::<u8>(), 0..2000),
        b in proptest::collection::vec(any::<u8>(), 0..2000),
        boundary in "[A-Za-z0-9'()+_,./:=?-]{1,70}",
    ) {
        let env = envelope();
        let parts = vec![Part::new("doc1@dmp", "application/octet-stream", a), Part::new("sig1@dmp", "text/xml", b)];
        match mtom::build(&env, &parts, &boundary, action::PROVIDE_AND_REGISTER) {
            Ok(req) => {
                let m = mtom::parse(req.header("content-type").unwrap(), &req.body).unwrap();
                prop_assert_eq!(&m.root.bytes[..], &env[..]);
                prop_assert_eq!(m.parts.len(), 2);
                prop_assert_eq!(&m.parts[0].bytes, &parts[0].bytes);
                prop_assert_eq!(&m.parts[1].bytes, &parts[1].bytes);
            }
            Err(e) => {
                // Only a boundary collision may refuse random bytes.
                let needle = format!("--{boundary}");
                let collides = [&env[..], &parts[0].bytes, &parts[1].bytes]
                    .iter()
                    .any(|h| h.windows(needle.len()).any(|w| w == needle.as_bytes()));
                prop_assert!(collides, "{}", e);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// validate-xds on a whole MTOM request built here (needs ../shared and xmllint)

#[test]
fn validate_xds_accepts_our_mtom_request() {
    let Some(tool) = common::shared_path("tools/validate-xds") else {
        return;
    };
    let Some(td21) = common::official_message(TD21_REQUEST) else {
        return;
    };
    let xmllint = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !xmllint {
        eprintln!("note: xmllint absent, skipping");
        return;
    }
    // The official body (a real ProvideAndRegisterDocumentSetRequest), its parts, in our
    // SOAP 1.2 envelope and MTOM packaging.
    let m = mtom::parse_message(&td21).unwrap();
    let span = body_child(&m.root.bytes).unwrap();
    let body = &m.root.bytes[span];
    let env = build_envelope(action::PROVIDE_AND_REGISTER, MSG_ID, "", vihf(), body).unwrap();
    let parts: Vec<Part<'_>> = m
        .parts
        .iter()
        .map(|p| Part::new(p.content_id.clone().unwrap(), "text/xml", &p.bytes[..]))
        .collect();
    let req = mtom::build(&env, &parts, BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap();
    let dir = std::env::temp_dir().join(format!("dmp-soap-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("request.mime", req.to_message()),
        ("body.mime", req.body.clone()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let out = Command::new("python3")
            .arg(&tool)
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("valid against"), "{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// MTOM written to a caller's writer (MtomStream)

/// Streams `parts` with `MtomStream`, each part's bytes in writes of `piece` bytes.
fn stream(parts: &[Part<'_>], boundary: &str, piece: usize) -> dmp_core::Result<Vec<u8>> {
    let env = envelope();
    let frame: Vec<(&str, &str)> = parts
        .iter()
        .map(|p| (p.content_id.as_str(), p.content_type.as_str()))
        .collect();
    let mut out = Vec::new();
    let mut s = mtom::MtomStream::start(
        &mut out,
        endpoint::REPOSITORY,
        &env,
        boundary,
        action::PROVIDE_AND_REGISTER,
        &frame,
    )?;
    for p in parts {
        s.part(|w| {
            for chunk in p.bytes.chunks(piece) {
                w.write_all(chunk).map_err(Error::write)?;
            }
            Ok(())
        })?;
    }
    let n = s.finish()?;
    assert_eq!(n, out.len() as u64);
    Ok(out)
}

#[test]
fn streamed_mtom_is_the_built_message() {
    let env = envelope();
    let built = mtom::build(&env, &parts(), BOUNDARY, action::PROVIDE_AND_REGISTER).unwrap();
    for piece in [1, 7, 4096] {
        assert_eq!(
            stream(&parts(), BOUNDARY, piece).unwrap(),
            built.body,
            "{piece}"
        );
    }
    assert_eq!(
        built.header("Content-Type"),
        Some(mtom::content_type(BOUNDARY, action::PROVIDE_AND_REGISTER).as_str())
    );
}

/// The boundary in a part's bytes is found even when it is cut across two writes; a part
/// missing from the frame, or a part too many, is refused.
#[test]
fn streamed_mtom_finds_the_boundary_across_writes() {
    let mut p = parts();
    p[1] = Part::new(
        "sig1@dmp",
        "text/xml",
        format!("abc\r\n--{BOUNDARY}--\r\n").into_bytes(),
    );
    for piece in [1, 3, 5, 64] {
        let e = stream(&p, BOUNDARY, piece).unwrap_err();
        assert_eq!(invalid_field(&e), "boundary", "{piece}: {e}");
        assert!(e.to_string().contains("part 1 (sig1@dmp)"), "{e}");
    }
    // A delimiter missing its first dash in one write and found only with the next one.
    let mut q = parts();
    q[0] = Part::new("doc1@dmp", "text/xml", format!("-{BOUNDARY}").into_bytes());
    assert!(
        stream(&q, BOUNDARY, 1).is_ok(),
        "one dash is not a delimiter"
    );

    let env = envelope();
    let mut out = Vec::new();
    let frame = [("doc1@dmp", "text/xml"), ("sig1@dmp", "text/xml")];
    let mut s = mtom::MtomStream::start(
        &mut out,
        endpoint::REPOSITORY,
        &env,
        BOUNDARY,
        action::PROVIDE_AND_REGISTER,
        &frame,
    )
    .unwrap();
    s.part(|w| w.write_all(b"<a/>").map_err(Error::write))
        .unwrap();
    assert_eq!(invalid_field(&s.finish().unwrap_err()), "parts");
    // An xop:Include naming no part is refused before the first byte.
    let mut out = Vec::new();
    let e = mtom::MtomStream::start(
        &mut out,
        endpoint::REPOSITORY,
        &env,
        BOUNDARY,
        action::PROVIDE_AND_REGISTER,
        &frame[..1],
    )
    .err()
    .unwrap();
    assert_eq!(invalid_field(&e), "envelope");
    assert!(out.is_empty());
}
