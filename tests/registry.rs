//! TD3.1 document search (`dmp_core::xds`): the ITI-18 stored-query bodies
//! ([`StoredQuery::to_xml`]) against the official request, every parameter and refusal, JSON
//! input, XSD validation (when `../shared` and xmllint are there); and the reading of the
//! `AdhocQueryResponse` ([`QueryResponse::parse`]) on the official 21-entry response and on
//! fixtures written here (Failure, ObjectRef, submission sets and associations, unknown
//! codes), with mutation tests. The official samples are read from
//! `../shared/reference/dmp-messages` (never copied here).

mod common;
#[path = "common/xds_fixtures.rs"]
mod xds_fixtures;

use chrono::{DateTime, Utc};
use dmp_core::ids::Ins;
use dmp_core::xds::vocabulary::*;
use dmp_core::xds::{
    parse_xds_time, CodeFilter, DocumentRef, DocumentStatus, FindDocuments, FindSubmissionSets,
    QueryResponse, ResponseStatus, ReturnType, StoredQuery, SubmissionSetRef,
};
use dmp_core::xml::reader::{self, Element, Limits};
use dmp_core::Error;
use proptest::prelude::*;
use xds_fixtures::{entry, envelope, response, validate_xds, INS_CX, N, SOAP12};

const ENTRY: &str = "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e";

fn ins() -> Ins {
    Ins::from_cx(INS_CX).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn xml(q: &StoredQuery) -> String {
    String::from_utf8(q.to_xml(ReturnType::LeafClass).unwrap()).unwrap()
}

/// The first child of the SOAP Body, or the root when it is not an envelope.
fn body<'d>(doc: &'d reader::Document) -> Element<'d> {
    let root = doc.root();
    if root.is(SOAP12, "Envelope") {
        root.child(SOAP12, "Body")
            .and_then(|b| b.children().next())
            .expect("a body element")
    } else {
        root
    }
}

/// Element structure, in document order: namespace, local name, sorted attribute names
/// (namespace declarations left out), and the `name` of slots.
fn structure(e: Element<'_>, out: &mut Vec<String>) {
    let mut attrs: Vec<&str> = e
        .attributes()
        .map(|(n, _)| n)
        .filter(|n| *n != "xmlns" && !n.starts_with("xmlns:"))
        .collect();
    attrs.sort_unstable();
    let slot = if e.local_name() == "Slot" {
        e.attr("name").unwrap_or_default()
    } else {
        ""
    };
    out.push(format!(
        "{{{}}}{} [{}] {slot}",
        e.namespace().unwrap_or_default(),
        e.local_name(),
        attrs.join(",")
    ));
    for c in e.children() {
        structure(c, out);
    }
}

fn structure_of(bytes: &[u8]) -> Vec<String> {
    let doc = reader::parse(bytes, &Limits::default()).unwrap();
    let mut out = Vec::new();
    structure(body(&doc), &mut out);
    out
}

/// (slot name, values) of the AdhocQuery of a request body.
fn slots_of(bytes: &[u8]) -> Vec<(String, Vec<String>)> {
    let doc = reader::parse(bytes, &Limits::default()).unwrap();
    let q = body(&doc).child(NS_RIM, "AdhocQuery").unwrap();
    q.children_named(NS_RIM, "Slot")
        .map(|s| {
            let values = s
                .child(NS_RIM, "ValueList")
                .unwrap()
                .children_named(NS_RIM, "Value")
                .map(|v| v.text().to_owned())
                .collect();
            (s.attr("name").unwrap().to_owned(), values)
        })
        .collect()
}

fn invalid(e: Error) -> (String, String, String) {
    let inv = e.as_invalid().unwrap_or_else(|| panic!("not Invalid: {e}"));
    (inv.field.clone(), inv.rule.clone(), inv.value.clone())
}

// ------------------------------------------------------------------------------------------
// Stored queries.
// ------------------------------------------------------------------------------------------

/// Our FindDocuments body, as its structure: what the official request holds too.
const OFFICIAL_FIND_DOCUMENTS: &[&str] = &[
    "{urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0}AdhocQueryRequest [] ",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0}ResponseOption [returnComposedObjects,returnType] ",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}AdhocQuery [id] ",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Slot [name] $XDSDocumentEntryPatientId",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}ValueList [] ",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Value [] ",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Slot [name] $XDSDocumentEntryStatus",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}ValueList [] ",
    "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Value [] ",
];

#[test]
fn find_documents_has_the_structure_and_values_of_the_official_request() {
    let ours = StoredQuery::FindDocuments(FindDocuments::new(ins()))
        .to_xml(ReturnType::LeafClass)
        .unwrap();
    assert_eq!(structure_of(&ours), OFFICIAL_FIND_DOCUMENTS);
    let expected_slots = vec![
        (
            "$XDSDocumentEntryPatientId".to_owned(),
            vec![format!("'{INS_CX}'")],
        ),
        (
            "$XDSDocumentEntryStatus".to_owned(),
            vec!["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')".to_owned()],
        ),
    ];
    assert_eq!(slots_of(&ours), expected_slots);
    let doc = reader::parse(&ours, &Limits::default()).unwrap();
    let root = doc.root();
    let option = root.child(NS_QUERY, "ResponseOption").unwrap();
    assert_eq!(option.attr("returnComposedObjects"), Some("true"));
    assert_eq!(option.attr("returnType"), Some("LeafClass"));
    assert_eq!(
        root.child(NS_RIM, "AdhocQuery").unwrap().attr("id"),
        Some(stored_query::FIND_DOCUMENTS)
    );

    let Some(official) = common::official_message("TD3.1-Recherche_de_document.request.xml") else {
        return;
    };
    assert_eq!(structure_of(&official), OFFICIAL_FIND_DOCUMENTS);
    assert_eq!(slots_of(&official), expected_slots);
    let doc = reader::parse(&official, &Limits::default()).unwrap();
    let b = body(&doc);
    assert_eq!(
        b.child(NS_RIM, "AdhocQuery").unwrap().attr("id"),
        Some(stored_query::FIND_DOCUMENTS)
    );
    assert_eq!(
        b.child(NS_QUERY, "ResponseOption")
            .unwrap()
            .attr("returnType"),
        Some("LeafClass")
    );
}

#[test]
fn find_documents_with_every_filter() {
    let mut f = FindDocuments::new(ins());
    f.statuses = vec![DocumentStatus::Approved, DocumentStatus::Archived];
    f.class_codes = vec![CodeFilter::new("10", "1.2.250.1.213.1.1.4.1")];
    f.type_codes = vec![
        CodeFilter::new("74207-2", "2.16.840.1.113883.6.1"),
        CodeFilter::new("SYNTH", "1.2.250.1.213.1.1.4.12"),
    ];
    f.format_codes = vec![CodeFilter::new(
        "urn:ihe:iti:xds-sd:pdf:2008",
        "1.3.6.1.4.1.19376.1.2.3",
    )];
    f.practice_setting_codes = vec![CodeFilter::new("ESSMS", "1.2.250.1.213.1.1.4.9")];
    f.healthcare_facility_type_codes = vec![CodeFilter::new("SA41", "1.2.250.1.71.4.2.4")];
    f.event_codes = vec![CodeFilter::new("H33", "2.16.840.1.113883.6.3")];
    f.confidentiality_codes = vec![CodeFilter::new("MASQUE_PS", "1.2.250.1.213.1.1.4.13")];
    f.creation_time_from = Some(at("2024-01-01T00:00:00+01:00"));
    f.creation_time_to = Some(at("2024-12-31T23:59:59+01:00"));
    f.service_start_time_from = Some(at("2023-06-01T12:00:00Z"));
    f.service_start_time_to = Some(at("2023-06-01T12:00:00Z"));
    f.service_stop_time_from = Some(at("2023-07-01T00:00:00Z"));
    f.service_stop_time_to = Some(at("2023-08-01T00:00:00Z"));
    f.author_persons = vec!["899900063480%".into(), "%^MAX^%".into()];
    let q = StoredQuery::FindDocuments(f);
    let bytes = q.to_xml(ReturnType::ObjectRef).unwrap();
    let slots = slots_of(&bytes);
    let s = |n: &str, v: &[&str]| (n.to_owned(), v.iter().map(|v| v.to_string()).collect());
    assert_eq!(
        slots,
        vec![
            s("$XDSDocumentEntryPatientId", &[&format!("'{INS_CX}'")]),
            s(
                "$XDSDocumentEntryStatus",
                &["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved','urn:asip:ci-sis:2010:StatusType:Archived')"]
            ),
            s("$XDSDocumentEntryClassCode", &["('10^^1.2.250.1.213.1.1.4.1')"]),
            s(
                "$XDSDocumentEntryTypeCode",
                &["('74207-2^^2.16.840.1.113883.6.1','SYNTH^^1.2.250.1.213.1.1.4.12')"]
            ),
            s(
                "$XDSDocumentEntryPracticeSettingCode",
                &["('ESSMS^^1.2.250.1.213.1.1.4.9')"]
            ),
            // Local times are converted to UTC.
            s("$XDSDocumentEntryCreationTimeFrom", &["20231231230000"]),
            s("$XDSDocumentEntryCreationTimeTo", &["20241231225959"]),
            s("$XDSDocumentEntryServiceStartTimeFrom", &["20230601120000"]),
            s("$XDSDocumentEntryServiceStartTimeTo", &["20230601120000"]),
            s("$XDSDocumentEntryServiceStopTimeFrom", &["20230701000000"]),
            s("$XDSDocumentEntryServiceStopTimeTo", &["20230801000000"]),
            s(
                "$XDSDocumentEntryHealthcareFacilityTypeCode",
                &["('SA41^^1.2.250.1.71.4.2.4')"]
            ),
            s(
                "$XDSDocumentEntryEventCodeList",
                &["('H33^^2.16.840.1.113883.6.3')"]
            ),
            s(
                "$XDSDocumentEntryConfidentialityCode",
                &["('MASQUE_PS^^1.2.250.1.213.1.1.4.13')"]
            ),
            s(
                "$XDSDocumentEntryAuthorPerson",
                &["('899900063480%','%^MAX^%')"]
            ),
            s(
                "$XDSDocumentEntryFormatCode",
                &["('urn:ihe:iti:xds-sd:pdf:2008^^1.3.6.1.4.1.19376.1.2.3')"]
            ),
        ]
    );
    assert!(String::from_utf8(bytes.clone())
        .unwrap()
        .contains("returnType=\"ObjectRef\""));
    // Same query, same bytes.
    assert_eq!(q.to_xml(ReturnType::ObjectRef).unwrap(), bytes);
}

#[test]
fn get_and_find_queries() {
    let q = StoredQuery::GetDocuments {
        by: DocumentRef::UniqueIds(vec![
            "1.2.250.1.999.1.1.7898.1.995657292".into(),
            "1.2.3^ext-1".into(),
        ]),
        home_community_id: Some("urn:oid:2.16.840.1.113883.2.8.3.7".into()),
    };
    let b = q.to_xml(ReturnType::LeafClass).unwrap();
    assert!(xml(&q).contains(stored_query::GET_DOCUMENTS));
    assert_eq!(
        slots_of(&b),
        vec![
            (
                "$XDSDocumentEntryUniqueId".to_owned(),
                vec!["('1.2.250.1.999.1.1.7898.1.995657292','1.2.3^ext-1')".to_owned()]
            ),
            (
                "$homeCommunityId".to_owned(),
                vec!["'urn:oid:2.16.840.1.113883.2.8.3.7'".to_owned()]
            ),
        ]
    );

    let q = StoredQuery::GetDocuments {
        by: DocumentRef::EntryUuids(vec![ENTRY.into()]),
        home_community_id: None,
    };
    assert_eq!(
        slots_of(&q.to_xml(ReturnType::LeafClass).unwrap()),
        vec![(
            "$XDSDocumentEntryEntryUUID".to_owned(),
            vec![format!("('{ENTRY}')")]
        )]
    );

    let q = StoredQuery::FindSubmissionSets(FindSubmissionSets {
        patient: ins(),
        submission_time_from: Some(at("2021-06-04T00:00:00Z")),
        submission_time_to: None,
        statuses: vec![DocumentStatus::Approved],
    });
    assert!(xml(&q).contains(stored_query::FIND_SUBMISSION_SETS));
    assert_eq!(
        slots_of(&q.to_xml(ReturnType::LeafClass).unwrap()),
        vec![
            (
                "$XDSSubmissionSetPatientId".to_owned(),
                vec![format!("'{INS_CX}'")]
            ),
            (
                "$XDSSubmissionSetSubmissionTimeFrom".to_owned(),
                vec!["20210604000000".to_owned()]
            ),
            (
                "$XDSSubmissionSetStatus".to_owned(),
                vec!["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')".to_owned()]
            ),
        ]
    );

    for (by, name, value) in [
        (
            SubmissionSetRef::UniqueId("1.2.250.1.999.1.1.7898.3.1".into()),
            "$XDSSubmissionSetUniqueId",
            "'1.2.250.1.999.1.1.7898.3.1'",
        ),
        (
            SubmissionSetRef::EntryUuid(ENTRY.into()),
            "$XDSSubmissionSetEntryUUID",
            "'urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e'",
        ),
    ] {
        let q = StoredQuery::GetSubmissionSetAndContents {
            by,
            home_community_id: None,
        };
        assert!(xml(&q).contains(stored_query::GET_SUBMISSION_SET_AND_CONTENTS));
        assert_eq!(
            slots_of(&q.to_xml(ReturnType::LeafClass).unwrap()),
            vec![(name.to_owned(), vec![value.to_owned()])]
        );
    }
}

#[test]
fn long_lists_are_split_over_several_values() {
    let ids: Vec<String> = (0..40)
        .map(|i| format!("1.2.250.1.999.1.1.7898.1.{i:012}"))
        .collect();
    let q = StoredQuery::GetDocuments {
        by: DocumentRef::UniqueIds(ids.clone()),
        home_community_id: None,
    };
    let slots = slots_of(&q.to_xml(ReturnType::LeafClass).unwrap());
    let values = &slots[0].1;
    assert!(values.len() > 1, "{values:?}");
    assert!(values.iter().all(|v| v.chars().count() <= 256));
    // Read back, the values hold every id once, in order.
    let back: Vec<String> = values
        .iter()
        .flat_map(|v| {
            v.trim_start_matches('(')
                .trim_end_matches(')')
                .split(',')
                .map(|s| s.trim_matches('\'').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(back, ids);
}

#[test]
fn query_input_errors_name_the_field() {
    let get = |by| StoredQuery::GetDocuments {
        by,
        home_community_id: None,
    };
    let cases: Vec<(StoredQuery, &str, &str)> = vec![
        (
            get(DocumentRef::UniqueIds(vec![])),
            "by.unique_ids",
            "at least one",
        ),
        (
            get(DocumentRef::EntryUuids(vec![])),
            "by.entry_uuids",
            "at least one",
        ),
        (
            get(DocumentRef::UniqueIds(vec!["1.2.3".into(), "1.2'3".into()])),
            "by.unique_ids[1]",
            "quote",
        ),
        (
            get(DocumentRef::UniqueIds(vec!["  ".into()])),
            "by.unique_ids[0]",
            "empty",
        ),
        (
            get(DocumentRef::UniqueIds(vec!["x".repeat(300)])),
            "by.unique_ids",
            "at most 252",
        ),
        (
            get(DocumentRef::EntryUuids(vec![
                "7953af1a-ba1c-11eb-816f-0050569e422e".into(),
            ])),
            "by.entry_uuids[0]",
            "entryUUID",
        ),
        (
            get(DocumentRef::EntryUuids(vec![
                "urn:uuid:7953AF1A-BA1C-11EB-816F-0050569E422E".into(),
            ])),
            "by.entry_uuids[0]",
            "lower-case",
        ),
        (
            StoredQuery::GetDocuments {
                by: DocumentRef::UniqueIds(vec!["1.2.3".into()]),
                home_community_id: Some("2.16.840.1".into()),
            },
            "home_community_id",
            "urn:oid:",
        ),
        (
            StoredQuery::GetSubmissionSetAndContents {
                by: SubmissionSetRef::EntryUuid("SubmissionSet01".into()),
                home_community_id: None,
            },
            "by.entry_uuid",
            "entryUUID",
        ),
        (
            StoredQuery::GetSubmissionSetAndContents {
                by: SubmissionSetRef::UniqueId("it's".into()),
                home_community_id: None,
            },
            "by.unique_id",
            "quote",
        ),
    ];
    let mut f = FindDocuments::new(ins());
    f.statuses.clear();
    let mut all = cases;
    all.push((StoredQuery::FindDocuments(f), "statuses", "at least one"));
    let mut f = FindDocuments::new(ins());
    f.creation_time_from = Some(at("2024-02-01T00:00:00Z"));
    f.creation_time_to = Some(at("2024-01-01T00:00:00Z"));
    all.push((
        StoredQuery::FindDocuments(f),
        "creation_time_to",
        "must not be before creation_time_from",
    ));
    let mut f = FindDocuments::new(ins());
    f.type_codes = vec![
        CodeFilter::new("74207-2", "2.16.840.1.113883.6.1"),
        CodeFilter::new("a^b", "1.2"),
    ];
    all.push((StoredQuery::FindDocuments(f), "type_codes[1].code", "'^'"));
    let mut f = FindDocuments::new(ins());
    f.event_codes = vec![CodeFilter::new("H33", "")];
    all.push((
        StoredQuery::FindDocuments(f),
        "event_codes[0].scheme",
        "empty",
    ));
    let mut f = FindDocuments::new(ins());
    f.author_persons = vec!["O'Neil%".into()];
    all.push((StoredQuery::FindDocuments(f), "author_persons[0]", "quote"));
    let mut f = FindDocuments::new(ins());
    f.statuses = vec![DocumentStatus::Other("urn:x:'".into())];
    all.push((StoredQuery::FindDocuments(f), "statuses[0]", "quote"));
    let mut f = FindDocuments::new(ins());
    f.service_stop_time_from = Some(at("2024-02-01T00:00:00Z"));
    f.service_stop_time_to = Some(at("2024-01-31T23:59:59Z"));
    all.push((
        StoredQuery::FindDocuments(f),
        "service_stop_time_to",
        "service_stop_time_from",
    ));
    all.push((
        StoredQuery::FindSubmissionSets(FindSubmissionSets {
            patient: ins(),
            submission_time_from: Some(at("2024-02-01T00:00:00Z")),
            submission_time_to: Some(at("2024-01-01T00:00:00Z")),
            statuses: vec![DocumentStatus::Approved],
        }),
        "submission_time_to",
        "submission_time_from",
    ));
    for (q, field, rule) in all {
        let (f, r, _) = invalid(q.to_xml(ReturnType::LeafClass).unwrap_err());
        assert_eq!(f, field, "{q:?}");
        assert!(r.contains(rule), "{field}: {r}");
    }
}

#[test]
fn queries_from_json() {
    let q: StoredQuery = serde_json::from_str(
        r#"{"query": "find_documents",
            "patient": {"matricule": "207058575627097", "oid": "1.2.250.1.213.1.4.10"},
            "type_codes": [{"code": "74207-2", "scheme": "2.16.840.1.113883.6.1"}],
            "creation_time_from": "2024-01-01T00:00:00+01:00"}"#,
    )
    .unwrap();
    let StoredQuery::FindDocuments(f) = &q else {
        panic!("{q:?}")
    };
    assert_eq!(f.patient, ins());
    assert_eq!(f.statuses, [DocumentStatus::Approved]);
    assert_eq!(f.creation_time_from, Some(at("2023-12-31T23:00:00Z")));
    assert_eq!(f.type_codes[0].code, "74207-2");
    assert!(f.class_codes.is_empty() && f.creation_time_to.is_none());

    let q: StoredQuery = serde_json::from_str(
        r#"{"query": "get_documents", "by": {"entry_uuids": ["urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"]}}"#,
    )
    .unwrap();
    assert_eq!(
        q,
        StoredQuery::GetDocuments {
            by: DocumentRef::EntryUuids(vec![ENTRY.into()]),
            home_community_id: None
        }
    );
    let q: StoredQuery = serde_json::from_str(
        r#"{"query": "get_submission_set_and_contents", "by": {"unique_id": "1.2.3"}, "home_community_id": "urn:oid:1.2"}"#,
    )
    .unwrap();
    assert!(matches!(
        q,
        StoredQuery::GetSubmissionSetAndContents {
            by: SubmissionSetRef::UniqueId(_),
            ..
        }
    ));
    let f: FindDocuments = serde_json::from_str(
        r#"{"patient": {"matricule": "207058575627097", "oid": "1.2.250.1.213.1.4.10"},
            "statuses": ["approved", "archived", "deleted", "deprecated", "urn:x:y"]}"#,
    )
    .unwrap();
    assert_eq!(
        f.statuses,
        [
            DocumentStatus::Approved,
            DocumentStatus::Archived,
            DocumentStatus::Deleted,
            DocumentStatus::Deprecated,
            DocumentStatus::Other("urn:x:y".into())
        ]
    );
    assert_eq!(
        serde_json::to_string(&f.statuses).unwrap(),
        r#"["approved","archived","deleted","deprecated","urn:x:y"]"#
    );
    // Unknown fields are refused, at every level.
    for bad in [
        r#"{"query": "find_documents", "patient": {"matricule": "207058575627097", "oid": "1.2.250.1.213.1.4.10"}, "typecodes": []}"#,
        r#"{"query": "get_documents", "by": {"unique_ids": ["1.2"]}, "patient": null}"#,
        r#"{"query": "find_documents", "patient": {"matricule": "207058575627097", "oid": "1.2.250.1.213.1.4.10"}, "type_codes": [{"code": "1", "scheme": "2", "display": "x"}]}"#,
        r#"{"query": "search_everything"}"#,
    ] {
        assert!(serde_json::from_str::<StoredQuery>(bad).is_err(), "{bad}");
    }
}

#[test]
fn status_urns() {
    for (s, urn, name) in [
        (DocumentStatus::Approved, STATUS_APPROVED, "approved"),
        (DocumentStatus::Deprecated, STATUS_DEPRECATED, "deprecated"),
        (DocumentStatus::Archived, STATUS_ARCHIVED, "archived"),
        (DocumentStatus::Deleted, STATUS_DELETED, "deleted"),
    ] {
        assert_eq!(s.urn(), urn);
        assert_eq!(DocumentStatus::from_urn(urn), s);
        assert_eq!(DocumentStatus::from_name(name), s);
        assert_eq!(s.name(), name);
    }
    assert_eq!(
        DocumentStatus::from_urn("urn:x:Hidden"),
        DocumentStatus::Other("urn:x:Hidden".into())
    );
    assert_eq!(DocumentStatus::Other("urn:x".into()).urn(), "urn:x");
}

#[test]
fn queries_validate_against_the_dmp_xsd() {
    let mut full = FindDocuments::new(ins());
    full.class_codes = vec![CodeFilter::new("10", "1.2.250.1.213.1.1.4.1")];
    full.confidentiality_codes = vec![CodeFilter::new("N", "2.16.840.1.113883.5.25")];
    full.creation_time_from = Some(at("2024-01-01T00:00:00Z"));
    full.author_persons = vec!["8999%".into()];
    let queries = [
        StoredQuery::FindDocuments(FindDocuments::new(ins())),
        StoredQuery::FindDocuments(full),
        StoredQuery::GetDocuments {
            by: DocumentRef::UniqueIds((0..40).map(|i| format!("1.2.3.{i}")).collect()),
            home_community_id: Some("urn:oid:1.2.3".into()),
        },
        StoredQuery::FindSubmissionSets(FindSubmissionSets {
            patient: ins(),
            submission_time_from: Some(at("2024-01-01T00:00:00Z")),
            submission_time_to: Some(at("2024-02-01T00:00:00Z")),
            statuses: vec![DocumentStatus::Approved],
        }),
        StoredQuery::GetSubmissionSetAndContents {
            by: SubmissionSetRef::EntryUuid(ENTRY.into()),
            home_community_id: None,
        },
    ];
    let mut bodies: Vec<Vec<u8>> = queries
        .iter()
        .map(|q| q.to_xml(ReturnType::LeafClass).unwrap())
        .collect();
    bodies.push(queries[0].to_xml(ReturnType::ObjectRef).unwrap());
    validate_xds("query", &bodies);
}

// ------------------------------------------------------------------------------------------
// AdhocQueryResponse: the official response.
// ------------------------------------------------------------------------------------------

#[test]
fn official_response_all_21_entries() {
    let Some(xml) = common::official_message("TD3.1-Recherche_de_document.response.xml") else {
        return;
    };
    let r = QueryResponse::parse(&xml).unwrap();
    assert_eq!(r.status, ResponseStatus::Success);
    assert_eq!(r.status_urn, STATUS_SUCCESS);
    assert_eq!(r.total_result_count, Some(21));
    assert_eq!(r.start_index, Some(0));
    assert_eq!(r.documents.len(), 21);
    assert!(r.submission_sets.is_empty() && r.associations.is_empty());
    assert!(r.object_refs.is_empty() && r.errors.is_empty());

    // The first entry, field by field.
    let d = &r.documents[0];
    assert_eq!(d.entry_uuid, ENTRY);
    assert_eq!(d.logical_id.as_deref(), Some(ENTRY));
    assert_eq!(d.version.as_deref(), Some("1"));
    assert_eq!(d.status, DocumentStatus::Approved);
    assert_eq!(d.unique_id, "1.2.250.1.999.1.1.7898.1.995657292");
    assert_eq!(d.patient_id, format!("{INS_CX}^^20100907"));
    assert_eq!(d.patient_ins().unwrap(), ins());
    assert_eq!(
        d.repository_unique_id.as_deref(),
        Some("1.2.250.1.213.4.1.1.1.2")
    );
    assert_eq!(
        d.hash.as_deref(),
        Some("af326fb44feb720121d2c277ce10f87407818089")
    );
    assert_eq!(d.size, Some(2768));
    assert_eq!(d.mime_type.as_deref(), Some("text/xml"));
    assert_eq!(
        d.title.as_deref(),
        Some("Titre du document de TEST KIT EDITEUR CSharp")
    );
    assert_eq!(
        d.comments.as_deref(),
        Some("commentaire du document de TEST KIT EDITEUR CSharp")
    );
    let tc = d.type_code.as_ref().unwrap();
    assert_eq!(
        (tc.code.as_str(), tc.scheme.as_str(), tc.display.as_str()),
        (
            "27899-4",
            "2.16.840.1.113883.6.1",
            "CR d'acte diagnostique (autre)"
        )
    );
    assert_eq!(d.class_code.as_ref().unwrap().code, "10");
    assert_eq!(
        d.format_code.as_ref().unwrap().code,
        "urn:ihe:iti:xds-sd:text:2008"
    );
    assert_eq!(
        d.practice_setting_code.as_ref().unwrap().code,
        "ETABLISSEMENT"
    );
    assert_eq!(
        d.healthcare_facility_type_code.as_ref().unwrap().code,
        "SA01"
    );
    assert_eq!(d.event_codes.len(), 1);
    assert_eq!(d.event_codes[0].code, "H33");
    assert_eq!(d.event_codes[0].scheme, "2.16.840.1.113883.6.3");
    let conf: Vec<(&str, &str)> = d
        .confidentiality
        .iter()
        .map(|c| (c.code.as_str(), c.scheme.as_str()))
        .collect();
    assert_eq!(
        conf,
        [
            ("N", "2.16.840.1.113883.5.25"),
            ("INVISIBLE_PATIENT", "1.2.250.1.213.1.1.4.13")
        ]
    );
    assert!(d.invisible_to_patient());
    assert!(!d.masked_to_professionals());
    assert!(!d.invisible_to_legal_representatives());
    assert_eq!(d.creation_time.as_deref(), Some("20100319183244"));
    assert_eq!(
        d.creation_time_utc().unwrap(),
        Some(at("2010-03-19T18:32:44Z"))
    );
    assert_eq!(
        d.service_stop_time_utc().unwrap(),
        Some(at("2010-03-19T18:32:44Z"))
    );
    assert_eq!(d.language_code.as_deref(), Some("fr-FR"));
    assert_eq!(
        d.legal_authenticator.as_deref(),
        Some("00B2800585^OPTOLUNE0058^SEBASTIEN^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS")
    );
    assert_eq!(
        d.source_patient_id.as_deref(),
        Some("0456789999^^^&1.2.250.1.999.1.1.7898.2&ISO^PI")
    );
    assert_eq!(
        d.source_patient_info,
        [
            "PID-5|MARTINQUARANTESIX^Simonquasix^^^^^L",
            "PID-7|19760717",
            "PID-8|F"
        ]
    );
    assert_eq!(d.authors.len(), 1);
    let a = &d.authors[0];
    assert_eq!(
        a.person.as_deref(),
        Some("899900063480^Kit^Editeur^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS")
    );
    assert_eq!(
        a.institutions,
        ["HOPITAL DES 3 VALLEES00771^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^10B0127189"]
    );
    assert_eq!(
        a.specialties,
        ["G15_10/SM04^Médecin - Cardiologie et maladies vasculaires (SM)^1.2.250.1.213.1.1.4.5"]
    );
    assert!(a.roles.is_empty() && a.telecom.is_empty());
    assert_eq!(d.home_community_id, None);
    // The raw object: every slot in order, 9 classifications, 2 external identifiers.
    let slot_names: Vec<&str> = d.rim.slots.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(
        slot_names,
        [
            "creationTime",
            "hash",
            "languageCode",
            "legalAuthenticator",
            "repositoryUniqueId",
            "serviceStartTime",
            "serviceStopTime",
            "size",
            "sourcePatientId",
            "sourcePatientInfo"
        ]
    );
    assert_eq!(d.rim.classifications.len(), 9);
    assert_eq!(d.rim.external_identifiers.len(), 2);
    assert_eq!(d.rim.version_name(), Some("1"));

    // Several others: (index, entryUUID, uniqueId, size, hash, typeCode, confidentiality).
    let expected = [
        (
            2,
            "urn:uuid:c7400505-ae6a-11eb-8f5d-0050569e422e",
            "1.999888777.1.24",
            12589,
            "eb0979ba64e3dec6ec1d772083d6caf1e8e9ab03",
            "52040-3",
            &["N"][..],
        ),
        (
            5,
            "urn:uuid:e2325e04-ae6a-11eb-8f5d-0050569e422e",
            "1.999888777.1.28",
            10772,
            "0ebb74f383d6b9e188b692b5e7fe1f615cf855b2",
            "29550-1",
            &["N", "INVISIBLE_PATIENT"][..],
        ),
        (
            9,
            "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e",
            "1.999888777.1.33",
            10819,
            "7f39990ccbd4d6878049089616ff764da79fd3fd",
            "11488-4",
            &["N"][..],
        ),
        (
            14,
            "urn:uuid:bc756a49-ae6a-11eb-8f5d-0050569e422e",
            "1.999888777.1.22",
            169544,
            "41d96ae4c500540c34b5169c9c68e6405fd99270",
            "SYNTH",
            &["N"][..],
        ),
        (
            20,
            "urn:uuid:80066bc2-ae6b-11eb-8f5d-0050569e422e",
            "1.999888777.1.40",
            511308,
            "6c47aa2e5041923077a5450a372ed114c342302c",
            "11526-1",
            &["N"][..],
        ),
    ];
    for (i, id, uid, size, hash, ty, conf) in expected {
        let d = &r.documents[i];
        assert_eq!(d.entry_uuid, id);
        assert_eq!(d.logical_id.as_deref(), Some(id));
        assert_eq!(d.unique_id, uid);
        assert_eq!(d.size, Some(size));
        assert_eq!(d.hash.as_deref(), Some(hash));
        assert_eq!(d.type_code.as_ref().unwrap().code, ty);
        assert_eq!(
            d.confidentiality
                .iter()
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>(),
            conf
        );
        assert_eq!(
            d.repository_unique_id.as_deref(),
            Some("1.2.250.1.213.4.1.1.1.2")
        );
        assert_eq!(d.status, DocumentStatus::Approved);
        assert_eq!(r.document(id).unwrap().unique_id, uid);
    }
    assert_eq!(
        r.documents
            .iter()
            .filter(|d| d.invisible_to_patient())
            .count(),
        3
    );
    assert!(r
        .documents
        .iter()
        .all(|d| d.status == DocumentStatus::Approved));
    // Entry 11 has no eventCode.
    assert!(r.documents[11].event_codes.is_empty());
    assert_eq!(
        r.documents[11].type_code.as_ref().unwrap().code,
        "CERT_DECL"
    );

    // JSON: snake_case names, statuses by name, the meaning of each confidentiality code,
    // no raw object.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["status"], "success");
    assert_eq!(json["total_result_count"], 21);
    let d0 = &json["documents"][0];
    assert_eq!(d0["status"], "approved");
    assert_eq!(d0["entry_uuid"], ENTRY);
    assert!(d0.get("rim").is_none());
    assert_eq!(d0["confidentiality"][1]["code"], "INVISIBLE_PATIENT");
    assert!(d0["confidentiality"][1]["meaning"]
        .as_str()
        .unwrap()
        .contains("not visible to the patient"));
    assert!(d0["confidentiality"][0]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("normal"));
}

// ------------------------------------------------------------------------------------------
// AdhocQueryResponse: fixtures written here.
// ------------------------------------------------------------------------------------------

#[test]
fn fixture_entry_unknown_status_and_codes_are_kept() {
    let id = "urn:uuid:11111111-2222-4333-8444-555555555555";
    let xml = envelope(&response(
        STATUS_SUCCESS,
        r#"totalResultCount="1""#,
        &format!(
            "<rim:RegistryObjectList>{}</rim:RegistryObjectList>",
            entry(
                id,
                "urn:x-dmp:StatusType:Frozen",
                &[
                    ("V", "2.16.840.1.113883.5.25", "Très restreint"),
                    ("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Masqué"),
                    (
                        "INVISIBLE_REPRESENTANTS_LEGAUX",
                        "1.2.250.1.213.1.1.4.13",
                        "x"
                    ),
                    ("SECRET_NEW", "1.2.250.1.213.1.1.4.13", "Nouveau code"),
                    // The right code in another system is not the flag.
                    ("INVISIBLE_PATIENT", "9.9.9", "Autre"),
                ]
            )
        ),
    ));
    let r = QueryResponse::parse(xml.as_bytes()).unwrap();
    assert_eq!(r.total_result_count, Some(1));
    assert_eq!(r.start_index, None);
    let d = &r.documents[0];
    assert_eq!(
        d.status,
        DocumentStatus::Other("urn:x-dmp:StatusType:Frozen".into())
    );
    assert_eq!(d.version.as_deref(), Some("3"));
    assert_eq!(d.unique_id, "1.2.250.1.999.1.1.7898.1.42");
    assert_eq!(d.size, Some(4242));
    assert_eq!(d.service_start_time.as_deref(), Some("20240104"));
    assert_eq!(
        d.service_start_time_utc().unwrap(),
        Some(at("2024-01-04T00:00:00Z"))
    );
    assert_eq!(d.service_stop_time_utc().unwrap(), None);
    assert!(d.masked_to_professionals());
    assert!(d.invisible_to_legal_representatives());
    assert!(!d.invisible_to_patient());
    let codes: Vec<&str> = d.confidentiality.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "V",
            "MASQUE_PS",
            "INVISIBLE_REPRESENTANTS_LEGAUX",
            "SECRET_NEW",
            "INVISIBLE_PATIENT"
        ]
    );
    let meanings: Vec<Option<&str>> = d
        .confidentiality
        .iter()
        .map(|c| c.confidentiality_meaning())
        .collect();
    assert!(meanings[0].unwrap().contains("very restricted"));
    assert!(meanings[1].unwrap().contains("masked to professionals"));
    assert!(meanings[2].unwrap().contains("legal representatives"));
    assert_eq!(meanings[3], None);
    assert_eq!(meanings[4], None);
    let a = &d.authors[0];
    assert_eq!(a.roles, ["ROLE^Rôle^1.2.3"]);
    assert_eq!(a.telecom, ["^^Internet^anne@example.invalid"]);
    assert_eq!(
        d.format_code.as_ref().unwrap().code,
        "urn:ihe:iti:xds-sd:pdf:2008"
    );
    let json = serde_json::to_value(d).unwrap();
    assert_eq!(json["status"], "urn:x-dmp:StatusType:Frozen");
    assert!(json["confidentiality"][3]["meaning"].is_null());
}

#[test]
fn failure_response_with_errors() {
    let xml = response(
        STATUS_FAILURE,
        "",
        &format!(
            r#"<rs:RegistryErrorList highestSeverity="{SEVERITY_ERROR}"><rs:RegistryError errorCode="XDSPatientIdDoesNotMatch" codeContext="L'INS ne correspond pas au VIHF" location="registry" severity="{SEVERITY_ERROR}"/><rs:RegistryError errorCode="XDSRegistryBusy" codeContext="Réessayer plus tard" severity="{SEVERITY_WARNING}">détail</rs:RegistryError></rs:RegistryErrorList><rim:RegistryObjectList/>"#
        ),
    );
    let r = QueryResponse::parse(xml.as_bytes()).unwrap();
    assert_eq!(r.status, ResponseStatus::Failure);
    assert!(!r.is_success());
    assert!(r.documents.is_empty());
    assert_eq!(r.errors.len(), 2);
    assert_eq!(r.errors[0].error_code, "XDSPatientIdDoesNotMatch");
    assert_eq!(r.errors[0].code_context, "L'INS ne correspond pas au VIHF");
    assert_eq!(r.errors[0].location.as_deref(), Some("registry"));
    assert!(!r.errors[0].is_warning());
    assert_eq!(r.errors[1].error_code, "XDSRegistryBusy");
    assert!(r.errors[1].is_warning());
    assert_eq!(r.errors[1].text.as_deref(), Some("détail"));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["status"], "failure");
    assert_eq!(json["errors"][0]["error_code"], "XDSPatientIdDoesNotMatch");
}

#[test]
fn object_ref_response() {
    let xml = envelope(&response(
        STATUS_SUCCESS,
        r#"totalResultCount="2" startIndex="0""#,
        &format!(
            r#"<rim:RegistryObjectList><rim:ObjectRef id="{ENTRY}"/><rim:ObjectRef id="urn:uuid:9cded812-ba1d-11eb-816f-0050569e422e" home="urn:oid:1.2.3"/></rim:RegistryObjectList>"#
        ),
    ));
    let r = QueryResponse::parse(xml.as_bytes()).unwrap();
    assert_eq!(
        r.object_refs,
        [ENTRY, "urn:uuid:9cded812-ba1d-11eb-816f-0050569e422e"]
    );
    assert_eq!(r.total_result_count, Some(2));
    assert!(r.documents.is_empty());
}

#[test]
fn submission_set_and_contents_response() {
    let ss = "urn:uuid:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    let doc = "urn:uuid:11111111-2222-4333-8444-555555555555";
    let xml = response(
        STATUS_SUCCESS,
        "",
        &format!(
            r#"<rim:RegistryObjectList>
  <rim:RegistryPackage id="{ss}" lid="{ss}" status="{STATUS_APPROVED}">
    <rim:Slot name="submissionTime"><rim:ValueList><rim:Value>20240105083500</rim:Value></rim:ValueList></rim:Slot>
    <rim:Name><rim:LocalizedString value="Lot DLU"/></rim:Name>
    <rim:Classification classificationScheme="{SS_AUTHOR}" classifiedObject="{ss}" id="urn:uuid:00000000-0000-4000-9000-000000000001" nodeRepresentation="">
      <rim:Slot name="authorPerson"><rim:ValueList><rim:Value>810002345678^DURAND^Anne^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS</rim:Value></rim:ValueList></rim:Slot>
    </rim:Classification>
    <rim:Classification classificationScheme="{SS_CONTENT_TYPE_CODE}" classifiedObject="{ss}" id="urn:uuid:00000000-0000-4000-9000-000000000002" nodeRepresentation="04">
      <rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.2.2</rim:Value></rim:ValueList></rim:Slot>
      <rim:Name><rim:LocalizedString value="Hospitalisation de jour"/></rim:Name>
    </rim:Classification>
    <rim:ExternalIdentifier id="urn:uuid:00000000-0000-4000-9000-000000000003" identificationScheme="{SS_PATIENT_ID}" registryObject="{ss}" value="{ins}"/>
    <rim:ExternalIdentifier id="urn:uuid:00000000-0000-4000-9000-000000000004" identificationScheme="{SS_SOURCE_ID}" registryObject="{ss}" value="1.2.250.1.999.1.1.7898"/>
    <rim:ExternalIdentifier id="urn:uuid:00000000-0000-4000-9000-000000000005" identificationScheme="{SS_UNIQUE_ID}" registryObject="{ss}" value="1.2.250.1.999.1.1.7898.3.1"/>
  </rim:RegistryPackage>
  <rim:Classification classificationNode="{SUBMISSION_SET_NODE}" classifiedObject="{ss}" id="urn:uuid:00000000-0000-4000-9000-000000000006"/>
  {entry}
  <rim:Association associationType="{ASSOC_HAS_MEMBER}" id="urn:uuid:00000000-0000-4000-9000-000000000007" sourceObject="{ss}" targetObject="{doc}" status="{STATUS_APPROVED}">
    <rim:Slot name="SubmissionSetStatus"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>
  </rim:Association>
</rim:RegistryObjectList>"#,
            ins = INS_CX.replace('&', "&amp;"),
            entry = entry(doc, STATUS_APPROVED, &[N]),
        ),
    );
    let r = QueryResponse::parse(xml.as_bytes()).unwrap();
    assert_eq!(r.documents.len(), 1);
    assert_eq!(r.documents[0].entry_uuid, doc);
    let s = &r.submission_sets[0];
    assert_eq!(s.entry_uuid, ss);
    assert_eq!(s.status, Some(DocumentStatus::Approved));
    assert_eq!(s.unique_id, "1.2.250.1.999.1.1.7898.3.1");
    assert_eq!(s.source_id.as_deref(), Some("1.2.250.1.999.1.1.7898"));
    assert_eq!(s.patient_id, INS_CX);
    assert_eq!(s.submission_time.as_deref(), Some("20240105083500"));
    assert_eq!(s.title.as_deref(), Some("Lot DLU"));
    assert!(s.authors[0]
        .person
        .as_deref()
        .unwrap()
        .starts_with("810002345678^DURAND"));
    let ct = s.content_type_code.as_ref().unwrap();
    assert_eq!(
        (ct.code.as_str(), ct.scheme.as_str(), ct.display.as_str()),
        ("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")
    );
    let a = &r.associations[0];
    assert_eq!(a.association_type, ASSOC_HAS_MEMBER);
    assert_eq!(
        (a.source_object.as_str(), a.target_object.as_str()),
        (ss, doc)
    );
    assert_eq!(a.slots[0].name, "SubmissionSetStatus");
    assert_eq!(a.slots[0].values, ["Original"]);
}

#[test]
fn malformed_responses_are_data_errors() {
    let id = "urn:uuid:11111111-2222-4333-8444-555555555555";
    let list = |inner: &str| {
        response(
            STATUS_SUCCESS,
            "",
            &format!("<rim:RegistryObjectList>{inner}</rim:RegistryObjectList>"),
        )
    };
    let one = entry(id, STATUS_APPROVED, &[N]);
    let cases: Vec<(String, &str)> = vec![
        (format!("{one}{one}"), "two objects have the id"),
        (
            one.replace(
                DE_UNIQUE_ID,
                "urn:uuid:99999999-0000-4000-8000-000000000000",
            ),
            "no uniqueId",
        ),
        (
            one.replace(
                DE_PATIENT_ID,
                "urn:uuid:99999999-0000-4000-8000-000000000000",
            ),
            "no patientId",
        ),
        (one.replace("<rim:Value>4242<", "<rim:Value>4 KB<"), "size"),
        (
            one.replace(&format!(r#" status="{STATUS_APPROVED}""#), ""),
            "no status",
        ),
        (
            one.replace(&format!(r#"id="{id}" isOpaque"#), "isOpaque"),
            "required id",
        ),
        (r#"<rim:ObjectRef/>"#.to_owned(), "ObjectRef without"),
        (
            r#"<rim:Association id="a1" sourceObject="x" targetObject="y"/>"#.to_owned(),
            "associationType",
        ),
    ];
    for (inner, what) in cases {
        let xml = list(&inner);
        match QueryResponse::parse(xml.as_bytes()) {
            Err(Error::Data {
                source_name,
                message,
                ..
            }) => {
                assert_eq!(source_name, "AdhocQueryResponse");
                assert!(message.contains(what), "{what}: {message}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    for (xml, what) in [
        (
            response(
                STATUS_SUCCESS,
                r#"totalResultCount="-1""#,
                "<rim:RegistryObjectList/>",
            ),
            "totalResultCount",
        ),
        (
            response("urn:x:Maybe", "", "<rim:RegistryObjectList/>"),
            "unknown AdhocQueryResponse status",
        ),
        (
            format!(r#"<rs:RegistryResponse xmlns:rs="{NS_RS}" status="{STATUS_SUCCESS}"/>"#),
            "no AdhocQueryResponse",
        ),
    ] {
        let e = QueryResponse::parse(xml.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(what), "{what}: {e}");
    }
    // What the hardened reader refuses.
    let e = QueryResponse::parse(b"<!DOCTYPE x><x/>").unwrap_err();
    assert!(matches!(e, Error::Data { ref source_name, .. } if source_name == "xml"));
}

#[test]
fn xds_times() {
    assert_eq!(parse_xds_time("2010").unwrap(), at("2010-01-01T00:00:00Z"));
    assert_eq!(
        parse_xds_time("201003191832").unwrap(),
        at("2010-03-19T18:32:00Z")
    );
    for bad in [
        "",
        "20100",
        "2010-03-19",
        "20101319",
        "20100230",
        "20100319250000",
        "２０１０",
    ] {
        let (f, _, v) = invalid(parse_xds_time(bad).unwrap_err());
        assert_eq!((f.as_str(), v.as_str()), ("time", bad));
    }
}

#[test]
fn many_entries_parse() {
    let entries: String = (0..2000)
        .map(|i| {
            entry(
                &format!("urn:uuid:11111111-2222-4333-8444-{i:012}"),
                STATUS_APPROVED,
                &[N],
            )
        })
        .collect();
    let xml = response(
        STATUS_SUCCESS,
        r#"totalResultCount="2000""#,
        &format!("<rim:RegistryObjectList>{entries}</rim:RegistryObjectList>"),
    );
    let r = QueryResponse::parse(xml.as_bytes()).unwrap();
    assert_eq!(r.documents.len(), 2000);
    assert_eq!(
        r.documents[1999].entry_uuid,
        "urn:uuid:11111111-2222-4333-8444-000000001999"
    );
}

// ------------------------------------------------------------------------------------------
// Mutations: typed error or Ok, never a panic.
// ------------------------------------------------------------------------------------------

fn small_response() -> String {
    let a = entry(
        "urn:uuid:11111111-2222-4333-8444-555555555555",
        STATUS_APPROVED,
        &[N, ("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Masqué")],
    );
    let b = entry(
        "urn:uuid:11111111-2222-4333-8444-666666666666",
        STATUS_ARCHIVED,
        &[N],
    );
    envelope(&response(
        STATUS_SUCCESS,
        r#"totalResultCount="2" startIndex="0""#,
        &format!(
            r#"<rim:RegistryObjectList>{a}{b}<rim:Association associationType="{ASSOC_RPLC}" id="urn:uuid:aaaaaaaa-0000-4000-8000-000000000000" sourceObject="x" targetObject="y"/><rim:ObjectRef id="z"/></rim:RegistryObjectList>"#
        ),
    ))
}

fn check_never_panics(bytes: &[u8]) {
    match QueryResponse::parse(bytes) {
        Ok(r) => {
            for d in &r.documents {
                let _ = d.creation_time_utc();
                let _ = d.patient_ins();
                let _ = serde_json::to_string(d).unwrap();
            }
        }
        Err(Error::Data { .. }) => {}
        Err(other) => panic!("not a data error: {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn truncated_responses(cut in 0usize..20_000) {
        let xml = small_response();
        let cut = cut.min(xml.len());
        check_never_panics(&xml.as_bytes()[..cut]);
    }

    #[test]
    fn attributes_removed(which in 0usize..400) {
        let xml = small_response();
        let attrs: Vec<(usize, usize)> = {
            let b = xml.as_bytes();
            let mut v = Vec::new();
            let mut i = 0;
            while let Some(p) = xml[i..].find("=\"") {
                let eq = i + p;
                let start = xml[..eq].rfind(' ').map_or(eq, |s| s);
                let end = xml[eq + 2..].find('"').map_or(b.len(), |e| eq + 3 + e);
                v.push((start, end));
                i = eq + 2;
            }
            v
        };
        if let Some(&(s, e)) = attrs.get(which % attrs.len().max(1)) {
            let mutated = format!("{}{}", &xml[..s], &xml[e..]);
            check_never_panics(mutated.as_bytes());
        }
    }

    #[test]
    fn values_replaced(which in 0usize..400, code in "[A-Za-z0-9:._ -]{0,12}|[^<&\"]{0,6}") {
        let xml = small_response();
        let quotes: Vec<usize> = xml.match_indices("=\"").map(|(i, _)| i + 2).collect();
        if let Some(&at) = quotes.get(which % quotes.len()) {
            let end = xml[at..].find('"').map_or(xml.len(), |e| at + e);
            let mutated = format!("{}{}{}", &xml[..at], code, &xml[end..]);
            check_never_panics(mutated.as_bytes());
        }
    }

    #[test]
    fn elements_duplicated_or_dropped(which in 0usize..200, drop in any::<bool>()) {
        let xml = small_response();
        let starts: Vec<usize> = xml.match_indices("<rim:").map(|(i, _)| i).collect();
        let at = starts[which % starts.len()];
        // The element is the run up to its matching close (or its `/>`).
        let name_end = xml[at..].find([' ', '>', '/']).map_or(xml.len(), |e| at + e);
        let name = &xml[at + 1..name_end];
        let close = format!("</{name}>");
        let end = match (xml[at..].find("/>"), xml[at..].find('>')) {
            (Some(s), Some(g)) if s + 1 == g => at + g + 1,
            _ => xml[at..].find(&close).map_or(xml.len(), |e| at + e + close.len()),
        };
        let element = &xml[at..end];
        let mutated = if drop {
            format!("{}{}", &xml[..at], &xml[end..])
        } else {
            format!("{}{element}{element}{}", &xml[..at], &xml[end..])
        };
        check_never_panics(mutated.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text in any parameter: a query or a typed input error, never a panic.
    #[test]
    fn query_inputs_never_panic(
        ids in proptest::collection::vec(any::<String>(), 0..4),
        code in any::<String>(),
        scheme in any::<String>(),
        author in any::<String>(),
        home in proptest::option::of(any::<String>()),
        from in -5_000_000_000i64..300_000_000_000,
        to in -5_000_000_000i64..300_000_000_000,
        uuids in any::<bool>(),
    ) {
        let time = |s| DateTime::<Utc>::from_timestamp(s, 0);
        let mut f = FindDocuments::new(ins());
        f.type_codes = vec![CodeFilter::new(code.clone(), scheme.clone())];
        f.author_persons = vec![author];
        f.creation_time_from = time(from);
        f.creation_time_to = time(to);
        f.statuses.push(DocumentStatus::Other(code));
        let by = if uuids { DocumentRef::EntryUuids(ids.clone()) } else { DocumentRef::UniqueIds(ids.clone()) };
        let queries = [
            StoredQuery::FindDocuments(f),
            StoredQuery::GetDocuments { by, home_community_id: home.clone() },
            StoredQuery::GetSubmissionSetAndContents {
                by: SubmissionSetRef::UniqueId(ids.first().cloned().unwrap_or_default()),
                home_community_id: home,
            },
            StoredQuery::FindSubmissionSets(FindSubmissionSets {
                patient: ins(),
                submission_time_from: time(from),
                submission_time_to: time(to),
                statuses: vec![DocumentStatus::Other(scheme)],
            }),
        ];
        for q in queries {
            match q.to_xml(ReturnType::LeafClass) {
                Ok(bytes) => {
                    // What we write is well-formed and every Value fits the ebRIM length.
                    for (_, values) in slots_of(&bytes) {
                        prop_assert!(values.iter().all(|v| v.chars().count() <= 256));
                    }
                }
                Err(e) => prop_assert!(e.as_invalid().is_some(), "{e}"),
            }
        }
    }
}

/// The registry's side (`xds::answer`, the sandbox's writer): what it writes, the client's
/// reader reads back as the same objects; what a client submits, it reads as written.
#[test]
fn answers_written_by_a_registry_read_back() {
    use dmp_core::xds::answer::{
        query_response_xml, registry_response_xml, submit_objects_xml, submitted_objects,
    };
    use dmp_core::xds::RegistryResponse;
    let xml = envelope(&response(
        STATUS_SUCCESS,
        "",
        &format!(
            "<rim:RegistryObjectList>{}{}</rim:RegistryObjectList>",
            entry("urn:uuid:a", STATUS_APPROVED, &[N]),
            entry("urn:uuid:b", STATUS_DEPRECATED, &[N])
        ),
    ));
    let read = QueryResponse::parse(xml.as_bytes()).unwrap();
    let objects: Vec<_> = read.documents.iter().map(|d| d.rim.clone()).collect();
    assert_eq!(objects.len(), 2);

    let kept = submit_objects_xml(&objects).unwrap();
    assert_eq!(submitted_objects(&kept).unwrap(), objects);

    let answer = query_response_xml(&objects, &[]).unwrap();
    let again = QueryResponse::parse(&answer).unwrap();
    assert!(again.is_success());
    assert_eq!(again.documents, read.documents);

    let error = dmp_core::xds::RegistryError {
        error_code: "XDSUnknownPatientId".into(),
        code_context: "Patient inconnu <1>".into(),
        severity: SEVERITY_ERROR.into(),
        location: None,
        text: None,
    };
    let r = RegistryResponse::parse(&registry_response_xml(std::slice::from_ref(&error)).unwrap())
        .unwrap();
    assert_eq!(r.status_urn, STATUS_FAILURE);
    assert_eq!(r.errors, std::slice::from_ref(&error));
    let r = RegistryResponse::parse(&registry_response_xml(&[]).unwrap()).unwrap();
    assert!(r.is_success() && r.errors.is_empty());
    let q = QueryResponse::parse(&query_response_xml(&[], std::slice::from_ref(&error)).unwrap())
        .unwrap();
    assert_eq!((q.status_urn.as_str(), q.errors.len()), (STATUS_FAILURE, 1));

    // Two objects with one id are refused.
    let twice = submit_objects_xml(&[objects[0].clone(), objects[0].clone()]).unwrap();
    assert!(submitted_objects(&twice)
        .unwrap_err()
        .to_string()
        .contains("two objects have the id urn:uuid:a"));
}

/// A TD3.1 answer of thousands of entries (a DMP opened years ago) is read whole: telling what
/// the answer is does not build a tree of it (the envelope is scanned, not kept), so only the
/// query parser's own memory budget applies.
#[test]
fn a_td31_answer_of_thousands_of_entries_is_read() {
    let n = 3000;
    let entries: String = (0..n)
        .map(|k| {
            xds_fixtures::entry(
                &format!("urn:uuid:10000000-0000-4000-8000-{k:012}"),
                STATUS_APPROVED,
                &[xds_fixtures::N],
            )
        })
        .collect();
    let body = xds_fixtures::response(
        STATUS_SUCCESS,
        "",
        &format!("<rim:RegistryObjectList>{entries}</rim:RegistryObjectList>"),
    );
    let message = xds_fixtures::envelope(&body);
    assert!(message.len() > 5 << 20, "{} bytes", message.len());
    let info = dmp_core::soap::parse_envelope(message.as_bytes()).unwrap();
    assert_eq!(
        info.body_name,
        Some((Some(NS_QUERY.to_owned()), "AdhocQueryResponse".to_owned()))
    );
    assert_eq!(
        info.action.as_deref(),
        Some("urn:ihe:iti:2007:RegistryStoredQueryResponse")
    );
    let span = info.body_child.unwrap();
    assert_eq!(&message.as_bytes()[span], body.as_bytes());
    match dmp_core::consult::parse_message(message.as_bytes()).unwrap() {
        dmp_core::consult::Response::Search(r) => {
            assert_eq!(r.documents.len(), n);
            assert_eq!(
                r.documents[n - 1].entry_uuid,
                format!("urn:uuid:10000000-0000-4000-8000-{:012}", n - 1)
            );
        }
        other => panic!("not a search answer: {}", other.render()),
    }
}
