//! TD3.2, consultation of a document (`dmp_core::xds::{RetrieveRequest, RetrieveResponse}`):
//! the ITI-43 request against the official TD3.2 request and the DMP XSD (when `../shared`
//! and xmllint are there), the MTOM response (the official TD3.2 response body wrapped here in
//! a multipart with a CDA built by `cda::build`), zero-copy of a 20 MiB part, inline base64,
//! every binding error, and mutations (typed error or Ok, never a panic).

mod common;

use std::path::Path;

use common::soap12_envelope as envelope;

use dmp_core::cda::{self, Case, CdaHeader, Content, MediaType};
use dmp_core::soap::mtom::{self, Multipart, Part};
use dmp_core::xds::vocabulary::{DMP_REPOSITORY_UNIQUE_ID, NS_XDSB};
use dmp_core::xds::{
    DocumentRequest, ResponseStatus, RetrieveRequest, RetrieveResponse, RetrievedDocument,
};
use dmp_core::xml::reader::{self, Limits};
use dmp_core::Error;

const TD32_REQUEST: &str = "TD3.2-Consultation_d_un_document.request.xml";
const TD32_RESPONSE: &str = "TD3.2-Consultation_d_un_document.response.xml";
/// The uniqueId and the (decoded) Content-ID of the official TD3.2 messages.
const SAMPLE_UNIQUE_ID: &str = "1.2.250.1.999.1.1.7898.1.995657292";
const SAMPLE_CID: &str = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007";
const BOUNDARY: &str = "MIMEBoundary_td32";
const DLU: &str = include_str!("../examples/data/cases/dlu.json");

const NS_RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
const SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
const FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";

fn cda_document() -> (Vec<u8>, Content) {
    let case: Case = dmp_core::json::from_str(DLU).unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/cases");
    let (header, content): (CdaHeader, Content) = case
        .into_parts(|p| std::fs::read(base.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    (cda::build(&header, &content).unwrap(), content)
}

fn data_err(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(Error::Data { message, .. }) => message,
        other => panic!("expected a data error, got {other:?}"),
    }
}

fn invalid(r: Result<Vec<u8>, Error>) -> (String, String) {
    let e = r.unwrap_err();
    let inv = e.as_invalid().unwrap_or_else(|| panic!("not Invalid: {e}"));
    (inv.field.clone(), inv.rule.clone())
}

/// A `RetrieveDocumentSetResponse` with these `DocumentResponse`s (`Document` contents given).
fn response_body(status: &str, docs: &[(&str, &str)]) -> String {
    let mut s = format!(
        "<x:RetrieveDocumentSetResponse xmlns:x=\"{NS_XDSB}\" xmlns:rs=\"{NS_RS}\" \
         xmlns:xop=\"http://www.w3.org/2004/08/xop/include\">\n\
         <rs:RegistryResponse status=\"{status}\"/>\n"
    );
    for (uid, content) in docs {
        s.push_str(&format!(
            "<x:DocumentResponse>\n<x:HomeCommunityId>urn:oid:1.2.3</x:HomeCommunityId>\n\
             <x:RepositoryUniqueId>{DMP_REPOSITORY_UNIQUE_ID}</x:RepositoryUniqueId>\n\
             <x:DocumentUniqueId>{uid}</x:DocumentUniqueId>\n<x:mimeType>text/xml</x:mimeType>\n\
             <x:Document>{content}</x:Document>\n</x:DocumentResponse>\n"
        ));
    }
    s.push_str("</x:RetrieveDocumentSetResponse>");
    s
}

fn include(cid: &str) -> String {
    format!("<xop:Include href=\"{}\"/>", mtom::cid_href(cid))
}

/// A multipart message (as on the wire, CRLF) with `envelope` as root and these parts.
fn multipart(envelope: &[u8], parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = format!(
        "Content-Type: multipart/related; boundary=\"{BOUNDARY}\"; type=\"application/xop+xml\"; \
         start=\"<root@dmp>\"\r\n\r\n--{BOUNDARY}\r\nContent-Type: application/xop+xml\r\n\
         Content-ID: <root@dmp>\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(envelope);
    for (cid, bytes) in parts {
        m.extend_from_slice(
            format!(
                "\r\n--{BOUNDARY}\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\n\
                 Content-ID: <{cid}>\r\n\r\n"
            )
            .as_bytes(),
        );
        m.extend_from_slice(bytes);
    }
    m.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    m
}

fn parse_multipart(message: &[u8]) -> Result<RetrieveResponse<'static>, Error> {
    let m = mtom::parse_message(message)?;
    RetrieveResponse::from_multipart(&m).map(RetrieveResponse::into_owned)
}

// ------------------------------------------------------------------------------------------
// The request.
// ------------------------------------------------------------------------------------------

#[test]
fn request_is_the_iti43_body() {
    let mut with_community = DocumentRequest::dmp("1.2.250.1.999.1.1.7898.1.7^v2");
    with_community.home_community_id = Some("urn:oid:2.16.840.1.113883.2.8.3.7".into());
    let r = RetrieveRequest::new(vec![DocumentRequest::dmp(SAMPLE_UNIQUE_ID), with_community]);
    let xml = String::from_utf8(r.to_xml().unwrap()).unwrap();
    assert_eq!(
        xml,
        "<xdsb:RetrieveDocumentSetRequest xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\">\n\
         \x20 <xdsb:DocumentRequest>\n\
         \x20   <xdsb:RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2</xdsb:RepositoryUniqueId>\n\
         \x20   <xdsb:DocumentUniqueId>1.2.250.1.999.1.1.7898.1.995657292</xdsb:DocumentUniqueId>\n\
         \x20 </xdsb:DocumentRequest>\n\
         \x20 <xdsb:DocumentRequest>\n\
         \x20   <xdsb:HomeCommunityId>urn:oid:2.16.840.1.113883.2.8.3.7</xdsb:HomeCommunityId>\n\
         \x20   <xdsb:RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2</xdsb:RepositoryUniqueId>\n\
         \x20   <xdsb:DocumentUniqueId>1.2.250.1.999.1.1.7898.1.7^v2</xdsb:DocumentUniqueId>\n\
         \x20 </xdsb:DocumentRequest>\n\
         </xdsb:RetrieveDocumentSetRequest>\n"
    );
    // Same bytes every time.
    assert_eq!(r.to_xml().unwrap(), r.to_xml().unwrap());
}

#[test]
fn request_matches_the_official_request() {
    let Some(official) = common::official_message(TD32_REQUEST) else {
        return;
    };
    let ids = |xml: &[u8]| -> Vec<(String, String)> {
        let doc = reader::parse(xml, &Limits::default()).unwrap();
        doc.elements()
            .filter(|e| e.is(NS_XDSB, "DocumentRequest"))
            .map(|e| {
                let t = |l: &str| e.child(NS_XDSB, l).unwrap().text().trim().to_owned();
                (t("RepositoryUniqueId"), t("DocumentUniqueId"))
            })
            .collect()
    };
    let ours = RetrieveRequest::new(vec![DocumentRequest::dmp(SAMPLE_UNIQUE_ID)])
        .to_xml()
        .unwrap();
    assert_eq!(ids(&ours), ids(&official));
    assert_eq!(
        ids(&ours),
        [(
            DMP_REPOSITORY_UNIQUE_ID.to_owned(),
            SAMPLE_UNIQUE_ID.to_owned()
        )]
    );
}

#[test]
fn request_refuses_bad_input_naming_the_field() {
    let one = |d: DocumentRequest| RetrieveRequest::new(vec![d]).to_xml();
    let (field, rule) = invalid(RetrieveRequest::new(vec![]).to_xml());
    assert_eq!(field, "documents");
    assert!(rule.contains("at least one"), "{rule}");

    for entry_uuid in [
        "urn:uuid:0b1e6f2a-8c3d-4e5f-9a0b-1c2d3e4f5a6b",
        "URN:UUID:0B1E6F2A-8C3D-4E5F-9A0B-1C2D3E4F5A6B",
        "0b1e6f2a-8c3d-4e5f-9a0b-1c2d3e4f5a6b",
    ] {
        let (field, rule) = invalid(one(DocumentRequest::dmp(entry_uuid)));
        assert_eq!(field, "documents[0].document_unique_id");
        assert!(rule.contains("not its registry entryUUID"), "{rule}");
        assert!(rule.contains("XDSDocumentUniqueIdError"), "{rule}");
    }
    for bad in [
        "",
        "1.2.250.01.3",
        "abc",
        "1.2.3^",
        "1.2.3^12345678901234567",
        "1.2^a b",
    ] {
        let (field, _) = invalid(one(DocumentRequest::dmp(bad)));
        assert_eq!(field, "documents[0].document_unique_id", "{bad:?}");
    }
    let mut d = DocumentRequest::dmp(SAMPLE_UNIQUE_ID);
    d.repository_unique_id = "DMP".into();
    let (field, rule) = invalid(one(d));
    assert_eq!(field, "documents[0].repository_unique_id");
    assert!(rule.contains("digits and dots"), "{rule}");

    let mut d = DocumentRequest::dmp(SAMPLE_UNIQUE_ID);
    d.home_community_id = Some("2.16.840.1.113883.2.8.3.7".into());
    let (field, rule) = invalid(one(d));
    assert_eq!(field, "documents[0].home_community_id");
    assert!(rule.contains("urn:oid:"), "{rule}");

    let twice = RetrieveRequest::new(vec![
        DocumentRequest::dmp("1.2.3.4"),
        DocumentRequest::dmp("1.2.3.4"),
    ]);
    let (field, rule) = invalid(twice.to_xml());
    assert_eq!(field, "documents[1].document_unique_id");
    assert!(rule.contains("once"), "{rule}");
}

#[test]
fn request_validates_against_the_dmp_xsd() {
    let mut d = DocumentRequest::dmp("1.2.250.1.999.1.1.7898.1.7^v2");
    d.home_community_id = Some("urn:oid:2.16.840.1.113883.2.8.3.7".into());
    let r = RetrieveRequest::new(vec![DocumentRequest::dmp(SAMPLE_UNIQUE_ID), d]);
    let body = String::from_utf8(r.to_xml().unwrap()).unwrap();
    common::validate_xds(&[("retrieve", envelope(&body))]);
}

// ------------------------------------------------------------------------------------------
// The response.
// ------------------------------------------------------------------------------------------

fn check_cda_document(d: &RetrievedDocument<'_>, cda_bytes: &[u8], content: &Content) {
    assert_eq!(d.repository_unique_id, DMP_REPOSITORY_UNIQUE_ID);
    assert_eq!(d.document_unique_id, SAMPLE_UNIQUE_ID);
    assert_eq!(d.mime_type, "text/xml");
    assert_eq!(d.content_id.as_deref(), Some(SAMPLE_CID));
    assert_eq!(&d.bytes[..], cda_bytes);
    let body = d.n1_body().unwrap().unwrap();
    assert_eq!(body.media_type, content.media_type);
    assert_eq!(body.data, content.data);
    let cda = d.read_cda().unwrap();
    assert!(cda.header.title.is_some());
}

#[test]
fn official_response_with_a_cda_part() {
    let Some(official) = common::official_message(TD32_RESPONSE) else {
        return;
    };
    let (cda_bytes, content) = cda_document();
    // The sample file is the root part alone: wrap it, with our CDA as the part its
    // (percent-encoded) xop:Include names.
    let req = mtom::build_to(
        "/response",
        &official,
        &[Part::new(SAMPLE_CID, "text/xml", &cda_bytes[..])],
        BOUNDARY,
        "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
    )
    .unwrap();
    let m: Multipart<'_> = mtom::parse(req.header("Content-Type").unwrap(), &req.body).unwrap();
    let r = RetrieveResponse::from_multipart(&m).unwrap();
    assert_eq!(r.registry.status, ResponseStatus::Success);
    assert!(r.is_success() && r.registry.errors.is_empty());
    assert_eq!(r.documents.len(), 1);
    let d = &r.documents[0];
    assert_eq!(d.home_community_id, None);
    check_cda_document(d, &cda_bytes, &content);
    // Borrowed from the message, not copied.
    let range = req.body.as_ptr_range();
    assert!(range.contains(&d.bytes.as_ptr()));
    assert!(std::ptr::eq(r.document(SAMPLE_UNIQUE_ID).unwrap(), d));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["documents"][0]["size"], cda_bytes.len());
    assert_eq!(json["registry"]["status"], "success");
}

#[test]
fn inline_fixture_with_a_part_and_inline_base64() {
    let (cda_bytes, content) = cda_document();
    let inline = "  QUJD\n  REVG  ";
    let body = response_body(
        SUCCESS,
        &[
            (SAMPLE_UNIQUE_ID, &include(SAMPLE_CID)),
            ("1.2.3.4^x", inline),
        ],
    );
    let message = multipart(envelope(&body).as_bytes(), &[(SAMPLE_CID, &cda_bytes)]);
    let m = mtom::parse_message(&message).unwrap();
    let r = RetrieveResponse::from_multipart(&m).unwrap();
    assert_eq!(r.documents.len(), 2);
    check_cda_document(&r.documents[0], &cda_bytes, &content);
    assert_eq!(
        r.documents[0].home_community_id.as_deref(),
        Some("urn:oid:1.2.3")
    );
    assert!(message
        .as_ptr_range()
        .contains(&r.documents[0].bytes.as_ptr()));
    let second = &r.documents[1];
    assert_eq!(second.document_unique_id, "1.2.3.4^x");
    assert_eq!(second.content_id, None);
    assert_eq!(&second.bytes[..], b"ABCDEF");
    assert!(matches!(second.bytes, std::borrow::Cow::Owned(_)));
    // A plain (non-MTOM) envelope whose documents are inline.
    let plain = response_body(SUCCESS, &[("1.2.3.4", "SGVsbG8=")]);
    let r = RetrieveResponse::parse(envelope(&plain).as_bytes()).unwrap();
    assert_eq!(&r.documents[0].bytes[..], b"Hello");
    let r = RetrieveResponse::parse(plain.as_bytes()).unwrap();
    assert_eq!(r.documents[0].document_unique_id, "1.2.3.4");
    // A PDF in an N1 CDA has MediaType Pdf.
    assert_eq!(content.media_type, MediaType::Pdf);
}

#[test]
fn failure_keeps_every_registry_error() {
    let body = format!(
        "<x:RetrieveDocumentSetResponse xmlns:x=\"{NS_XDSB}\" xmlns:rs=\"{NS_RS}\">\
         <rs:RegistryResponse status=\"{FAILURE}\"><rs:RegistryErrorList>\
         <rs:RegistryError errorCode=\"XDSDocumentUniqueIdError\" codeContext=\"Document inconnu\" \
         location=\"DMP\"/><rs:RegistryError errorCode=\"DMP_CODE_NOUVEAU\" codeContext=\"Autre\" \
         severity=\"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning\">détail</rs:RegistryError>\
         </rs:RegistryErrorList></rs:RegistryResponse></x:RetrieveDocumentSetResponse>"
    );
    let message = multipart(envelope(&body).as_bytes(), &[]);
    let r = parse_multipart(&message).unwrap();
    assert_eq!(r.registry.status, ResponseStatus::Failure);
    assert!(r.documents.is_empty());
    let e = &r.registry.errors;
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].error_code, "XDSDocumentUniqueIdError");
    assert_eq!(e[0].code_context, "Document inconnu");
    assert_eq!(e[0].location.as_deref(), Some("DMP"));
    assert_eq!(e[1].error_code, "DMP_CODE_NOUVEAU");
    assert!(e[1].is_warning());
    assert_eq!(e[1].text.as_deref(), Some("détail"));
}

#[test]
fn binding_errors_are_data_errors() {
    let cda = b"<doc/>".as_slice();
    let two = |a: &str, b: &str| {
        response_body(
            SUCCESS,
            &[("1.2.3.1", &include(a)), ("1.2.3.2", &include(b))],
        )
    };
    // An href that names no part.
    let m = multipart(
        envelope(&two("a@x", "missing@x")).as_bytes(),
        &[("a@x", cda)],
    );
    let msg = data_err(parse_multipart(&m));
    assert!(
        msg.contains("DocumentResponse 1") && msg.contains("names no MIME part"),
        "{msg}"
    );
    // Two parts with the same Content-ID.
    let m = multipart(
        envelope(&response_body(SUCCESS, &[("1.2.3.1", &include("a@x"))])).as_bytes(),
        &[("a@x", cda), ("a@x", cda)],
    );
    // (refused by the MIME parser itself: RFC 2392, Content-IDs are unique)
    let msg = data_err(parse_multipart(&m));
    assert!(msg.contains("Content-ID <a@x> is already used"), "{msg}");
    // Two DocumentResponses bound to one part.
    let m = multipart(envelope(&two("a@x", "a@x")).as_bytes(), &[("a@x", cda)]);
    let msg = data_err(parse_multipart(&m));
    assert!(msg.contains("DocumentResponse 0 already took"), "{msg}");
    // The root part's Content-ID is not a document part.
    let m = multipart(
        envelope(&two("a@x", "root@dmp")).as_bytes(),
        &[("a@x", cda)],
    );
    assert!(data_err(parse_multipart(&m)).contains("names no MIME part"));
    // An include in a plain envelope.
    let plain = response_body(SUCCESS, &[("1.2.3.1", &include("a@x"))]);
    assert!(data_err(RetrieveResponse::parse(plain.as_bytes())).contains("multipart message"));
    // An include without href.
    let no_href = response_body(SUCCESS, &[("1.2.3.1", "<xop:Include/>")]);
    assert!(data_err(RetrieveResponse::parse(no_href.as_bytes())).contains("has no href"));
    // Inline content that is not base64.
    let bad = response_body(SUCCESS, &[("1.2.3.1", "QU!D")]);
    assert!(data_err(RetrieveResponse::parse(bad.as_bytes())).contains("not valid base64"));
    // Missing required elements.
    for local in [
        "RepositoryUniqueId",
        "DocumentUniqueId",
        "mimeType",
        "Document",
    ] {
        let xml = response_body(SUCCESS, &[("1.2.3.1", "QUJD")]);
        let open = xml.find(&format!("<x:{local}>")).unwrap();
        let close_tag = format!("</x:{local}>");
        let close = xml.find(&close_tag).unwrap() + close_tag.len();
        let cut = format!("{}{}", &xml[..open], &xml[close..]);
        let msg = data_err(RetrieveResponse::parse(cut.as_bytes()));
        assert!(
            msg.contains(&format!("DocumentResponse 0 has no {local}")),
            "{msg}"
        );
    }
    // No RegistryResponse; not a response at all (a SOAP fault: the caller checks first).
    let xml = response_body(SUCCESS, &[])
        .replace(&format!("<rs:RegistryResponse status=\"{SUCCESS}\"/>"), "");
    assert!(data_err(RetrieveResponse::parse(xml.as_bytes())).contains("no RegistryResponse"));
    let fault = envelope(
        "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code></soap:Fault>",
    );
    assert!(data_err(RetrieveResponse::parse(fault.as_bytes()))
        .contains("no RetrieveDocumentSetResponse"));
    // Unknown status: RegistryResponse's own rule.
    let xml = response_body("urn:x:Unknown", &[]);
    assert!(data_err(RetrieveResponse::parse(xml.as_bytes())).contains("unknown RegistryResponse"));
}

#[test]
fn a_20_mib_part_is_borrowed() {
    let size = 20 << 20;
    let mut document = Vec::with_capacity(size);
    let mut x: u32 = 7;
    while document.len() < size {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        document.push((x >> 24) as u8);
    }
    let body = response_body(SUCCESS, &[(SAMPLE_UNIQUE_ID, &include(SAMPLE_CID))]);
    let message = multipart(envelope(&body).as_bytes(), &[(SAMPLE_CID, &document)]);
    drop(document);
    let m = mtom::parse_message(&message).unwrap();
    let r = RetrieveResponse::from_multipart(&m).unwrap();
    let d = &r.documents[0];
    assert_eq!(d.bytes.len(), size);
    assert!(matches!(d.bytes, std::borrow::Cow::Borrowed(_)));
    let range = message.as_ptr_range();
    assert!(range.contains(&d.bytes.as_ptr()));
    assert!(d.bytes.as_ptr_range().end <= range.end);
}

// ------------------------------------------------------------------------------------------
// Mutations: a typed error or Ok, never a panic.
// ------------------------------------------------------------------------------------------

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_responses_never_panic(kind in 0u8..8, at in 0usize..4096, len in 0usize..64) {
        let body = response_body(
            SUCCESS,
            &[("1.2.3.1", &include("a@x")), ("1.2.3.2", "SGVsbG8="), ("1.2.3.3", &include("b@x"))],
        );
        let message = multipart(
            envelope(&body).as_bytes(),
            &[("a@x", b"<doc/>".as_slice()), ("b@x", b"%PDF".as_slice())],
        );
        let mutated = common::mutate(&message, kind, at, len);
        match parse_multipart(&mutated) {
            Ok(r) => proptest::prop_assert!(r.documents.len() <= 4),
            Err(Error::Data { .. }) => {}
            Err(other) => proptest::prop_assert!(false, "untyped error {other:?}"),
        }
        let plain = common::mutate(envelope(&body).as_bytes(), kind, at, len);
        match RetrieveResponse::parse(&plain) {
            Ok(_) | Err(Error::Data { .. }) => {}
            Err(other) => proptest::prop_assert!(false, "untyped error {other:?}"),
        }
    }
}
