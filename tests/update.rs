//! TD3.3 updates (`dmp_core::xds::UpdateRequest`, IHE ITI-57): archive / unarchive / delete
//! and new metadata versions (mask, visibility) built from entries of TD3.1 responses (the
//! official one when `../shared` is there, fixtures written here always); structure against
//! the official TD3.3c/TD3.3d requests; XSD validation with validate-xds; refusals.

mod common;
#[path = "common/xds_fixtures.rs"]
mod xds_fixtures;

use chrono::{DateTime, Utc};
use dmp_core::ids::{Ins, Oid};
use dmp_core::model::Confidentiality;
use dmp_core::xds::vocabulary::*;
use dmp_core::xds::{
    AvailabilityChange, Code, DocumentStatus, QueryResponse, RegistryDocument, SubmissionSet,
    UpdateChange, UpdateRequest, Visibility, XdsAuthor,
};
use dmp_core::xml::reader::{self, Element, Limits};
use dmp_core::Error;
use xds_fixtures::{entry, response, validate_xds, INS_CX, N, SOAP12};

const FIXTURE_ENTRY: &str = "urn:uuid:11111111-2222-4333-8444-555555555555";
const NEW_ENTRY: &str = "urn:uuid:22222222-3333-4444-8555-666666666666";
const MASQUE: (&str, &str, &str) = ("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Masqué");
const INVISIBLE: (&str, &str, &str) = ("INVISIBLE_PATIENT", "1.2.250.1.213.1.1.4.13", "Invisible");

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

/// The acting user of the official TD3.3 requests, with their structure.
fn author() -> XdsAuthor {
    XdsAuthor::new(
        "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
        "CABINET DR LIBRE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001",
        &Code::new(
            "G15_10/SM26",
            "Médecin - Qualifié en Médecine Générale (SM)",
            "1.2.250.1.213.1.1.4.5",
        ),
        None,
    )
    .unwrap()
}

fn submission_set() -> SubmissionSet {
    let mut ss = SubmissionSet::from_parts(
        "SubmissionSet01",
        author(),
        Ins::from_cx(INS_CX).unwrap(),
        oid("1.2.250.1.999.1.1.7898"),
        oid("1.2.250.1.999.1.1.7898.3.20180518163612.3"),
        at("2021-06-04T09:24:15Z"),
        Code::dmp_sample_content_type(),
    )
    .unwrap();
    ss.title = Some("Compte rendu".into());
    ss
}

/// A document of a fixture response, with `status` and confidentiality codes `conf`.
fn fixture_document(status: &str, conf: &[(&str, &str, &str)]) -> RegistryDocument {
    let xml = response(
        STATUS_SUCCESS,
        "",
        &format!(
            "<rim:RegistryObjectList>{}</rim:RegistryObjectList>",
            entry(FIXTURE_ENTRY, status, conf)
        ),
    );
    QueryResponse::parse(xml.as_bytes())
        .unwrap()
        .documents
        .remove(0)
}

/// The official TD3.1 response's entries, when `../shared` is there.
fn official_documents() -> Option<Vec<RegistryDocument>> {
    let xml = common::official_message("TD3.1-Recherche_de_document.response.xml")?;
    Some(QueryResponse::parse(&xml).unwrap().documents)
}

fn invalid(e: Error) -> (String, String) {
    let inv = e.as_invalid().unwrap_or_else(|| panic!("not Invalid: {e}"));
    (inv.field.clone(), inv.rule.clone())
}

/// Reads an update body back as a registry response (same ebRIM objects): the new entry, the
/// submission set and the associations, through the TD3.1 reader.
fn read_back(body: &[u8]) -> QueryResponse {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let start = text.find("<rim:RegistryObjectList>").unwrap();
    let end = text.find("</lcm:SubmitObjectsRequest>").unwrap();
    QueryResponse::parse(response(STATUS_SUCCESS, "", &text[start..end]).as_bytes()).unwrap()
}

// ------------------------------------------------------------------------------------------
// Structure against the official TD3.3c / TD3.3d requests.
// ------------------------------------------------------------------------------------------

/// (namespace, local name, attribute names, slot name) of each element, in document order.
type Shape = (String, String, Vec<String>, String);

fn shapes(e: Element<'_>, out: &mut Vec<Shape>) {
    let mut attrs: Vec<String> = e
        .attributes()
        .map(|(n, _)| n.to_owned())
        .filter(|n| n != "xmlns" && !n.starts_with("xmlns:"))
        .collect();
    attrs.sort();
    let slot = if e.local_name() == "Slot" {
        e.attr("name").unwrap_or_default().to_owned()
    } else {
        String::new()
    };
    out.push((
        e.namespace().unwrap_or_default().to_owned(),
        e.local_name().to_owned(),
        attrs,
        slot,
    ));
    for c in e.children() {
        shapes(c, out);
    }
}

fn body_shapes(bytes: &[u8]) -> Vec<Shape> {
    let doc = reader::parse(bytes, &Limits::default()).unwrap();
    let root = doc.root();
    let body = if root.is(SOAP12, "Envelope") {
        root.child(SOAP12, "Body")
            .and_then(|b| b.children().next())
            .unwrap()
    } else {
        root
    };
    let mut out = Vec::new();
    shapes(body, &mut out);
    out
}

/// The association's slots (name → values) and its source/target in a body.
fn association(bytes: &[u8]) -> (Vec<(String, Vec<String>)>, String, String) {
    let doc = reader::parse(bytes, &Limits::default()).unwrap();
    let a = doc
        .elements()
        .find(|e| e.is(NS_RIM, "Association"))
        .unwrap();
    let slots = a
        .children_named(NS_RIM, "Slot")
        .map(|s| {
            let values = s
                .child(NS_RIM, "ValueList")
                .unwrap()
                .children_named(NS_RIM, "Value")
                .map(|v| v.text().trim().to_owned())
                .collect();
            (s.attr("name").unwrap().to_owned(), values)
        })
        .collect();
    (
        slots,
        a.attr("sourceObject").unwrap().to_owned(),
        a.attr("targetObject").unwrap().to_owned(),
    )
}

/// Ours has the official request's elements in the same order, each with at least its
/// attributes; the only attributes we add are the ones the ebRIM schema requires and the
/// official sample omits.
fn assert_same_structure(ours: &[u8], official: &[u8]) {
    let (ours, official) = (body_shapes(ours), body_shapes(official));
    assert_eq!(ours.len(), official.len(), "{ours:#?}\n{official:#?}");
    for (o, x) in ours.iter().zip(&official) {
        assert_eq!((&o.0, &o.1, &o.3), (&x.0, &x.1, &x.3));
        for a in &x.2 {
            assert!(o.2.contains(a), "{}: missing @{a}", o.1);
        }
        for a in &o.2 {
            assert!(
                x.2.contains(a) || matches!(a.as_str(), "classifiedObject" | "registryObject"),
                "{}: extra @{a}",
                o.1
            );
        }
    }
}

#[test]
fn archive_and_delete_match_the_official_requests() {
    let Some(docs) = official_documents() else {
        return;
    };
    let Some([archive, delete]) = common::official_messages([
        "TD3.3d-Archiver_un_document.request.xml",
        "TD3.3c-Supprimer_un_document.request.xml",
    ]) else {
        return;
    };
    // The entry both official requests target, returned Approved by the official TD3.1.
    let target = "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e";
    let doc = docs.iter().find(|d| d.entry_uuid == target).unwrap();
    assert_eq!(doc.status, DocumentStatus::Approved);

    let ours = UpdateRequest::availability(submission_set(), doc, AvailabilityChange::Archive)
        .unwrap()
        .to_xml()
        .unwrap();
    assert_same_structure(&ours, &archive);
    assert_eq!(association(&ours), association(&archive));

    // TD3.3c deletes the document once archived.
    let mut archived = doc.clone();
    archived.status = DocumentStatus::Archived;
    let ours = UpdateRequest::availability(submission_set(), &archived, AvailabilityChange::Delete)
        .unwrap()
        .to_xml()
        .unwrap();
    assert_same_structure(&ours, &delete);
    assert_eq!(association(&ours), association(&delete));
}

// ------------------------------------------------------------------------------------------
// Availability changes.
// ------------------------------------------------------------------------------------------

#[test]
fn availability_changes() {
    let ss = "SubmissionSet01".to_owned();
    for (status, change, original, new) in [
        (
            STATUS_APPROVED,
            AvailabilityChange::Archive,
            STATUS_APPROVED,
            STATUS_ARCHIVED,
        ),
        (
            STATUS_ARCHIVED,
            AvailabilityChange::Unarchive,
            STATUS_ARCHIVED,
            STATUS_APPROVED,
        ),
        (
            STATUS_APPROVED,
            AvailabilityChange::Delete,
            STATUS_APPROVED,
            STATUS_DELETED,
        ),
        (
            STATUS_ARCHIVED,
            AvailabilityChange::Delete,
            STATUS_ARCHIVED,
            STATUS_DELETED,
        ),
    ] {
        let doc = fixture_document(status, &[N]);
        let r = UpdateRequest::availability(submission_set(), &doc, change).unwrap();
        assert_eq!(
            r.change,
            UpdateChange::Availability {
                entry_uuid: FIXTURE_ENTRY.into(),
                original: DocumentStatus::from_urn(original),
                new: DocumentStatus::from_urn(new),
            }
        );
        let xml = r.to_xml().unwrap();
        assert_eq!(r.to_xml().unwrap(), xml, "same inputs, same bytes");
        let (slots, source, target) = association(&xml);
        assert_eq!(
            slots,
            vec![
                ("OriginalStatus".to_owned(), vec![original.to_owned()]),
                ("NewStatus".to_owned(), vec![new.to_owned()]),
            ]
        );
        assert_eq!((&source, target.as_str()), (&ss, FIXTURE_ENTRY));
        let text = String::from_utf8(xml).unwrap();
        assert!(text.starts_with(&format!(
            "<lcm:SubmitObjectsRequest xmlns:lcm=\"{NS_LCM}\" xmlns:rim=\"{NS_RIM}\">"
        )));
        assert!(text.contains(&format!(
            "associationType=\"{ASSOC_UPDATE_AVAILABILITY_STATUS}\""
        )));
        assert!(text.contains(&format!("objectType=\"{ASSOCIATION_OBJECT_TYPE}\"")));
        assert!(!text.contains("ExtrinsicObject"));
        // The submission set is the TD2.1 one: author, contentTypeCode, ids, time.
        let back = read_back(text.as_bytes());
        let s = &back.submission_sets[0];
        assert_eq!(s.entry_uuid, "SubmissionSet01");
        assert_eq!(s.patient_id, INS_CX);
        assert_eq!(s.unique_id, "1.2.250.1.999.1.1.7898.3.20180518163612.3");
        assert_eq!(s.source_id.as_deref(), Some("1.2.250.1.999.1.1.7898"));
        assert_eq!(s.submission_time.as_deref(), Some("20210604092415"));
        assert_eq!(s.content_type_code.as_ref().unwrap().code, "04");
        assert_eq!(
            s.authors[0].person.as_deref(),
            Some("899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS")
        );
        assert_eq!(
            s.authors[0].specialties,
            ["G15_10/SM26^Médecin - Qualifié en Médecine Générale (SM)^1.2.250.1.213.1.1.4.5"]
        );
    }
}

#[test]
fn meaningless_availability_changes_are_refused() {
    for (status, change, rule) in [
        (
            STATUS_ARCHIVED,
            AvailabilityChange::Archive,
            "already archived",
        ),
        (
            STATUS_DELETED,
            AvailabilityChange::Archive,
            "only an approved",
        ),
        (
            STATUS_DEPRECATED,
            AvailabilityChange::Archive,
            "only an approved",
        ),
        (
            STATUS_APPROVED,
            AvailabilityChange::Unarchive,
            "only an archived",
        ),
        (
            STATUS_DELETED,
            AvailabilityChange::Unarchive,
            "only an archived",
        ),
        (
            STATUS_DELETED,
            AvailabilityChange::Delete,
            "already deleted",
        ),
        (
            STATUS_DEPRECATED,
            AvailabilityChange::Delete,
            "approved or archived",
        ),
        (
            "urn:x:Frozen",
            AvailabilityChange::Delete,
            "approved or archived",
        ),
    ] {
        let doc = fixture_document(status, &[N]);
        let e = UpdateRequest::availability(submission_set(), &doc, change).unwrap_err();
        let (field, r) = invalid(e);
        assert_eq!(field, "document.status");
        assert!(r.contains(rule), "{status} {change:?}: {r}");
    }
    // Another patient.
    let mut ss = submission_set();
    ss.patient_id = Ins::from_cx("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH").unwrap();
    let doc = fixture_document(STATUS_APPROVED, &[N]);
    let (field, rule) =
        invalid(UpdateRequest::availability(ss, &doc, AvailabilityChange::Archive).unwrap_err());
    assert_eq!(field, "submission_set.patient_id");
    assert!(rule.contains(INS_CX), "{rule}");
    // A symbolic id is not a registry entryUUID.
    let mut doc = fixture_document(STATUS_APPROVED, &[N]);
    doc.entry_uuid = "Document01".into();
    let (field, _) = invalid(
        UpdateRequest::availability(submission_set(), &doc, AvailabilityChange::Archive)
            .unwrap_err(),
    );
    assert_eq!(field, "document.entry_uuid");
    // A submission set broken after construction.
    let mut ss = submission_set();
    ss.title = Some("  ".into());
    let doc = fixture_document(STATUS_APPROVED, &[N]);
    let r = UpdateRequest::availability(ss, &doc, AvailabilityChange::Archive).unwrap();
    assert_eq!(invalid(r.to_xml().unwrap_err()).0, "submission_set.title");
}

// ------------------------------------------------------------------------------------------
// Metadata updates (mask, visibility).
// ------------------------------------------------------------------------------------------

fn flags(d: &RegistryDocument) -> Vec<String> {
    d.confidentiality.iter().map(|c| c.code.clone()).collect()
}

/// The new version read back equals the old one but for its id, its parts' ids and the
/// confidentiality codes; the association carries PreviousVersion.
fn check_new_version(old: &RegistryDocument, body: &[u8], expected_codes: &[&str]) {
    let back = read_back(body);
    assert_eq!(back.documents.len(), 1);
    let new = &back.documents[0];
    assert_eq!(new.entry_uuid, NEW_ENTRY);
    assert_eq!(new.logical_id, old.logical_id);
    assert_eq!(new.version, old.version);
    assert_eq!(flags(new), expected_codes);
    let mut same = new.clone();
    same.entry_uuid = old.entry_uuid.clone();
    same.confidentiality = old.confidentiality.clone();
    same.rim = old.rim.clone();
    assert_eq!(&same, old, "every other metadata is kept");
    // Every slot, in order, and the external identifiers' values.
    assert_eq!(new.rim.slots, old.rim.slots);
    let values = |d: &RegistryDocument| -> Vec<Option<String>> {
        d.rim
            .external_identifiers
            .iter()
            .map(|e| e.attr("value").map(str::to_owned))
            .collect()
    };
    assert_eq!(values(new), values(old));
    for part in new
        .rim
        .classifications
        .iter()
        .chain(&new.rim.external_identifiers)
    {
        let points = part
            .attr("classifiedObject")
            .or_else(|| part.attr("registryObject"));
        assert_eq!(points, Some(NEW_ENTRY));
        assert!(!part.id().starts_with("urn:uuid:"), "fresh symbolic id");
    }
    let a = &back.associations[0];
    assert_eq!(a.association_type, ASSOC_HAS_MEMBER);
    assert_eq!(
        (a.source_object.as_str(), a.target_object.as_str()),
        ("SubmissionSet01", NEW_ENTRY)
    );
    let slots: Vec<(&str, &[String])> = a
        .slots
        .iter()
        .map(|s| (s.name.as_ref(), s.values.as_slice()))
        .collect();
    assert_eq!(
        slots,
        [
            ("SubmissionSetStatus", &["Original".to_owned()][..]),
            ("PreviousVersion", &[old.version.clone().unwrap()][..]),
        ]
    );
}

#[test]
fn visibility_updates_of_official_entries() {
    let Some(docs) = official_documents() else {
        return;
    };
    // The first entry is N + INVISIBLE_PATIENT: make it visible to the patient, then mask it.
    let d = &docs[0];
    let show = Visibility {
        invisible_to_patient: Some(false),
        ..Visibility::default()
    };
    let r = UpdateRequest::visibility(submission_set(), d, &show, NEW_ENTRY).unwrap();
    let body = r.to_xml().unwrap();
    check_new_version(d, &body, &["N"]);
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("<rim:VersionInfo versionName=\"1\"/>"));
    assert!(text.contains(&format!(
        "lid=\"{}\"",
        "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    )));
    assert!(text.contains("af326fb44feb720121d2c277ce10f87407818089"));
    assert!(text.contains("<rim:Value>1.2.250.1.213.4.1.1.1.2</rim:Value>"));

    let mask = Visibility {
        masked_to_professionals: Some(true),
        ..Visibility::default()
    };
    let body = UpdateRequest::visibility(submission_set(), d, &mask, NEW_ENTRY)
        .unwrap()
        .to_xml()
        .unwrap();
    check_new_version(d, &body, &["N", "INVISIBLE_PATIENT", "MASQUE_PS"]);
    let back = read_back(&body);
    let masque = &back.documents[0].confidentiality[2];
    assert_eq!(masque.scheme, "1.2.250.1.213.1.1.4.13");
    assert_eq!(masque.display, "Masqué aux professionnels de santé");
    assert!(back.documents[0].masked_to_professionals());

    // A plain entry (N only, event code, no flag): hide it from legal representatives.
    let d = &docs[2];
    let hide = Visibility {
        invisible_to_legal_representatives: Some(true),
        masked_to_professionals: Some(false),
        ..Visibility::default()
    };
    let body = UpdateRequest::visibility(submission_set(), d, &hide, NEW_ENTRY)
        .unwrap()
        .to_xml()
        .unwrap();
    check_new_version(d, &body, &["N", "INVISIBLE_REPRESENTANTS_LEGAUX"]);
}

#[test]
fn visibility_updates_of_fixture_entries() {
    let d = fixture_document(STATUS_APPROVED, &[N, MASQUE, INVISIBLE]);
    // Unmask: the flag goes, the level and the other flag stay in order.
    let unmask = Visibility {
        masked_to_professionals: Some(false),
        ..Visibility::default()
    };
    let r = UpdateRequest::visibility(submission_set(), &d, &unmask, NEW_ENTRY).unwrap();
    let body = r.to_xml().unwrap();
    assert_eq!(r.to_xml().unwrap(), body, "same inputs, same bytes");
    check_new_version(&d, &body, &["N", "INVISIBLE_PATIENT"]);
    // Every flag at once, with a symbolic id as in the C# kit's template.
    let all = Visibility {
        masked_to_professionals: Some(true),
        invisible_to_patient: Some(false),
        invisible_to_legal_representatives: Some(true),
    };
    let r = UpdateRequest::visibility(submission_set(), &d, &all, "Document01").unwrap();
    let back = read_back(&r.to_xml().unwrap());
    assert_eq!(back.documents[0].entry_uuid, "Document01");
    assert_eq!(
        flags(&back.documents[0]),
        ["N", "MASQUE_PS", "INVISIBLE_REPRESENTANTS_LEGAUX"]
    );
    // The author classification (role, telecom) and the home attribute.
    let a = &back.documents[0].authors[0];
    assert_eq!(a.roles, ["ROLE^Rôle^1.2.3"]);
    assert_eq!(a.telecom, ["^^Internet^anne@example.invalid"]);

    // Every combination of wishes on every starting set: the flags end as asked, or the
    // request is refused because nothing changes.
    let starts: [&[(&str, &str, &str)]; 4] =
        [&[N], &[N, MASQUE], &[N, INVISIBLE], &[N, MASQUE, INVISIBLE]];
    let choices = [None, Some(false), Some(true)];
    for start in starts {
        let d = fixture_document(STATUS_APPROVED, start);
        for m in choices {
            for p in choices {
                for l in choices {
                    let v = Visibility {
                        masked_to_professionals: m,
                        invisible_to_patient: p,
                        invisible_to_legal_representatives: l,
                    };
                    match UpdateRequest::visibility(submission_set(), &d, &v, NEW_ENTRY) {
                        Ok(r) => {
                            let back = read_back(&r.to_xml().unwrap());
                            let n = &back.documents[0];
                            assert_eq!(
                                n.masked_to_professionals(),
                                m.unwrap_or(d.masked_to_professionals())
                            );
                            assert_eq!(
                                n.invisible_to_patient(),
                                p.unwrap_or(d.invisible_to_patient())
                            );
                            assert_eq!(
                                n.invisible_to_legal_representatives(),
                                l.unwrap_or(d.invisible_to_legal_representatives())
                            );
                            assert_eq!(n.confidentiality[0].code, "N");
                        }
                        Err(e) => {
                            assert_eq!(invalid(e).0, "visibility", "{v:?} on {start:?}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn metadata_update_refusals() {
    let d = fixture_document(STATUS_APPROVED, &[N, MASQUE]);
    let mask = Visibility {
        masked_to_professionals: Some(true),
        ..Visibility::default()
    };
    let (field, rule) =
        invalid(UpdateRequest::visibility(submission_set(), &d, &mask, NEW_ENTRY).unwrap_err());
    assert_eq!(field, "visibility");
    assert!(rule.contains("changes nothing"), "{rule}");
    let (field, rule) = invalid(
        UpdateRequest::visibility(submission_set(), &d, &Visibility::default(), NEW_ENTRY)
            .unwrap_err(),
    );
    assert_eq!(field, "visibility");
    assert!(rule.contains("at least one"), "{rule}");
    let unmask = Visibility {
        masked_to_professionals: Some(false),
        ..Visibility::default()
    };
    for bad in [FIXTURE_ENTRY, "urn:uuid:NOT-A-UUID", "1abc", ""] {
        let (field, _) =
            invalid(UpdateRequest::visibility(submission_set(), &d, &unmask, bad).unwrap_err());
        assert_eq!(field, "new_entry_uuid", "{bad}");
    }
    // The new id must not be the submission set's, nor one we generate.
    for clash in ["SubmissionSet01", "cla4"] {
        let r = UpdateRequest::visibility(submission_set(), &d, &unmask, clash).unwrap();
        let (field, rule) = invalid(r.to_xml().unwrap_err());
        assert_eq!(field, "id", "{clash}");
        assert!(rule.contains("unique"), "{rule}");
    }
    for status in [STATUS_ARCHIVED, STATUS_DEPRECATED, STATUS_DELETED] {
        let d = fixture_document(status, &[N, MASQUE]);
        let (field, _) = invalid(
            UpdateRequest::visibility(submission_set(), &d, &unmask, NEW_ENTRY).unwrap_err(),
        );
        assert_eq!(field, "document.status");
    }
    let mut no_version = d.clone();
    no_version.version = None;
    let (field, _) = invalid(
        UpdateRequest::visibility(submission_set(), &no_version, &unmask, NEW_ENTRY).unwrap_err(),
    );
    assert_eq!(field, "document.version");
    let mut other = d.clone();
    other.patient_id = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH".into();
    let (field, _) = invalid(
        UpdateRequest::visibility(submission_set(), &other, &unmask, NEW_ENTRY).unwrap_err(),
    );
    assert_eq!(field, "submission_set.patient_id");
    let mut not_ins = d.clone();
    not_ins.patient_id = "0456789999^^^&1.2.250.1.999&ISO^PI".into();
    let (field, _) = invalid(
        UpdateRequest::visibility(submission_set(), &not_ins, &unmask, NEW_ENTRY).unwrap_err(),
    );
    assert_eq!(field, "document.patient_id");
}

#[test]
fn acting_user_author_refusals() {
    let spec = Code::new("G15_10", "Médecin", "1.2.250.1.213.1.1.4.5");
    let ok_person = "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS";
    let ok_inst = "CABINET^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001";
    let a = XdsAuthor::new(
        ok_person,
        ok_inst,
        &spec,
        Some(&Code::new("ROLE", "Rôle", "1.2.3")),
    )
    .unwrap();
    assert_eq!(a.person(), ok_person);
    assert_eq!(a.institution(), ok_inst);
    assert_eq!(a.specialty(), "G15_10^Médecin^1.2.250.1.213.1.1.4.5");
    assert_eq!(a.role(), Some("ROLE^Rôle^1.2.3"));
    for (person, inst, spec, field) in [
        ("", ok_inst, spec.clone(), "person"),
        (
            "^MAX^LIBRE^^^^^^&1.2&ISO^D^^^IDNPS",
            ok_inst,
            spec.clone(),
            "person",
        ),
        ("899900063480^MAX", ok_inst, spec.clone(), "person"),
        (
            "899900063480^MAX~X^^^^^^^&1.2&ISO^D^^^IDNPS",
            ok_inst,
            spec.clone(),
            "person",
        ),
        (ok_person, "CABINET", spec.clone(), "institution"),
        (
            ok_person,
            " CABINET^^^^^&1.2&ISO^IDNST^^^1",
            spec.clone(),
            "institution",
        ),
        (
            ok_person,
            ok_inst,
            Code::new("G15^10", "Médecin", "1.2"),
            "specialty.code",
        ),
        (
            ok_person,
            ok_inst,
            Code::new("G15_10", "", "1.2"),
            "specialty.display",
        ),
    ] {
        let e = XdsAuthor::new(person, inst, &spec, None).unwrap_err();
        assert_eq!(invalid(e).0, field, "{person} {inst}");
    }
}

#[test]
fn updates_validate_against_the_dmp_xsd() {
    let mut bodies = Vec::new();
    let approved = fixture_document(STATUS_APPROVED, &[N, INVISIBLE]);
    let archived = fixture_document(STATUS_ARCHIVED, &[N]);
    for (d, c) in [
        (&approved, AvailabilityChange::Archive),
        (&approved, AvailabilityChange::Delete),
        (&archived, AvailabilityChange::Unarchive),
    ] {
        bodies.push(
            UpdateRequest::availability(submission_set(), d, c)
                .unwrap()
                .to_xml()
                .unwrap(),
        );
    }
    let v = Visibility {
        masked_to_professionals: Some(true),
        invisible_to_patient: Some(false),
        ..Visibility::default()
    };
    bodies.push(
        UpdateRequest::visibility(submission_set(), &approved, &v, NEW_ENTRY)
            .unwrap()
            .to_xml()
            .unwrap(),
    );
    if let Some(docs) = official_documents() {
        for d in [&docs[0], &docs[11], &docs[20]] {
            bodies.push(
                UpdateRequest::visibility(submission_set(), d, &v, "Document01")
                    .unwrap()
                    .to_xml()
                    .unwrap(),
            );
        }
    }
    validate_xds("update", &bodies);
}

/// The confidentiality code constants are the ones the TD2.1 writer uses.
#[test]
fn flag_codes_are_the_model_ones() {
    assert_eq!(Confidentiality::MASQUE_PS, MASQUE.0);
    assert_eq!(Confidentiality::INVISIBLE_PATIENT, INVISIBLE.0);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// A mutated entry (attribute values replaced by any text), any wish and any new id: an
    /// update or a typed input error, never a panic; what is written reads back.
    #[test]
    fn updates_never_panic(
        which in 0usize..200,
        value in "[^<&\"]{0,12}",
        wishes in proptest::array::uniform3(proptest::option::of(proptest::bool::ANY)),
        new_id in "[A-Za-z0-9:_.-]{0,40}",
        change in 0usize..3,
    ) {
        let xml = response(
            STATUS_SUCCESS,
            "",
            &format!(
                "<rim:RegistryObjectList>{}</rim:RegistryObjectList>",
                entry(FIXTURE_ENTRY, STATUS_APPROVED, &[N, MASQUE])
            ),
        );
        let quotes: Vec<usize> = xml.match_indices("=\"").map(|(i, _)| i + 2).collect();
        let at = quotes[which % quotes.len()];
        let end = xml[at..].find('"').map_or(xml.len(), |e| at + e);
        let mutated = format!("{}{}{}", &xml[..at], value, &xml[end..]);
        let Ok(r) = QueryResponse::parse(mutated.as_bytes()) else { return Ok(()) };
        let Some(doc) = r.documents.first() else { return Ok(()) };
        let v = Visibility {
            masked_to_professionals: wishes[0],
            invisible_to_patient: wishes[1],
            invisible_to_legal_representatives: wishes[2],
        };
        let changes = [AvailabilityChange::Archive, AvailabilityChange::Unarchive, AvailabilityChange::Delete];
        for built in [
            UpdateRequest::visibility(submission_set(), doc, &v, &new_id),
            UpdateRequest::availability(submission_set(), doc, changes[change]),
        ] {
            match built.and_then(|u| u.to_xml()) {
                Ok(body) => {
                    let back = read_back(&body);
                    proptest::prop_assert_eq!(back.submission_sets.len(), 1);
                }
                Err(e) => proptest::prop_assert!(e.as_invalid().is_some(), "{}", e),
            }
        }
    }
}
