//! What the sandbox does with documents once stored, over real mutual-TLS sockets: TD3.3
//! (mask, visibility, archive, delete), RPLC, confidentiality between structures, the
//! habilitation matrix, tampered signatures, the fault hooks, the rights of the ES
//! certificate and the emergency access modes.

mod support;

use dmp_core::actor::ActorProfile;
use dmp_core::consent::Consent;
use dmp_core::consult::{self, ConsultRequest, EntryArgs, Response, Transaction};
use dmp_core::feed::FeedRequest;
use dmp_core::habilitation::AccessMode;
use dmp_core::ids::Ins;
use dmp_core::model::DocumentKind;
use dmp_core::soap::mtom::HttpRequest;
use dmp_core::xds::{
    DocumentRef, DocumentRequest, DocumentStatus, FindDocuments, QueryResponse, RegistryResponse,
    StoredQuery,
};
use support::*;

const LEFEBVRE: &str = "245036912304502";
const TEST_OID: &str = "1.2.250.1.213.1.4.10";
const EHPAD: (&str, &str) = ("ehpad-etablissement", "org-auth-cli.p12");
const MEDECIN: (&str, &str) = ("medecin-coordonnateur-cps", "cps-auth.p12");

fn ins() -> Ins {
    Ins::parse(LEFEBVRE, TEST_OID).unwrap()
}

/// A sandbox on a fresh data directory (the seeded usagers, no document).
fn bare(name: &str) -> dmp_sandbox::Sandbox {
    start(&temp_dir(name))
}

/// `transaction` built by the core as `who` (an actor profile).
fn request(who: &ActorProfile, transaction: Transaction, seed: u64) -> HttpRequest {
    let consent = match who.access_mode {
        AccessMode::Normal => Consent::care_team(now()),
        _ => Consent::Emergency {
            usager_objected: false,
        },
    };
    consult(
        &ConsultRequest {
            actor: who.clone(),
            consent: Some(consent),
            transaction,
        },
        seed,
    )
}

/// Sends `transaction` as `who` over TLS with `p12`.
fn send(base: &str, who: &ActorProfile, p12: &str, transaction: Transaction, seed: u64) -> Answer {
    post(base, p12, &request(who, transaction, seed)).unwrap()
}

/// Every entry of the résident `who` sees, every status asked.
fn find(base: &str, who: &ActorProfile, p12: &str) -> QueryResponse {
    let mut q = FindDocuments::new(ins());
    q.statuses = vec![
        DocumentStatus::Approved,
        DocumentStatus::Archived,
        DocumentStatus::Deprecated,
    ];
    let a = send(
        base,
        who,
        p12,
        Transaction::Search {
            ins: ins(),
            query: StoredQuery::FindDocuments(q),
        },
        11,
    );
    assert_eq!(a.status, 200, "{}", a.text());
    QueryResponse::parse(&a.body).unwrap()
}

/// The uniqueIds and statuses `who` sees.
fn seen(base: &str, who: &ActorProfile, p12: &str) -> Vec<(String, DocumentStatus)> {
    find(base, who, p12)
        .documents
        .into_iter()
        .filter(|d| d.patient_id.starts_with(LEFEBVRE))
        .map(|d| (d.unique_id, d.status))
        .collect()
}

/// A TD3.3 as the médecin coordonnateur (the establishment's certificate may not) on
/// `unique_id`, its entry resolved by a TD3.1.
fn update(base: &str, unique_id: &str, make: impl FnOnce(EntryArgs) -> Transaction) -> Answer {
    post(base, MEDECIN.1, &update_request(base, unique_id, make)).unwrap()
}

/// The TD3.3 request of [`update`], built on the entry TD3.1 answers now.
fn update_request(
    base: &str,
    unique_id: &str,
    make: impl FnOnce(EntryArgs) -> Transaction,
) -> HttpRequest {
    let medecin = actor(MEDECIN.0);
    let found = send(
        base,
        &medecin,
        MEDECIN.1,
        Transaction::Reference {
            ins: ins(),
            query: StoredQuery::GetDocuments {
                by: DocumentRef::UniqueIds(vec![unique_id.to_owned()]),
                home_community_id: None,
            },
        },
        12,
    );
    assert_eq!(found.status, 200, "{}", found.text());
    let mut args = EntryArgs {
        ins: ins(),
        unique_id: unique_id.to_owned(),
        content_type_code: None,
        entry: None,
    };
    args.resolve(&found.body).unwrap();
    request(&medecin, make(args), 13)
}

fn registry(a: &Answer) -> RegistryResponse {
    assert_eq!(a.status, 200, "{}", a.text());
    RegistryResponse::parse(&a.body).unwrap()
}

fn retrieve(base: &str, who: &ActorProfile, p12: &str, unique_id: &str) -> Answer {
    send(
        base,
        who,
        p12,
        Transaction::Retrieve {
            ins: ins(),
            documents: vec![DocumentRequest::dmp(unique_id)],
        },
        14,
    )
}

/// Feeds the DLU sample (seed `seed`, changed by `tamper`) as the EHPAD.
fn feed(base: &str, seed: u64, tamper: impl FnOnce(&mut FeedRequest)) {
    let a = post(base, EHPAD.1, &feed_request(seed, tamper)).unwrap();
    let r = registry(&a);
    assert!(r.is_success(), "{:?}", r.errors);
}

fn stored(sandbox: &dmp_sandbox::Sandbox) -> Vec<dmp_sandbox::DocumentRow> {
    sandbox.store().unwrap().documents(LEFEBVRE).unwrap()
}

fn last_unique_id(sandbox: &dmp_sandbox::Sandbox) -> String {
    stored(sandbox).last().unwrap().unique_id.clone()
}

/// A professional of another structure: the same médecin (her card) working in a cabinet.
fn medecin_elsewhere() -> ActorProfile {
    let mut m = actor(MEDECIN.0);
    m.structure_id = Some("499900100068001".into());
    m.structure.name = "Cabinet médical du Parc".into();
    m
}

#[test]
fn mask_hides_from_other_structures_and_unmask_shows_again() {
    let sandbox = bare("mask");
    let base = sandbox.base_url();
    feed(&base, 3001, |_| {});
    let id = last_unique_id(&sandbox);
    let medecin = actor(MEDECIN.0);
    let elsewhere = medecin_elsewhere();
    assert_eq!(seen(&base, &elsewhere, MEDECIN.1).len(), 1);

    let r = registry(&update(&base, &id, Transaction::Mask));
    assert!(r.is_success(), "{:?}", r.errors);
    let row = stored(&sandbox).pop().unwrap();
    assert!(row.masque_ps);
    assert_eq!((row.status.as_str(), row.version), ("approved", 1));
    // The submitting structure's médecin still sees it; another structure's does not, and
    // may not retrieve it.
    assert_eq!(
        seen(&base, &medecin, MEDECIN.1),
        [(id.clone(), DocumentStatus::Approved)]
    );
    assert!(seen(&base, &elsewhere, MEDECIN.1).is_empty());
    let a = retrieve(&base, &elsewhere, MEDECIN.1, &id);
    assert_eq!(a.status, 200, "{}", a.text());
    match consult::parse_message(&a.message()).unwrap() {
        Response::Retrieve(rr) => {
            assert!(rr.documents.is_empty());
            assert_eq!(rr.registry.errors[0].error_code, "XDSDocumentUniqueIdError");
        }
        other => panic!("not a TD3.2 answer: {}", other.render()),
    }

    let r = registry(&update(&base, &id, Transaction::Unmask));
    assert!(r.is_success(), "{:?}", r.errors);
    assert!(!stored(&sandbox).pop().unwrap().masque_ps);
    assert_eq!(
        seen(&base, &elsewhere, MEDECIN.1),
        [(id, DocumentStatus::Approved)]
    );
    sandbox.stop();
}

#[test]
fn visibility_to_the_usager_and_legal_representatives_is_stored() {
    let sandbox = bare("visibility");
    let base = sandbox.base_url();
    feed(&base, 3002, |_| {});
    let id = last_unique_id(&sandbox);
    let r = registry(&update(&base, &id, |entry| Transaction::Visibility {
        entry,
        patient: Some(false),
        legal_representatives: Some(false),
    }));
    assert!(r.is_success(), "{:?}", r.errors);
    let row = stored(&sandbox).pop().unwrap();
    assert!(row.invisible_patient && row.invisible_representants_legaux);
    assert!(!row.masque_ps);
    // Professionals still see it.
    assert_eq!(
        seen(&base, &actor(MEDECIN.0), MEDECIN.1),
        [(id, DocumentStatus::Approved)]
    );
    sandbox.stop();
}

#[test]
fn archive_unarchive_then_delete() {
    let sandbox = bare("archive");
    let base = sandbox.base_url();
    feed(&base, 3003, |_| {});
    let id = last_unique_id(&sandbox);
    let medecin = actor(MEDECIN.0);

    let archive = update_request(&base, &id, Transaction::Archive);
    let r = registry(&post(&base, MEDECIN.1, &archive).unwrap());
    assert!(r.is_success(), "{:?}", r.errors);
    assert_eq!(stored(&sandbox).pop().unwrap().status, "archived");
    assert_eq!(
        seen(&base, &medecin, MEDECIN.1),
        [(id.clone(), DocumentStatus::Archived)]
    );
    // The same request again: the current status is no longer the announced original one.
    let r = registry(&post(&base, MEDECIN.1, &archive).unwrap());
    assert_eq!(r.errors[0].error_code, "XDSMetadataUpdateError");
    assert_eq!(stored(&sandbox).pop().unwrap().status, "archived");

    let r = registry(&update(&base, &id, Transaction::Unarchive));
    assert!(r.is_success(), "{:?}", r.errors);
    assert_eq!(stored(&sandbox).pop().unwrap().status, "approved");
    assert_eq!(
        seen(&base, &medecin, MEDECIN.1),
        [(id.clone(), DocumentStatus::Approved)]
    );

    let r = registry(&update(&base, &id, Transaction::Delete));
    assert!(r.is_success(), "{:?}", r.errors);
    assert_eq!(stored(&sandbox).pop().unwrap().status, "deleted");
    assert!(seen(&base, &medecin, MEDECIN.1).is_empty());
    let log = sandbox.store().unwrap().access_log().unwrap();
    let td33: Vec<_> = log
        .iter()
        .filter(|r| r.transaction == "TD3.3")
        .map(|r| r.outcome.as_str())
        .collect();
    assert_eq!(td33, ["OK", "XDSMetadataUpdateError", "OK", "OK"]);
    sandbox.stop();
}

/// The replacement sample (`examples/data/feed/replacement.json`, DLU v2) replacing `old`.
fn replacement(seed: u64, old_entry_uuid: &str) -> HttpRequest {
    let dir = repo("examples/data/feed");
    let mut request =
        FeedRequest::from_json(&std::fs::read_to_string(dir.join("replacement.json")).unwrap())
            .unwrap();
    request
        .resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    request.documents[0].replaces_entry_uuid = Some(old_entry_uuid.to_owned());
    build_feed(&request, seed)
}

#[test]
fn a_replacement_deprecates_the_old_version_and_keeps_the_logical_id() {
    let sandbox = bare("rplc");
    let base = sandbox.base_url();
    feed(&base, 3004, |_| {});
    let v1 = stored(&sandbox).pop().unwrap();
    let a = post(&base, EHPAD.1, &replacement(3005, &v1.entry_uuid)).unwrap();
    let r = registry(&a);
    assert!(r.is_success(), "{:?}", r.errors);
    let rows = stored(&sandbox);
    assert_eq!(rows.len(), 2);
    let (old, new) = (&rows[0], &rows[1]);
    assert_eq!((old.status.as_str(), old.version), ("deprecated", 1));
    assert_eq!((new.status.as_str(), new.version), ("approved", 2));
    assert_eq!(new.lid, v1.entry_uuid);
    assert_eq!(old.lid, v1.entry_uuid);
    assert_eq!(new.unique_id, "1.2.250.1.999.1.1.7898.3.1002");
    // TD3.1 answers both versions with their status, logical id and version.
    let found = find(&base, &actor(MEDECIN.0), MEDECIN.1);
    let mut versions: Vec<_> = found
        .documents
        .iter()
        .map(|d| {
            (
                d.unique_id.as_str(),
                d.status.clone(),
                d.logical_id.as_deref().unwrap_or(""),
                d.version.as_deref().unwrap_or(""),
            )
        })
        .collect();
    versions.sort_by_key(|v| v.3);
    assert_eq!(
        versions,
        [
            (
                v1.unique_id.as_str(),
                DocumentStatus::Deprecated,
                v1.entry_uuid.as_str(),
                "1"
            ),
            (
                "1.2.250.1.999.1.1.7898.3.1002",
                DocumentStatus::Approved,
                v1.entry_uuid.as_str(),
                "2"
            ),
        ]
    );
    // Replacing the deprecated version again is refused, nothing stored.
    let a = post(&base, EHPAD.1, &replacement(3006, &v1.entry_uuid)).unwrap();
    let r = registry(&a);
    assert!(!r.is_success());
    assert_eq!(stored(&sandbox).len(), 2);
    sandbox.stop();
}

#[test]
fn a_type_the_profession_may_not_read_is_filtered_and_refused() {
    let sandbox = bare("matrix");
    let base = sandbox.base_url();
    // A bilan psychologique (83901-9): the matrix refuses it to nurses, not to médecins.
    feed(&base, 3007, |r| {
        let h = r.documents[0].header.as_mut().unwrap();
        h.kind = DocumentKind::BilanPsychologique;
        h.title = "Bilan psychologique".into();
    });
    let id = last_unique_id(&sandbox);
    assert_eq!(stored(&sandbox)[0].type_code, "83901-9");
    let infirmier = actor("ide-ecps");
    assert!(seen(&base, &infirmier, EHPAD.1).is_empty());
    let a = retrieve(&base, &infirmier, EHPAD.1, &id);
    match consult::parse_message(&a.message()).unwrap() {
        Response::Retrieve(rr) => {
            assert!(rr.documents.is_empty());
            assert_eq!(rr.registry.errors[0].error_code, "XDSDocumentUniqueIdError");
        }
        other => panic!("not a TD3.2 answer: {}", other.render()),
    }
    assert_eq!(
        seen(&base, &actor(MEDECIN.0), MEDECIN.1),
        [(id, DocumentStatus::Approved)]
    );
    sandbox.stop();
}

#[test]
fn a_tampered_xades_is_refused_and_nothing_stored() {
    let sandbox = bare("xades");
    let base = sandbox.base_url();
    // The XAdES part is the last MIME part: its ds:SignatureValue, then a manifest digest.
    // The XAdES part is the last signature of the message: its SignatureValue, then the
    // first part digest of its Manifest.
    for (n, what) in [(0u64, "SignatureValue"), (1, "Manifest")] {
        let mut request = feed_request(3100 + n, |_| {});
        let body = &mut request.body;
        let find = |body: &[u8], needle: &[u8]| {
            body.windows(needle.len())
                .rposition(|w| w == needle)
                .unwrap()
        };
        let at = match what {
            "SignatureValue" => find(body, b"SignatureValue>"),
            _ => {
                let m = find(body, b"<Manifest Id=");
                m + body[m..]
                    .windows(12)
                    .position(|w| w == b"DigestValue>")
                    .unwrap()
            }
        };
        let value = at + body[at..].iter().position(|&b| b == b'>').unwrap() + 1 + 4;
        body[value] = if body[value] == b'A' { b'B' } else { b'A' };
        let a = post(&base, EHPAD.1, &request).unwrap();
        let r = registry(&a);
        assert!(!r.is_success());
        assert_eq!(r.errors[0].error_code, "XDSRegistryMetadataError", "{what}");
        assert!(stored(&sandbox).is_empty());
    }
    sandbox.stop();
}

#[test]
fn drop_mid_response_cuts_the_answer_once() {
    let mut config = dmp_sandbox::SandboxConfig::embedded(temp_dir("mid"));
    config.seed_documents = false;
    config.fault = Some(dmp_sandbox::Fault::DropMidResponse { count: 1 });
    let sandbox = dmp_sandbox::Sandbox::start(config).unwrap();
    let base = sandbox.base_url();
    let r = feed_request(3200, |_| {});
    let e = post(&base, EHPAD.1, &r).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}");
    // Committed before the answer was cut; the next answer is whole.
    assert_eq!(stored(&sandbox).len(), 1);
    let a = post(&base, EHPAD.1, &r).unwrap();
    assert_eq!(
        registry(&a).errors[0].error_code,
        "XDSDuplicateUniqueIdInRegistry"
    );
    sandbox.stop();
}

/// The child process of [`abort_after_store_commits_then_kills_the_process`].
const ABORT_CHILD: &str = "DMP_SANDBOX_TEST_ABORT_CHILD";

#[test]
fn abort_after_store_commits_then_kills_the_process() {
    if let Ok(dir) = std::env::var(ABORT_CHILD) {
        // The child: a sandbox that aborts after its first stored submission.
        let mut config = dmp_sandbox::SandboxConfig::embedded(dir.into());
        config.seed_documents = false;
        config.fault = Some(dmp_sandbox::Fault::AbortAfterStore);
        let sandbox = dmp_sandbox::Sandbox::start(config).unwrap();
        println!("LISTEN {}", sandbox.base_url());
        // Wait for the abort; a parent that died leaves us on a bounded wait.
        std::thread::sleep(std::time::Duration::from_secs(60));
        std::process::exit(3);
    }
    let dir = temp_dir("abort");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "abort_after_store_commits_then_kills_the_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ABORT_CHILD, &dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_once("LISTEN ")
                .map(|(_, url)| url.trim().to_owned())
        })
        .expect("the child sandbox did not start");
    let r = feed_request(3300, |_| {});
    assert!(post(&base, EHPAD.1, &r).is_err());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child did not abort"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(!status.success());
    assert_ne!(
        status.code(),
        Some(3),
        "the child exited instead of aborting"
    );
    // Restarted on the same data: the submission is there, whole.
    let sandbox = start(&dir);
    let rows = stored(&sandbox);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "approved");
    let cda = sandbox
        .store()
        .unwrap()
        .cda(&rows[0].unique_id)
        .unwrap()
        .unwrap();
    assert!(cda.starts_with(b"<?xml") || cda.starts_with(b"<ClinicalDocument"));
    sandbox.stop();
}

/// A TD3.2 under the establishment's VIHF (indirect mode, ES certificate), which the client
/// library refuses to build: the médecin's TD3.2 body put under a TD0.2 envelope of the
/// EHPAD (the VIHF signs the assertion only), sent as MTOM to the repository.
fn retrieve_with_es_certificate(unique_id: &str) -> HttpRequest {
    let medecin = consult_built(
        &ConsultRequest {
            actor: actor(MEDECIN.0),
            consent: Some(Consent::care_team(now())),
            transaction: Transaction::Retrieve {
                ins: ins(),
                documents: vec![DocumentRequest::dmp(unique_id)],
            },
        },
        15,
    );
    let ehpad = consult_built(
        &ConsultRequest {
            actor: actor(EHPAD.0),
            consent: None,
            transaction: Transaction::Status { ins: ins() },
        },
        16,
    );
    let env = String::from_utf8(ehpad.envelope).unwrap();
    let body = String::from_utf8(ehpad.body).unwrap();
    let env = env
        .replace(&body, std::str::from_utf8(&medecin.body).unwrap())
        .replace(
            dmp_core::soap::action::PRPA_IN201307UV02,
            dmp_core::soap::action::RETRIEVE_DOCUMENT_SET,
        )
        .replace(
            dmp_core::soap::endpoint::PATIENTS,
            dmp_core::soap::endpoint::REPOSITORY,
        );
    dmp_core::soap::mtom::build_to(
        dmp_core::soap::endpoint::REPOSITORY,
        env.as_bytes(),
        &[],
        "MIMEBoundary_test",
        dmp_core::soap::action::RETRIEVE_DOCUMENT_SET,
    )
    .unwrap()
}

#[test]
fn the_establishment_certificate_may_not_retrieve_documents() {
    let sandbox = bare("es-td32");
    let base = sandbox.base_url();
    feed(&base, 3400, |_| {});
    let id = last_unique_id(&sandbox);
    let a = post(&base, EHPAD.1, &retrieve_with_es_certificate(&id)).unwrap();
    assert_eq!(a.status, 400, "{}", a.text());
    assert!(
        a.content_type.starts_with("multipart/related"),
        "{}",
        a.content_type
    );
    match consult::parse_message(&a.message()).unwrap() {
        Response::Fault(f) => assert!(
            f.reason().contains("Accès refusé") && f.reason().contains("TD3.2"),
            "{}",
            f.reason()
        ),
        other => panic!("not a fault: {}", other.render()),
    }
    let log = sandbox.store().unwrap().access_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.transaction.as_str(), last.outcome.as_str()),
        ("TD3.2", "SOAP Fault")
    );
    sandbox.stop();
}

#[test]
fn bris_de_glace_is_served_and_logged_as_such() {
    let sandbox = bare("bdg");
    let base = sandbox.base_url();
    feed(&base, 3500, |_| {});
    let id = last_unique_id(&sandbox);
    let mut urgentiste = actor(MEDECIN.0);
    urgentiste.access_mode = AccessMode::BrisDeGlace;
    urgentiste.justification = Some("Patiente inconsciente aux urgences".into());
    assert_eq!(
        seen(&base, &urgentiste, MEDECIN.1),
        [(id, DocumentStatus::Approved)]
    );
    let log = sandbox.store().unwrap().access_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.transaction.as_str(), last.outcome.as_str()),
        ("TD3.1", "OK")
    );
    assert!(last.bris_de_glace);
    assert_eq!(last.who, "899900100019");
    assert!(!log[0].bris_de_glace);
    sandbox.stop();
}

#[test]
fn usager_view_follows_the_visibility_flags() {
    use dmp_sandbox::UsagerViewer::{LegalRepresentative, Usager};
    let sandbox = bare("usager-view");
    let base = sandbox.base_url();
    feed(&base, 3101, |_| {});
    let id = last_unique_id(&sandbox);
    let store = sandbox.store().unwrap();
    let view = |viewer| -> Vec<String> {
        store
            .usager_view(LEFEBVRE, viewer)
            .unwrap()
            .into_iter()
            .map(|d| d.unique_id)
            .collect()
    };
    assert_eq!(view(Usager), [id.as_str()]);
    assert_eq!(view(LegalRepresentative), [id.as_str()]);

    // Hidden from the legal representatives only.
    let r = registry(&update(&base, &id, |entry| Transaction::Visibility {
        entry,
        patient: None,
        legal_representatives: Some(false),
    }));
    assert!(r.is_success(), "{:?}", r.errors);
    assert_eq!(view(Usager), [id.as_str()]);
    assert!(view(LegalRepresentative).is_empty());

    // Hidden from the usager (until the announcement): from their representatives too.
    let r = registry(&update(&base, &id, |entry| Transaction::Visibility {
        entry,
        patient: Some(false),
        legal_representatives: Some(true),
    }));
    assert!(r.is_success(), "{:?}", r.errors);
    assert!(view(Usager).is_empty());
    assert!(view(LegalRepresentative).is_empty());
    sandbox.stop();
}

#[test]
fn the_usagers_masking_hides_the_document_from_other_structures() {
    let sandbox = bare("usager-mask");
    let base = sandbox.base_url();
    feed(&base, 3102, |_| {});
    let id = last_unique_id(&sandbox);
    let store = sandbox.store().unwrap();
    let medecin = actor(MEDECIN.0);
    let elsewhere = medecin_elsewhere();

    let row = store.mask_by_usager(LEFEBVRE, &id, true).unwrap();
    assert!(row.masque_ps);
    assert!(stored(&sandbox).pop().unwrap().masque_ps);
    let log = store.access_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (
            last.who.as_str(),
            last.mode.as_str(),
            last.transaction.as_str()
        ),
        ("usager", "Mon espace santé", "masquage par l'usager")
    );
    // Another structure's médecin no longer finds it; the submitting structure does, and
    // TD3.1 answers the new confidentiality code.
    assert!(seen(&base, &elsewhere, MEDECIN.1).is_empty());
    let own = find(&base, &medecin, MEDECIN.1);
    let codes: Vec<&str> = own.documents[0]
        .confidentiality
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(codes, ["N", "MASQUE_PS"]);

    // Masking twice changes nothing; an unknown document is refused; both say so.
    let e = store.mask_by_usager(LEFEBVRE, &id, true).unwrap_err();
    assert!(e.to_string().contains("changes nothing"), "{e}");
    let e = store.mask_by_usager(LEFEBVRE, "1.2.3.4", true).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Mon espace santé: the DMP of 245036912304502 shows its usager no document 1.2.3.4 to mask"
    );

    store.mask_by_usager(LEFEBVRE, &id, false).unwrap();
    assert_eq!(
        seen(&base, &elsewhere, MEDECIN.1),
        [(id, DocumentStatus::Approved)]
    );
    sandbox.stop();
}
