//! `dmp_core::landing`: what a built TD2.1 or TD3.3 changes, the search that shows it, and
//! the reading of that search's answer (landed, not landed, cannot tell).

mod common;
#[path = "common/xds_fixtures.rs"]
mod xds_fixtures;

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::consult::{self, Response};
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};
use dmp_core::ids::{Ins, Oid};
use dmp_core::landing::{DocumentKey, Expectation, Probe};
use dmp_core::soap::action;
use dmp_core::xds::vocabulary::*;
use dmp_core::xds::{
    AvailabilityChange, Code, DocumentRef, DocumentStatus, QueryResponse, StoredQuery,
    SubmissionSet, UpdateRequest, XdsAuthor,
};
use xds_fixtures::{entry, response, INS_CX, N, SOAP12};

const ENTRY: &str = "urn:uuid:11111111-2222-4333-8444-555555555555";

fn answer(objects: &str) -> Response {
    let body = response(
        STATUS_SUCCESS,
        "",
        &format!("<rim:RegistryObjectList>{objects}</rim:RegistryObjectList>"),
    );
    consult::parse_message(xds_fixtures::envelope(&body).as_bytes()).unwrap()
}

fn td21() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("examples/data/feed");
    let mut request =
        FeedRequest::from_json(&std::fs::read_to_string(dir.join("dlu.json")).unwrap()).unwrap();
    request
        .resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    let now: DateTime<FixedOffset> = "2026-11-20T15:00:00+01:00".parse().unwrap();
    let p12 = std::fs::read(root.join("examples/pki/org-sign.p12")).unwrap();
    let pw = std::fs::read_to_string(root.join("examples/pki/PASSWORD")).unwrap();
    let signer = SigningIdentity::from_pkcs12(&p12, pw.trim())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(now.with_timezone(&Utc), UsagePolicy::DmpSignature)
        .unwrap();
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(20261120),
        signer: &signer,
        rights: None,
    };
    feed::build(&request, &mut ctx).unwrap().http.to_message()
}

#[test]
fn a_td21_is_probed_by_the_uniqueids_of_its_documents() {
    let message = td21();
    let probe = Probe::of_request(&message).unwrap();
    assert_eq!(probe.transaction, "TD2.1");
    assert_eq!(probe.targets.len(), 1, "the DLU, not the signature entry");
    let DocumentKey::UniqueId(uid) = &probe.targets[0].by else {
        panic!("{probe:?}")
    };
    assert_eq!(probe.targets[0].expect, Expectation::Registered);
    assert!(String::from_utf8_lossy(&message).contains(uid.as_str()));
    let StoredQuery::GetDocuments {
        by: DocumentRef::UniqueIds(ids),
        ..
    } = probe.query()
    else {
        panic!()
    };
    assert_eq!(ids, vec![uid.clone()]);

    // The fixture entry carries the fixture uniqueId and patient: rewrite them.
    let fixture = QueryResponse::parse(
        response(
            STATUS_SUCCESS,
            "",
            &format!(
                "<rim:RegistryObjectList>{}</rim:RegistryObjectList>",
                entry(ENTRY, STATUS_APPROVED, &[N])
            ),
        )
        .as_bytes(),
    )
    .unwrap();
    let d = &fixture.documents[0];
    let registered = entry(ENTRY, STATUS_APPROVED, &[N])
        .replace(&d.unique_id, uid)
        .replace(
            &d.patient_id.replace('&', "&amp;"),
            &probe.patient.to_cx().replace('&', "&amp;"),
        );
    assert!(probe.landed(&answer(&registered)).unwrap());
    assert!(!probe.landed(&answer("")).unwrap());
    // Another patient's document with the same uniqueId is not ours.
    let other = entry(ENTRY, STATUS_APPROVED, &[N]).replace(&d.unique_id, uid);
    assert!(!probe.landed(&answer(&other)).unwrap());
}

fn submission_set() -> SubmissionSet {
    let author = XdsAuthor::new(
        "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
        "CABINET DR LIBRE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001",
        &Code::new("G15_10/SM26", "Médecin", "1.2.250.1.213.1.1.4.5"),
        None,
    )
    .unwrap();
    SubmissionSet::from_parts(
        "SubmissionSet01",
        author,
        Ins::from_cx(INS_CX).unwrap(),
        "1.2.250.1.999.1.1.7898".parse::<Oid>().unwrap(),
        "1.2.250.1.999.1.1.7898.3.1".parse::<Oid>().unwrap(),
        "2021-06-04T09:24:15Z".parse::<DateTime<Utc>>().unwrap(),
        Code::dmp_sample_content_type(),
    )
    .unwrap()
}

fn td33(change: AvailabilityChange) -> Vec<u8> {
    let search = answer(&entry(ENTRY, STATUS_APPROVED, &[N]));
    let Response::Search(r) = search else {
        panic!()
    };
    let body = UpdateRequest::availability(submission_set(), &r.documents[0], change)
        .unwrap()
        .to_xml()
        .unwrap();
    format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Header><Action xmlns="http://www.w3.org/2005/08/addressing">{}</Action></soap:Header><soap:Body>{}</soap:Body></soap:Envelope>"#,
        action::UPDATE_DOCUMENT_SET,
        String::from_utf8(body).unwrap()
    )
    .into_bytes()
}

#[test]
fn a_td33_status_change_is_probed_by_its_entryuuid() {
    let archive = Probe::of_request(&td33(AvailabilityChange::Archive)).unwrap();
    assert_eq!(archive.transaction, "TD3.3");
    assert_eq!(archive.patient, Ins::from_cx(INS_CX).unwrap());
    assert_eq!(archive.targets[0].by, DocumentKey::EntryUuid(ENTRY.into()));
    assert_eq!(
        archive.targets[0].expect,
        Expectation::Status(DocumentStatus::Archived)
    );
    assert!(archive
        .landed(&answer(&entry(ENTRY, STATUS_ARCHIVED, &[N])))
        .unwrap());
    assert!(!archive
        .landed(&answer(&entry(ENTRY, STATUS_APPROVED, &[N])))
        .unwrap());
    assert!(!archive.landed(&answer("")).unwrap());

    let delete = Probe::of_request(&td33(AvailabilityChange::Delete)).unwrap();
    assert_eq!(
        delete.targets[0].expect,
        Expectation::Status(DocumentStatus::Deleted)
    );
    assert!(
        delete.landed(&answer("")).unwrap(),
        "the DMP returns no deleted entry"
    );
    assert!(!delete
        .landed(&answer(&entry(ENTRY, STATUS_APPROVED, &[N])))
        .unwrap());
}

#[test]
fn a_query_is_not_probed_and_a_fault_cannot_tell() {
    let q = xds_fixtures::envelope("<x/>");
    let e = Probe::of_request(q.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("only a TD2.1 or a TD3.3"), "{e}");
    let probe = Probe::of_request(&td33(AvailabilityChange::Archive)).unwrap();
    let fault = consult::parse_message(
        format!(r#"<s:Envelope xmlns:s="{SOAP12}"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text xml:lang="fr">indisponible</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#).as_bytes(),
    )
    .unwrap();
    assert!(probe.landed(&fault).is_err());
}
