//! The sandbox over real mutual-TLS sockets on 127.0.0.1, with requests built by the core
//! exactly as a client builds them.

mod support;

use dmp_core::consent::Consent;
use dmp_core::consult::{self, ConsultRequest, Response, Transaction};
use dmp_core::ids::Ins;
use dmp_core::xds::{DocumentRequest, FindDocuments, QueryResponse, RegistryResponse, StoredQuery};
use support::*;

const LEFEBVRE: &str = "245036912304502";
const TEST_OID: &str = "1.2.250.1.213.1.4.10";

fn ins(m: &str) -> Ins {
    Ins::parse(m, TEST_OID).unwrap()
}

fn status(base: &str, m: &str) -> Answer {
    let r = consult(
        &ConsultRequest {
            actor: actor("ehpad-etablissement"),
            consent: None,
            transaction: Transaction::Status { ins: ins(m) },
        },
        7,
    );
    post(base, "org-auth-cli.p12", &r).unwrap()
}

fn search(base: &str, who: &str, p12: &str) -> QueryResponse {
    let r = consult(
        &ConsultRequest {
            actor: actor(who),
            consent: Some(Consent::care_team(now())),
            transaction: Transaction::Search {
                ins: ins(LEFEBVRE),
                query: StoredQuery::FindDocuments(FindDocuments::new(ins(LEFEBVRE))),
            },
        },
        8,
    );
    let a = post(base, p12, &r).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    QueryResponse::parse(&a.body).unwrap()
}

#[test]
fn status_of_a_seeded_usager_and_of_an_unknown_one() {
    let dir = temp_dir("status");
    let sandbox = start(&dir);
    let a = status(&sandbox.base_url(), LEFEBVRE);
    assert_eq!(a.status, 200, "{}", a.text());
    match consult::parse_message(&a.message()).unwrap() {
        Response::Status(s) => {
            assert!(s.exists);
            assert_eq!(s.ins().unwrap().matricule().as_str(), LEFEBVRE);
        }
        other => panic!("not a TD0.2 answer: {}", other.render()),
    }
    // A valid INS the sandbox has no DMP for.
    let a = status(&sandbox.base_url(), "279035121518989");
    assert_eq!(a.status, 200, "{}", a.text());
    match consult::parse_message(&a.message()).unwrap() {
        Response::Status(s) => assert!(!s.exists),
        other => panic!("not a TD0.2 answer: {}", other.render()),
    }
    let log = sandbox.store().unwrap().access_log().unwrap();
    let outcomes: Vec<_> = log
        .iter()
        .map(|r| (r.transaction.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(outcomes, [("TD0.2", "OK"), ("TD0.2", "NF")]);
    sandbox.stop();
}

#[test]
fn feed_then_search_and_retrieve_the_same_bytes_and_refuse_a_duplicate_then_restart() {
    let dir = temp_dir("feed");
    let sandbox = start(&dir);
    let base = sandbox.base_url();
    let request = feed_request(1001, |_| {});
    let a = post(&base, "org-auth-cli.p12", &request).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    let r = RegistryResponse::parse(&a.body).unwrap();
    assert!(r.is_success(), "{:?}", r.errors);
    let docs = sandbox.store().unwrap().documents(LEFEBVRE).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!((docs[0].status.as_str(), docs[0].version), ("approved", 1));

    // The same submission again: its uniqueIds are taken.
    let a = post(&base, "org-auth-cli.p12", &request).unwrap();
    let r = RegistryResponse::parse(&a.body).unwrap();
    assert!(!r.is_success());
    assert_eq!(r.errors[0].error_code, "XDSDuplicateUniqueIdInRegistry");
    assert_eq!(
        sandbox.store().unwrap().documents(LEFEBVRE).unwrap().len(),
        1
    );

    // The médecin finds it and retrieves the very bytes stored.
    let found = search(&base, "medecin-coordonnateur-cps", "cps-auth.p12");
    assert_eq!(found.documents.len(), 1);
    assert_eq!(found.documents[0].unique_id, docs[0].unique_id);
    // The repository's own facts on the entry: size and SHA-1 of the stored CDA, where it is.
    let cda = sandbox
        .store()
        .unwrap()
        .cda(&docs[0].unique_id)
        .unwrap()
        .unwrap();
    let sha1: String = dmp_core::crypto::DigestAlgorithm::Sha1
        .digest(&cda)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(found.documents[0].size, Some(cda.len() as u64));
    assert_eq!(found.documents[0].hash.as_deref(), Some(sha1.as_str()));
    assert_eq!(
        found.documents[0].repository_unique_id.as_deref(),
        Some("1.2.250.1.213.4.1.1.1.2")
    );
    let r = consult(
        &ConsultRequest {
            actor: actor("medecin-coordonnateur-cps"),
            consent: Some(Consent::care_team(now())),
            transaction: Transaction::Retrieve {
                ins: ins(LEFEBVRE),
                documents: vec![DocumentRequest::dmp(docs[0].unique_id.clone())],
            },
        },
        9,
    );
    let a = post(&base, "cps-auth.p12", &r).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    let stored = sandbox
        .store()
        .unwrap()
        .cda(&docs[0].unique_id)
        .unwrap()
        .unwrap();
    match consult::parse_message(&a.message()).unwrap() {
        Response::Retrieve(rr) => {
            assert_eq!(rr.documents.len(), 1);
            assert_eq!(rr.documents[0].bytes.as_ref(), stored.as_slice());
        }
        other => panic!("not a TD3.2 answer: {}", other.render()),
    }
    sandbox.stop();

    // Restarted on the same data directory: everything is there.
    let sandbox = start(&dir);
    let again = search(
        &sandbox.base_url(),
        "medecin-coordonnateur-cps",
        "cps-auth.p12",
    );
    assert_eq!(again.documents.len(), 1);
    assert_eq!(sandbox.store().unwrap().access_log().unwrap().len(), 5);
    sandbox.stop();
}

#[test]
fn a_tampered_cda_is_refused_and_nothing_stored() {
    let dir = temp_dir("tamper");
    let sandbox = start(&dir);
    let mut request = feed_request(2002, |_| {});
    let at = request
        .body
        .windows(7)
        .position(|w| w == b"<title>")
        .expect("the CDA has a title");
    request.body.insert(at + 7, b'X');
    let a = post(&sandbox.base_url(), "org-auth-cli.p12", &request).unwrap();
    let r = RegistryResponse::parse(&a.body).unwrap();
    assert!(!r.is_success());
    assert_eq!(r.errors[0].error_code, "XDSRegistryMetadataError");
    assert!(sandbox
        .store()
        .unwrap()
        .documents(LEFEBVRE)
        .unwrap()
        .is_empty());
    sandbox.stop();
}

#[test]
fn vihf_structure_must_be_the_tls_certificate_s() {
    let dir = temp_dir("vihf-tls");
    let sandbox = start(&dir);
    // The establishment's VIHF over the card's TLS certificate.
    let r = consult(
        &ConsultRequest {
            actor: actor("ehpad-etablissement"),
            consent: None,
            transaction: Transaction::Status { ins: ins(LEFEBVRE) },
        },
        4,
    );
    let a = post(&sandbox.base_url(), "cps-auth.p12", &r).unwrap();
    assert_eq!(a.status, 400, "{}", a.text());
    let fault = dmp_core::soap::Fault::parse(&a.body).unwrap().unwrap();
    assert!(
        fault.reason().contains("certificat d'authentification TLS"),
        "{}",
        fault.reason()
    );
    sandbox.stop();
}

#[test]
fn expired_and_untrusted_client_certificates_fail_the_handshake() {
    let dir = temp_dir("handshake");
    let sandbox = start(&dir);
    let r = feed_request(5, |_| {});
    for p12 in ["expired-org-auth-cli.p12", "rogue-org-auth-cli.p12"] {
        assert!(
            post(&sandbox.base_url(), p12, &r).is_err(),
            "{p12} was accepted"
        );
    }
    assert!(sandbox.store().unwrap().access_log().unwrap().is_empty());
    sandbox.stop();
}

#[test]
fn the_page_lists_patients_and_escapes_values() {
    let dir = temp_dir("ui");
    let seed = temp_dir("ui-seed");
    std::fs::write(
        seed.join("patients.json"),
        format!(
            r#"[{{"ins":"{LEFEBVRE}","oid":"{TEST_OID}","family":"LEFEBVRE","given":"MARIE",
               "gender":"F","birth_date":"19450317","label":"<script>alert(1)</script>"}}]"#
        ),
    )
    .unwrap();
    let mut config = dmp_sandbox::SandboxConfig::embedded(dir);
    config.seed_dir = Some(seed);
    config.ui = Some("127.0.0.1:0".parse().unwrap());
    let sandbox = dmp_sandbox::Sandbox::start(config).unwrap();
    let a = post(
        &sandbox.base_url(),
        "org-auth-cli.p12",
        &feed_request(6, |_| {}),
    )
    .unwrap();
    assert_eq!(a.status, 200);
    let unique_id = sandbox.store().unwrap().documents(LEFEBVRE).unwrap()[0]
        .unique_id
        .clone();
    let page = get(&sandbox.ui_url().unwrap()).unwrap();
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(&unique_id));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    sandbox.stop();
}

#[test]
fn a_non_loopback_page_address_is_refused() {
    let mut config = dmp_sandbox::SandboxConfig::embedded(temp_dir("ui-addr"));
    config.ui = Some("0.0.0.0:0".parse().unwrap());
    let e = dmp_sandbox::Sandbox::start(config).err().unwrap();
    assert!(e.to_string().contains("loopback"), "{e}");
}

#[test]
fn drop_after_store_commits_then_closes() {
    let mut config = dmp_sandbox::SandboxConfig::embedded(temp_dir("drop"));
    config.seed_documents = false;
    config.fault = Some(dmp_sandbox::Fault::DropAfterStore { count: 1 });
    let sandbox = dmp_sandbox::Sandbox::start(config).unwrap();
    let r = feed_request(77, |_| {});
    assert!(post(&sandbox.base_url(), "org-auth-cli.p12", &r).is_err());
    assert_eq!(
        sandbox.store().unwrap().documents(LEFEBVRE).unwrap().len(),
        1
    );
    // The retry of the same submission: the uniqueId is taken.
    let a = post(&sandbox.base_url(), "org-auth-cli.p12", &r).unwrap();
    let rr = RegistryResponse::parse(&a.body).unwrap();
    assert_eq!(rr.errors[0].error_code, "XDSDuplicateUniqueIdInRegistry");
    sandbox.stop();
}
