//! The seeded hospital documents, over real mutual-TLS sockets: what a fresh sandbox answers
//! to TD3.1 and TD3.2 (the seeded PDF, byte for byte), what the habilitation matrix lets a
//! nurse see, restarts that add nothing, a seed directory of the same layout.

mod support;

use std::collections::BTreeSet;

use dmp_core::actor::ActorProfile;
use dmp_core::consent::Consent;
use dmp_core::consult::{self, ConsultRequest, Response, Transaction};
use dmp_core::habilitation::{Matrix, Outcome, Reader};
use dmp_core::ids::Ins;
use dmp_core::xds::{DocumentRequest, DocumentStatus, FindDocuments, QueryResponse, StoredQuery};
use support::*;

const LEFEBVRE: &str = "245036912304502";
const DARTAGNAN: &str = "138027505601229";
const NGUYEN: &str = "212059935012364";
const TEST_OID: &str = "1.2.250.1.213.1.4.10";
const MEDECIN: (&str, &str) = ("medecin-coordonnateur-cps", "cps-auth.p12");
const IDE: (&str, &str) = ("ide-ecps", "org-auth-cli.p12");
/// The hospital's four documents for the résidente.
const HOSPITAL_TYPES: [&str; 4] = ["11502-2", "18748-4", "34112-3", "57833-6"];
const IMAGING_PDF: &[u8] = include_bytes!("../../examples/data/sandbox/lefebvre-cr-imagerie.pdf");

fn ins(m: &str) -> Ins {
    Ins::parse(m, TEST_OID).unwrap()
}

fn request(who: &ActorProfile, transaction: Transaction) -> ConsultRequest {
    ConsultRequest {
        actor: who.clone(),
        consent: Some(Consent::care_team(now())),
        transaction,
    }
}

/// FindDocuments (approved) on `m` as `who`.
fn find(base: &str, who: (&str, &str), m: &str) -> QueryResponse {
    let q = FindDocuments::new(ins(m));
    let r = request(
        &actor(who.0),
        Transaction::Search {
            ins: ins(m),
            query: StoredQuery::FindDocuments(q),
        },
    );
    let a = post(base, who.1, &consult(&r, 21)).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    QueryResponse::parse(&a.body).unwrap()
}

fn types(found: &QueryResponse) -> BTreeSet<String> {
    found
        .documents
        .iter()
        .filter_map(|d| Some(d.type_code.as_ref()?.code.clone()))
        .collect()
}

#[test]
fn a_fresh_sandbox_serves_the_hospital_documents_and_restart_adds_nothing() {
    let dir = temp_dir("seeded");
    let sandbox = start_seeded(&dir);
    let base = sandbox.base_url();

    // TD3.1 as the médecin: the four hospital documents, authored at the CH, approved, with
    // what the repository adds (size, hash, repository).
    let found = find(&base, MEDECIN, LEFEBVRE);
    assert_eq!(found.documents.len(), 4);
    assert_eq!(
        types(&found),
        HOSPITAL_TYPES.iter().map(|t| t.to_string()).collect()
    );
    let stored = sandbox.store().unwrap().documents(LEFEBVRE).unwrap();
    for d in &found.documents {
        assert_eq!(d.status, DocumentStatus::Approved);
        assert!(d.patient_id.starts_with(LEFEBVRE), "{}", d.patient_id);
        let institutions: Vec<&str> = d
            .authors
            .iter()
            .flat_map(|a| a.institutions.iter().map(String::as_str))
            .collect();
        assert_eq!(institutions.len(), 1, "{institutions:?}");
        assert!(
            institutions[0].starts_with("CH de Lyon Test^")
                && institutions[0].contains("1690000880"),
            "{}",
            institutions[0]
        );
        assert_eq!(
            d.healthcare_facility_type_code.as_ref().unwrap().code,
            "SA01"
        );
        let cda = sandbox.store().unwrap().cda(&d.unique_id).unwrap().unwrap();
        assert_eq!(d.size, Some(cda.len() as u64));
        assert_eq!(d.hash.as_ref().map(String::len), Some(40));
        assert_eq!(
            d.repository_unique_id.as_deref(),
            Some("1.2.250.1.213.4.1.1.1.2")
        );
        let row = stored.iter().find(|r| r.unique_id == d.unique_id).unwrap();
        assert_eq!((row.structure.as_str(), row.version), ("1690000880", 1));
        assert_eq!(row.entry_uuid, d.entry_uuid);
    }
    let imaging = found
        .documents
        .iter()
        .find(|d| d.type_code.as_ref().unwrap().code == "18748-4")
        .unwrap();
    assert_eq!(imaging.title.as_deref(), Some("Radiographie du bassin"));
    assert_eq!(imaging.unique_id, "1.2.250.1.999.1.1.6900.3.4");

    // TD3.2: the CDA stored, whose N1 body is the seeded PDF byte for byte.
    let r = request(
        &actor(MEDECIN.0),
        Transaction::Retrieve {
            ins: ins(LEFEBVRE),
            documents: vec![DocumentRequest::dmp(imaging.unique_id.clone())],
        },
    );
    let a = post(&base, MEDECIN.1, &consult(&r, 22)).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    match consult::parse_message(&a.message()).unwrap() {
        Response::Retrieve(rr) => {
            assert_eq!(rr.documents.len(), 1);
            let doc = &rr.documents[0];
            assert_eq!(doc.document_unique_id, imaging.unique_id);
            let cda = dmp_core::cda::read(&doc.bytes).unwrap();
            let content = cda.content.unwrap();
            assert_eq!(content.media_type.mime(), "application/pdf");
            assert_eq!(content.data, IMAGING_PDF);
            assert_eq!(
                cda.header.code.as_ref().unwrap().code.as_deref(),
                Some("18748-4")
            );
        }
        other => panic!("not a TD3.2 answer: {}", other.render()),
    }

    // The SSIAD patient has one CR de biologie; the IME child none.
    let dartagnan = find(&base, MEDECIN, DARTAGNAN);
    assert_eq!(types(&dartagnan), BTreeSet::from(["11502-2".to_owned()]));
    assert!(find(&base, MEDECIN, NGUYEN).documents.is_empty());

    // Restart on the same store: nothing added, same ids, same bytes.
    let before: Vec<_> = stored.iter().map(|r| r.entry_uuid.clone()).collect();
    let cda_before = sandbox.store().unwrap().cda(&imaging.unique_id).unwrap();
    sandbox.stop();
    let sandbox = start_seeded(&dir);
    let after = sandbox.store().unwrap().documents(LEFEBVRE).unwrap();
    assert_eq!(
        after
            .iter()
            .map(|r| r.entry_uuid.clone())
            .collect::<Vec<_>>(),
        before
    );
    assert_eq!(
        sandbox.store().unwrap().documents(DARTAGNAN).unwrap().len(),
        1
    );
    assert_eq!(
        sandbox.store().unwrap().cda(&imaging.unique_id).unwrap(),
        cda_before
    );
    sandbox.stop();

    // Another store built from the same seed holds the very same CDA bytes.
    let other = start_seeded(&temp_dir("seeded-again"));
    assert_eq!(
        other.store().unwrap().cda(&imaging.unique_id).unwrap(),
        cda_before
    );
    other.stop();
}

#[test]
fn the_nurse_sees_what_the_matrix_lets_a_nurse_read() {
    let sandbox = start_seeded(&temp_dir("seeded-ide"));
    let base = sandbox.base_url();
    let matrix = Matrix::embedded().unwrap();
    let nurse = Reader::health_professional("60");
    let expected: BTreeSet<String> = HOSPITAL_TYPES
        .iter()
        .filter(|t| matrix.decide(&nurse, t).outcome == Outcome::Allowed)
        .map(|t| t.to_string())
        .collect();
    let found = find(&base, IDE, LEFEBVRE);
    assert_eq!(types(&found), expected);
    assert_eq!(found.documents.len(), expected.len());
    sandbox.stop();
}

#[test]
fn a_seed_directory_without_documents_seeds_usagers_only_and_a_wrong_ins_is_named() {
    let seed = temp_dir("seed-dir");
    std::fs::copy(
        repo("examples/data/sandbox/patients.json"),
        seed.join("patients.json"),
    )
    .unwrap();
    let mut config = dmp_sandbox::SandboxConfig::embedded(temp_dir("seed-dir-data"));
    config.seed_dir = Some(seed.clone());
    let sandbox = dmp_sandbox::Sandbox::start(config.clone()).unwrap();
    let store = sandbox.store().unwrap();
    assert_eq!(store.patients().unwrap().len(), 3);
    assert_eq!(store.documents(LEFEBVRE).unwrap().len(), 0);
    sandbox.stop();

    // A manifest that sends the résidente's case to the SSIAD patient.
    for f in ["lefebvre-cr-imagerie.json", "lefebvre-cr-imagerie.pdf"] {
        std::fs::copy(repo(&format!("examples/data/sandbox/{f}")), seed.join(f)).unwrap();
    }
    std::fs::write(
        seed.join("documents.json"),
        format!(
            r#"[{{"ins": "{DARTAGNAN}", "case": "lefebvre-cr-imagerie.json", "submission_set": "1.2.250.1.999.1.1.6900.4.4"}}]"#
        ),
    )
    .unwrap();
    config.data_dir = temp_dir("seed-dir-data-2");
    let e = dmp_sandbox::Sandbox::start(config)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("documents.json"), "{e}");
    assert!(
        e.contains(&format!(
            "[0].ins: {DARTAGNAN} but the case lefebvre-cr-imagerie.json is for the INS {LEFEBVRE}"
        )),
        "{e}"
    );
}
