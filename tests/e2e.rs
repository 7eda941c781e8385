//! End to end, over real sockets on 127.0.0.1 with real mutual TLS: every transaction the
//! sandbox serves, sent by `dmp_transport::Session` with the sample actor profiles and the
//! test keys of `examples/pki/`, and the refusals each side must produce, typed. One fresh
//! sandbox (and data directory) per test.

use std::path::PathBuf;

use chrono::Utc;
use dmp_core::consult::{ConsultRequest, EntryArgs, Response, Transaction};
use dmp_core::feed::{BuiltRequest, FeedRequest};
use dmp_core::xds::{DocumentRequest, DocumentStatus, QueryResponse, RegistryDocument};
use dmp_sandbox::{Sandbox, SandboxConfig, Store};
use dmp_transport::{Outcome, Session};

mod e2e_support;

use e2e_support::*;

/// A valid INS the sandbox has no DMP for.
const UNKNOWN_INS: &str = "279035121518989";
/// The uniqueId of the DLU's version 2 (`examples/data/cases/dlu-v2.json`).
const DLU_V2_ID: &str = "1.2.250.1.999.1.1.7898.3.1002";

/// A sandbox on a fresh data directory, stopped and removed at the end of the test.
struct Dmp {
    sandbox: Option<Sandbox>,
    dir: PathBuf,
}

impl Dmp {
    fn start(name: &str) -> Dmp {
        let dir = temp_dir(name);
        // The usagers without the seeded hospital documents: the tests count what they feed.
        let mut config = SandboxConfig::embedded(dir.clone());
        config.seed_documents = false;
        let sandbox = Sandbox::start(config).expect("sandbox");
        Dmp {
            sandbox: Some(sandbox),
            dir,
        }
    }

    fn base(&self) -> String {
        self.sandbox.as_ref().expect("running").base_url()
    }

    fn store(&self) -> Store {
        Store::open(&self.dir).expect("store")
    }

    /// The uniqueIds and statuses stored for the résidente, in order.
    fn stored(&self) -> Vec<(String, String, bool)> {
        self.store()
            .documents(LEFEBVRE)
            .expect("documents")
            .into_iter()
            .map(|d| (d.unique_id, d.status, d.masque_ps))
            .collect()
    }
}

impl Drop for Dmp {
    fn drop(&mut self) {
        if let Some(s) = self.sandbox.take() {
            s.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The DLU version 2, replacing the entry `entry_uuid` (RPLC).
fn dlu_v2(entry_uuid: &str) -> FeedRequest {
    feed_request(
        &serde_json::json!({
            "profile": "../actors/ehpad-etablissement.json",
            "documents": [{
                "case": "../cases/dlu-v2.json",
                "replaces_entry_uuid": entry_uuid,
                "comments": "Mise à jour du DLU"
            }],
            "identity_status": "qualifiee"
        })
        .to_string(),
    )
}

/// The refusal of a refused outcome: its code and every detail text, joined.
fn refused(what: &str, outcome: Outcome) -> (String, String, Response) {
    match outcome {
        Outcome::Refused {
            error, response, ..
        } => {
            let texts: Vec<String> = error
                .details
                .iter()
                .map(|d| {
                    format!(
                        "{} {}",
                        d.code.as_deref().unwrap_or(""),
                        d.text.as_deref().unwrap_or("")
                    )
                })
                .collect();
            (error.code, texts.join("; "), response)
        }
        other => panic!("{what}: expected a refusal, got {}", other.to_json()),
    }
}

fn entry<'a>(found: &'a QueryResponse, unique_id: &str) -> &'a RegistryDocument {
    found
        .documents
        .iter()
        .find(|d| d.unique_id == unique_id)
        .unwrap_or_else(|| panic!("TD3.1 does not list {unique_id}"))
}

fn ids(found: &QueryResponse) -> Vec<&str> {
    found
        .documents
        .iter()
        .map(|d| d.unique_id.as_str())
        .collect()
}

fn confidentiality(d: &RegistryDocument) -> Vec<&str> {
    let mut c: Vec<&str> = d.confidentiality.iter().map(|c| c.code.as_str()).collect();
    c.sort_unstable();
    c
}

/// Feeds the sample DLU as the EHPAD; returns the CDA bytes sent.
fn feed_dlu(dmp: &Dmp) -> Vec<u8> {
    let ehpad = ehpad(&dmp.base());
    let built = build(&ehpad, &dlu(), 1);
    let (uri, cda) = built
        .cdas()
        .first()
        .map(|(u, c)| (u.to_string(), c.to_vec()))
        .expect("one CDA");
    assert_eq!(uri.trim_start_matches("urn:oid:"), DLU_ID);
    let (r, _, confirmed) = accepted("TD2.1", ehpad.send_built(&built.http));
    assert!(!confirmed, "answered directly, not by the landing check");
    match r {
        Response::Registry { response, .. } => assert!(response.is_success()),
        other => panic!("TD2.1: not a registry response: {}", other.render()),
    }
    cda
}

/// A TD3.3 on the DLU as `who`, its entry taken from a fresh TD3.1 answer.
fn update(who: &Session, unique_id: &str, make: impl FnOnce(EntryArgs) -> Transaction) -> Outcome {
    let (_, bytes) = find(
        who,
        LEFEBVRE,
        &[DocumentStatus::Approved, DocumentStatus::Archived],
    );
    let mut args = EntryArgs {
        ins: ins(LEFEBVRE),
        unique_id: unique_id.to_owned(),
        content_type_code: None,
        entry: None,
    };
    args.resolve(&bytes)
        .expect("the entry is in the TD3.1 answer");
    who.consult(&ConsultRequest {
        actor: who.profile.clone(),
        consent: care(),
        transaction: make(args),
    })
    .expect("TD3.3 built")
}

fn retrieve(who: &Session, unique_id: &str) -> Outcome {
    who.consult(&ConsultRequest {
        actor: who.profile.clone(),
        consent: care(),
        transaction: Transaction::Retrieve {
            ins: ins(LEFEBVRE),
            documents: vec![DocumentRequest::dmp(unique_id)],
        },
    })
    .expect("TD3.2 built")
}

#[test]
fn td02_status_of_a_known_and_of_an_unknown_ins() {
    let dmp = Dmp::start("status");
    let ehpad = ehpad(&dmp.base());
    let status = |m: &str| {
        let (r, http, _) = accepted(
            "TD0.2",
            ehpad
                .consult(&ConsultRequest {
                    actor: ehpad.profile.clone(),
                    consent: None,
                    transaction: Transaction::Status { ins: ins(m) },
                })
                .expect("TD0.2 built"),
        );
        assert_eq!(http.status, 200);
        match r {
            Response::Status(s) => s,
            other => panic!("TD0.2: not a status answer: {}", other.render()),
        }
    };
    let known = status(LEFEBVRE);
    assert!(known.exists);
    assert_eq!(
        known.ins().expect("INS in the answer").matricule().as_str(),
        LEFEBVRE
    );
    let unknown = status(UNKNOWN_INS);
    assert!(!unknown.exists);
    let log: Vec<(String, String)> = dmp
        .store()
        .access_log()
        .expect("log")
        .into_iter()
        .map(|r| (r.transaction, r.outcome))
        .collect();
    assert_eq!(
        log,
        [
            ("TD0.2".to_owned(), "OK".to_owned()),
            ("TD0.2".to_owned(), "NF".to_owned())
        ]
    );
}

#[test]
fn td21_then_td31_find_and_reference_then_td32_same_bytes() {
    let dmp = Dmp::start("feed");
    let sent = feed_dlu(&dmp);
    assert_eq!(
        dmp.stored(),
        [(DLU_ID.to_owned(), "approved".to_owned(), false)]
    );
    let doctor = doctor(&dmp.base());

    let (found, _) = find(&doctor, LEFEBVRE, &[DocumentStatus::Approved]);
    assert_eq!(ids(&found), [DLU_ID]);
    let e = entry(&found, DLU_ID);
    assert_eq!(e.status, DocumentStatus::Approved);
    assert_eq!(e.patient_id, format!("{LEFEBVRE}^^^&{INS_OID}&ISO^NH"));
    assert_eq!(e.title.as_deref(), Some("Dossier de liaison d'urgence"));

    // The reference search (GetDocuments by uniqueId) finds the same entry.
    let reference = reference(&doctor, LEFEBVRE, &[DLU_ID.to_owned()]);
    assert_eq!(ids(&reference), [DLU_ID]);
    assert_eq!(entry(&reference, DLU_ID).entry_uuid, e.entry_uuid);

    // TD3.2: the very bytes sent.
    let (r, http, _) = accepted("TD3.2", retrieve(&doctor, DLU_ID));
    assert_eq!(http.status, 200);
    let Response::Retrieve(got) = r else {
        panic!("TD3.2: not a retrieval answer");
    };
    assert_eq!(got.documents.len(), 1);
    assert_eq!(got.documents[0].document_unique_id, DLU_ID);
    assert_eq!(got.documents[0].bytes.as_ref(), sent.as_slice());
}

#[test]
fn td21_replacement_deprecates_the_old_version() {
    let dmp = Dmp::start("replace");
    feed_dlu(&dmp);
    let doctor = doctor(&dmp.base());
    let (found, _) = find(&doctor, LEFEBVRE, &[DocumentStatus::Approved]);
    let old = entry(&found, DLU_ID).clone();

    let ehpad = ehpad(&dmp.base());
    let (r, _, _) = accepted(
        "TD2.1 RPLC",
        ehpad
            .feed(&dlu_v2(&old.entry_uuid))
            .expect("TD2.1 RPLC built"),
    );
    assert!(matches!(r, Response::Registry { ref response, .. } if response.is_success()));

    let (found, _) = find(
        &doctor,
        LEFEBVRE,
        &[DocumentStatus::Approved, DocumentStatus::Deprecated],
    );
    let mut listed: Vec<(&str, DocumentStatus)> = found
        .documents
        .iter()
        .map(|d| (d.unique_id.as_str(), d.status.clone()))
        .collect();
    listed.sort_by_key(|(id, _)| id.to_owned());
    assert_eq!(
        listed,
        [
            (DLU_ID, DocumentStatus::Deprecated),
            (DLU_V2_ID, DocumentStatus::Approved)
        ]
    );
    let new = entry(&found, DLU_V2_ID);
    assert_eq!(new.logical_id, old.logical_id, "same lid");
    assert_eq!(new.version.as_deref(), Some("2"));
    let (approved, _) = find(&doctor, LEFEBVRE, &[DocumentStatus::Approved]);
    assert_eq!(ids(&approved), [DLU_V2_ID]);
}

#[test]
fn td33_every_update_as_the_medecin_seen_by_td31() {
    let dmp = Dmp::start("update");
    feed_dlu(&dmp);
    let doctor = doctor(&dmp.base());
    let ok = |what: &str, o: Outcome| {
        let (r, _, _) = accepted(what, o);
        match r {
            Response::Registry { response, .. } => assert!(response.is_success(), "{what}"),
            other => panic!("{what}: not a registry response: {}", other.render()),
        }
    };
    let all = [DocumentStatus::Approved, DocumentStatus::Archived];

    // TD3.3b then TD3.3a, checked in the store here; `td31_shows_the_visibility_flags` checks
    // that TD3.1 shows the flags, and unmasks.
    ok(
        "visibility",
        update(&doctor, DLU_ID, |entry| Transaction::Visibility {
            entry,
            patient: Some(false),
            legal_representatives: None,
        }),
    );
    let rows = dmp.store().documents(LEFEBVRE).expect("documents");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].invisible_patient && !rows[0].masque_ps);
    // Masked to professionals: she still sees it (her structure submitted it).
    ok("mask", update(&doctor, DLU_ID, Transaction::Mask));
    assert_eq!(
        dmp.stored(),
        [(DLU_ID.to_owned(), "approved".to_owned(), true)]
    );
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert_eq!(ids(&found), [DLU_ID]);

    ok("archive", update(&doctor, DLU_ID, Transaction::Archive));
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert_eq!(entry(&found, DLU_ID).status, DocumentStatus::Archived);
    let (approved, _) = find(&doctor, LEFEBVRE, &[DocumentStatus::Approved]);
    assert!(approved.documents.is_empty());

    ok("unarchive", update(&doctor, DLU_ID, Transaction::Unarchive));
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert_eq!(entry(&found, DLU_ID).status, DocumentStatus::Approved);

    ok("delete", update(&doctor, DLU_ID, Transaction::Delete));
    assert_eq!(
        dmp.stored(),
        [(DLU_ID.to_owned(), "deleted".to_owned(), true)]
    );
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert!(found.documents.is_empty(), "a deleted document is hidden");
}

#[test]
fn td03_authorize_then_td04_lists_the_usager() {
    use dmp_core::authorization::{AuthorizationAction, DateType};
    let dmp = Dmp::start("authorize");
    let doctor = doctor(&dmp.base());
    accepted(
        "TD0.3",
        doctor
            .consult(&ConsultRequest {
                actor: doctor.profile.clone(),
                consent: care(),
                transaction: Transaction::Authorize {
                    ins: ins(LEFEBVRE),
                    action: AuthorizationAction::Add,
                },
            })
            .expect("TD0.3 built"),
    );
    let (r, _, _) = accepted(
        "TD0.4",
        doctor
            .consult(&ConsultRequest {
                actor: doctor.profile.clone(),
                consent: None,
                transaction: Transaction::AuthorizedList {
                    ins: ins(LEFEBVRE),
                    since: Utc::now() - chrono::Duration::days(1),
                    date_type: DateType::LastAuthorization,
                },
            })
            .expect("TD0.4 built"),
    );
    let Response::AuthorizedList(list) = r else {
        panic!("TD0.4: not a list");
    };
    assert_eq!(list.patients.len(), 1);
    assert_eq!(list.patients[0].last_name.as_deref(), Some("LEFEBVRE"));
}

/// A client certificate the sandbox does not accept: the handshake fails, nothing leaves.
fn refused_handshake(p12: &str) {
    let dmp = Dmp::start("handshake");
    let ehpad = session(
        profile("ehpad-etablissement", |v| {
            v["transport"]["client_certificate"]["p12"] = format!("../../pki/{p12}").into();
        }),
        "org-sign.p12",
        &dmp.base(),
    );
    let outcome = ehpad.feed(&dlu()).expect("TD2.1 built");
    match &outcome {
        Outcome::FailedBeforeSending { reason, attempts } => {
            assert_eq!(*attempts, 2, "each allowed attempt: {reason}");
            assert!(
                reason.contains(&dmp.base()) || reason.contains("127.0.0.1"),
                "{reason}"
            );
        }
        other => panic!(
            "{p12}: expected failed_before_sending, got {}",
            other.to_json()
        ),
    }
    assert!(dmp.stored().is_empty());
    assert!(dmp.store().access_log().expect("log").is_empty());
}

#[test]
fn rogue_client_certificate_fails_before_sending() {
    refused_handshake("rogue-org-auth-cli.p12");
}

#[test]
fn expired_client_certificate_fails_before_sending() {
    refused_handshake("expired-org-auth-cli.p12");
}

/// Flips one base64 character of the first `<…DigestValue>` or `<…SignatureValue>` found
/// after the XAdES signature starts in the MIME body.
fn tamper_xades(built: &mut BuiltRequest, element: &str) {
    let body = &mut built.http.body;
    let sig_start = find_bytes(body, b"QualifyingProperties")
        .or_else(|| find_bytes(body, b"SignedProperties"))
        .expect("the XAdES signature is in the request");
    // The XAdES part: search backwards for its <ds:Signature start would need XML; the
    // manifest and its values follow `sig_start` or precede it within the part, so search
    // the part around it.
    let part_start = body[..sig_start]
        .windows(2)
        .rposition(|w| w == b"--")
        .unwrap_or(0);
    let at = find_bytes(&body[part_start..], element.as_bytes())
        .map(|i| part_start + i)
        .expect("the element is in the XAdES part");
    let value = body[at..]
        .iter()
        .position(|&b| b == b'>')
        .map(|i| at + i + 1)
        .expect("element end");
    body[value] = if body[value] == b'A' { b'B' } else { b'A' };
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn tampered_xades_is_refused_by_the_registry_and_nothing_stored() {
    let dmp = Dmp::start("xades");
    let ehpad = ehpad(&dmp.base());
    for element in ["SignatureValue>", "DigestValue>"] {
        let mut built = build(&ehpad, &dlu(), 1);
        tamper_xades(&mut built, element);
        let (code, text, response) = refused(element, ehpad.send_built(&built.http));
        assert_eq!(code, "Failure");
        assert!(
            text.contains("XDSRegistryMetadataError"),
            "{element}: {text}"
        );
        assert!(matches!(response, Response::Registry { .. }));
        assert!(dmp.stored().is_empty(), "{element}: nothing stored");
    }
}

#[test]
fn td32_as_the_establishment_is_refused_by_the_core() {
    let dmp = Dmp::start("es-td32");
    let ehpad = ehpad(&dmp.base());
    let err = ehpad
        .consult(&ConsultRequest {
            actor: ehpad.profile.clone(),
            consent: care(),
            transaction: Transaction::Retrieve {
                ins: ins(LEFEBVRE),
                documents: vec![DocumentRequest::dmp(DLU_ID)],
            },
        })
        .expect_err("the core refuses a TD3.2 with the establishment certificate");
    let text = err.to_string();
    assert!(text.contains("TD3.2"), "{text}");
    assert!(dmp.store().access_log().expect("log").is_empty());
}

#[test]
fn td32_of_the_medecin_over_the_establishment_tls_identity_is_refused() {
    let dmp = Dmp::start("vihf-tls");
    let sent = feed_dlu(&dmp);
    assert!(!sent.is_empty());
    // The médecin's VIHF (signed with her card), the EHPAD's TLS certificate.
    let mixed = Session {
        client: ehpad(&dmp.base()).client,
        profile: profile("medecin-coordonnateur-cps", |_| {}),
        identity: identity("cps-sign.p12"),
        rights: dmp_core::habilitation::Rights::embedded().unwrap(),
    };
    let (code, text, response) = refused("TD3.2", retrieve(&mixed, DLU_ID));
    assert!(matches!(response, Response::Fault(_)), "{code}");
    assert!(
        text.contains("Le certificat d'authentification TLS ne correspond pas au VIHF"),
        "{code}: {text}"
    );
}

#[test]
fn a_masked_document_is_hidden_from_another_structure() {
    let dmp = Dmp::start("masked");
    feed_dlu(&dmp);
    let doctor = doctor(&dmp.base());
    let (r, _, _) = accepted("mask", update(&doctor, DLU_ID, Transaction::Mask));
    assert!(matches!(r, Response::Registry { ref response, .. } if response.is_success()));

    // The same card, practising in another structure.
    let elsewhere = session(
        profile("medecin-coordonnateur-cps", |v| {
            v["structure"]["name"] = "Centre hospitalier de test".into();
            v["structure"]["finess"] = "690000880".into();
        }),
        "cps-sign.p12",
        &dmp.base(),
    );
    let (found, _) = find(&elsewhere, LEFEBVRE, &[DocumentStatus::Approved]);
    assert!(found.documents.is_empty(), "masked: {:?}", ids(&found));
    let (own, _) = find(&doctor, LEFEBVRE, &[DocumentStatus::Approved]);
    assert_eq!(ids(&own), [DLU_ID], "her structure still sees it");

    let (code, text, _) = refused("TD3.2 masked", retrieve(&elsewhere, DLU_ID));
    assert_eq!(code, "Failure");
    assert!(text.contains("XDSDocumentUniqueIdError"), "{text}");
}

#[test]
fn td31_shows_the_visibility_flags() {
    let dmp = Dmp::start("flags");
    feed_dlu(&dmp);
    let doctor = doctor(&dmp.base());
    let all = [DocumentStatus::Approved];
    accepted("mask", update(&doctor, DLU_ID, Transaction::Mask));
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert!(confidentiality(entry(&found, DLU_ID)).contains(&"MASQUE_PS"));
    accepted("unmask", update(&doctor, DLU_ID, Transaction::Unmask));
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert!(!confidentiality(entry(&found, DLU_ID)).contains(&"MASQUE_PS"));
    accepted(
        "visibility",
        update(&doctor, DLU_ID, |entry| Transaction::Visibility {
            entry,
            patient: Some(false),
            legal_representatives: None,
        }),
    );
    let (found, _) = find(&doctor, LEFEBVRE, &all);
    assert!(confidentiality(entry(&found, DLU_ID)).contains(&"INVISIBLE_PATIENT"));
    accepted("mask", update(&doctor, DLU_ID, Transaction::Mask));
    let rows = dmp.store().documents(LEFEBVRE).expect("documents");
    assert!(rows[0].invisible_patient && rows[0].masque_ps, "flags kept");
}
