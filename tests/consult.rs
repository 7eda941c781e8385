//! Consulting and managing the DMP (`dmp_core::consult`): every transaction built for the
//! sample actors (rights, consent, signer, structure against the official requests, the VIHF
//! of the actor), and every official answer read into its typed response; mutated answers
//! give a typed error, never a panic.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::actor::{ActorProfile, AuthMode};
use dmp_core::authorization::{AuthorizationAction, DateType};
use dmp_core::consent::{self, Consent};
use dmp_core::consult::{
    self, BuiltConsult, ConsultRequest, EntryArgs, Response, Transaction, TransactionKind,
};
use dmp_core::crypto::CheckedSigner;
use dmp_core::feed::{FeedContext, IdGenerator};
use dmp_core::habilitation::{AccessMode, Matrix, Outcome};
use dmp_core::ids::Ins;
use dmp_core::soap::{self, mtom};
use dmp_core::vihf::{self, VihfMode};
use dmp_core::xds::{DocumentRef, DocumentRequest, DocumentStatus, FindDocuments, StoredQuery};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xmldsig::{self, VerifyOptions};
use dmp_core::Error;
use proptest::prelude::*;

const ORG_SIGN: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const CPS_SIGN: &[u8] = include_bytes!("../examples/pki/cps-sign.p12");
const AT: &str = common::TEST_AT;
/// The official samples' test INS (the TD3.1 response's entries are for it).
const SAMPLE_INS: &str = "207058575627097";
/// The uniqueId of the first (approved) entry of the official TD3.1 response.
const SAMPLE_UNIQUE_ID: &str = "1.2.250.1.999.1.1.7898.1.995657292";

/// A TD3.1 answer of our own (no ../shared needed): one approved entry of the sample EHPAD's
/// DLU for the sample usager, with the confidentiality `N` and the patient's flag.
const OWN_SEARCH_RESPONSE: &str =
    include_str!("../examples/data/responses/search-dlu.response.xml");
const OWN_UNIQUE_ID: &str = "1.2.250.1.999.1.1.7898.5.1";
/// In the same answer: a projet personnalisé masked to professionals, an archived DLU.
const MASKED_UNIQUE_ID: &str = "1.2.250.1.999.1.1.7898.5.2";
const ARCHIVED_UNIQUE_ID: &str = "1.2.250.1.999.1.1.7898.5.3";
const OWN_INS: &str = "245036912304502";

fn now() -> DateTime<FixedOffset> {
    AT.parse().unwrap()
}

fn signer(p12: &[u8]) -> CheckedSigner {
    common::test_signer(p12)
}

fn actor(name: &str) -> ActorProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/actors")
        .join(format!("{name}.json"));
    ActorProfile::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The signer that fits a sample actor: the card for the direct-mode médecin, the
/// establishment's seal otherwise.
fn signer_for(actor: &ActorProfile) -> CheckedSigner {
    match actor.mode {
        AuthMode::Directe => signer(CPS_SIGN),
        _ => signer(ORG_SIGN),
    }
}

fn ins(matricule: &str) -> Ins {
    Ins::parse(matricule, "1.2.250.1.213.1.4.10").unwrap()
}

fn request(
    actor: ActorProfile,
    consent: Option<Consent>,
    transaction: Transaction,
) -> ConsultRequest {
    ConsultRequest {
        actor,
        consent,
        transaction,
    }
}

fn build_seeded(r: &ConsultRequest, seed: u64) -> dmp_core::Result<BuiltConsult> {
    let signer = signer_for(&r.actor);
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
        rights: None,
    };
    consult::build(r, &mut ctx)
}

fn build(r: &ConsultRequest) -> dmp_core::Result<BuiltConsult> {
    build_seeded(r, 7)
}

fn care_team() -> Option<Consent> {
    Some(Consent::care_team(
        "2026-01-05T10:00:00+01:00".parse().unwrap(),
    ))
}

fn rule(e: &Error) -> (&str, &str) {
    let inv = e
        .as_invalid()
        .unwrap_or_else(|| panic!("not a validation error: {e}"));
    (inv.field.as_str(), inv.rule.as_str())
}

fn entry(kind: &str, matricule: &str, unique_id: &str, search: &[u8]) -> EntryArgs {
    let mut e = EntryArgs {
        ins: ins(matricule),
        unique_id: unique_id.to_owned(),
        content_type_code: None,
        entry: None,
    };
    e.resolve(search)
        .unwrap_or_else(|err| panic!("{kind}: {err}"));
    e
}

/// One request of every kind, each by the sample actor allowed to make it, on our own TD3.1
/// answer.
fn every_kind() -> Vec<(&'static str, ConsultRequest)> {
    let establishment = actor("ehpad-etablissement");
    let doctor = actor("medecin-coordonnateur-cps");
    let nurse = actor("ide-ecps");
    let search = OWN_SEARCH_RESPONSE.as_bytes();
    let e = |kind| entry(kind, OWN_INS, OWN_UNIQUE_ID, search);
    vec![
        (
            "status",
            request(
                establishment.clone(),
                None,
                Transaction::Status { ins: ins(OWN_INS) },
            ),
        ),
        (
            "search",
            request(
                doctor.clone(),
                care_team(),
                Transaction::Search {
                    ins: ins(OWN_INS),
                    query: StoredQuery::FindDocuments(FindDocuments::new(ins(OWN_INS))),
                },
            ),
        ),
        (
            "reference",
            request(
                establishment.clone(),
                None,
                Transaction::Reference {
                    ins: ins(OWN_INS),
                    query: StoredQuery::GetDocuments {
                        by: DocumentRef::UniqueIds(vec![OWN_UNIQUE_ID.into()]),
                        home_community_id: None,
                    },
                },
            ),
        ),
        (
            "retrieve",
            request(
                nurse,
                Some(Consent::Explicit {
                    given_at: "2026-11-20T14:50:00+01:00".parse().unwrap(),
                    collected_by: None,
                    withdrawn: false,
                }),
                Transaction::Retrieve {
                    ins: ins(OWN_INS),
                    documents: vec![DocumentRequest::dmp(OWN_UNIQUE_ID)],
                },
            ),
        ),
        (
            "mask",
            request(doctor.clone(), None, Transaction::Mask(e("mask"))),
        ),
        (
            "visibility",
            request(
                doctor.clone(),
                None,
                Transaction::Visibility {
                    entry: e("visibility"),
                    patient: Some(false),
                    legal_representatives: None,
                },
            ),
        ),
        (
            "archive",
            request(doctor.clone(), None, Transaction::Archive(e("archive"))),
        ),
        (
            "delete",
            request(
                establishment.clone(),
                None,
                Transaction::Delete(e("delete")),
            ),
        ),
        (
            "authorize",
            request(
                doctor.clone(),
                None,
                Transaction::Authorize {
                    ins: ins(OWN_INS),
                    action: AuthorizationAction::Add,
                },
            ),
        ),
        (
            "authorized_list",
            request(
                doctor,
                None,
                Transaction::AuthorizedList {
                    ins: ins(OWN_INS),
                    since: "2026-01-01T00:00:00Z".parse().unwrap(),
                    date_type: DateType::LastDoc,
                },
            ),
        ),
    ]
}

#[test]
fn every_kind_is_built_deterministically_for_its_service() {
    for (name, r) in every_kind() {
        let built = build(&r).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(build(&r).unwrap(), built, "{name}: same inputs, same bytes");
        assert_ne!(
            build_seeded(&r, 8).unwrap().http.body,
            built.http.body,
            "{name}: the seed counts"
        );
        let kind = r.transaction.kind();
        assert_eq!(built.transaction, kind.code(), "{name}");
        assert_eq!(
            Some(built.http.path.as_str()),
            soap::endpoint::for_action(kind.action()),
            "{name}"
        );
        let ct = built.http.header("Content-Type").unwrap();
        assert!(ct.contains(kind.action()), "{name}: {ct}");
        let info = soap::parse_envelope(&built.envelope).unwrap();
        assert_eq!(info.action.as_deref(), Some(kind.action()), "{name}");
        assert_eq!(info.version, soap::SoapVersion::Soap12, "{name}");
        assert_eq!(
            info.to.as_deref(),
            Some(format!("https://localhost:8443{}", built.http.path).as_str()),
            "the sample profiles target the sandbox"
        );
        if kind.is_mtom() {
            assert!(ct.starts_with("multipart/related"), "{name}: {ct}");
            let message = built.http.to_message();
            let m = mtom::parse_message(&message).unwrap();
            assert_eq!(&m.root.bytes[..], &built.envelope[..]);
        } else {
            assert!(ct.starts_with("application/soap+xml"), "{name}: {ct}");
            assert_eq!(built.http.body, built.envelope);
        }
    }
}

#[test]
fn the_vihf_names_the_actor_mode_access_mode_and_usager_and_is_signed() {
    for (name, r) in every_kind() {
        let built = build(&r).unwrap();
        let token = vihf::security_token(&built.envelope).unwrap();
        assert_eq!(token.mode, Some(r.actor.vihf_mode()), "{name}");
        assert_eq!(token.name_id, r.actor.user.idnat.to_string(), "{name}");
        assert_eq!(token.structure_id, r.actor.structure_id(), "{name}");
        assert_eq!(token.purpose_of_use.as_deref(), Some("normal"), "{name}");
        assert_eq!(
            token.resource_id.as_deref(),
            Some(r.transaction.patient().to_cx().as_str()),
            "{name}"
        );
        let reports = xmldsig::verify(
            &built.envelope,
            &VerifyOptions::new(now().with_timezone(&Utc)),
        )
        .unwrap();
        assert!(
            reports.iter().any(|s| s.covers(&token.span)),
            "{name}: a valid signature covers the VIHF"
        );
    }
    // Bris de glace: the purpose of use says so.
    let mut doctor = actor("medecin-coordonnateur-cps");
    doctor.access_mode = AccessMode::BrisDeGlace;
    doctor.justification = Some("Résidente inconsciente après une chute".into());
    let r = request(
        doctor,
        Some(Consent::Emergency {
            usager_objected: false,
        }),
        Transaction::Retrieve {
            ins: ins(OWN_INS),
            documents: vec![DocumentRequest::dmp(OWN_UNIQUE_ID)],
        },
    );
    let built = build(&r).unwrap();
    let token = vihf::security_token(&built.envelope).unwrap();
    assert_eq!(token.purpose_of_use.as_deref(), Some("bris_de_glace"));
    assert_eq!(token.mode, Some(VihfMode::Directe));
}

#[test]
fn functional_rights_refuse_with_the_row_and_the_mode() {
    let establishment = actor("ehpad-etablissement");
    // TD3.2 and a metadata search with the establishment certificate.
    for transaction in [
        Transaction::Retrieve {
            ins: ins(OWN_INS),
            documents: vec![DocumentRequest::dmp(OWN_UNIQUE_ID)],
        },
        Transaction::Search {
            ins: ins(OWN_INS),
            query: StoredQuery::FindDocuments(FindDocuments::new(ins(OWN_INS))),
        },
    ] {
        let e = build(&request(establishment.clone(), care_team(), transaction)).unwrap_err();
        assert_eq!(rule(&e), ("actor.mode", consult::RULE_RIGHTS));
        assert!(e.as_invalid().unwrap().value.contains("indirecte"), "{e}");
    }
    // TD3.3a/b/d with the establishment certificate.
    let search = OWN_SEARCH_RESPONSE.as_bytes();
    for t in [
        Transaction::Mask(entry("mask", OWN_INS, OWN_UNIQUE_ID, search)),
        Transaction::Archive(entry("archive", OWN_INS, OWN_UNIQUE_ID, search)),
    ] {
        let e = build(&request(establishment.clone(), None, t)).unwrap_err();
        assert_eq!(rule(&e).1, consult::RULE_RIGHTS);
    }
    // TD0.3 is direct mode only.
    let e = build(&request(
        establishment.clone(),
        None,
        Transaction::Authorize {
            ins: ins(OWN_INS),
            action: AuthorizationAction::Add,
        },
    ))
    .unwrap_err();
    assert_eq!(rule(&e).1, consult::RULE_RIGHTS);
    // TD0.4 with the certificate: new authorisations by date only.
    let list = |date_type| Transaction::AuthorizedList {
        ins: ins(OWN_INS),
        since: "2026-01-01T00:00:00Z".parse().unwrap(),
        date_type,
    };
    let e = build(&request(
        establishment.clone(),
        None,
        list(DateType::LastDoc),
    ))
    .unwrap_err();
    assert_eq!(rule(&e).0, "transaction.date_type");
    build(&request(
        establishment,
        None,
        list(DateType::LastAuthorization),
    ))
    .unwrap();
}

#[test]
fn delete_with_the_certificate_only_for_the_structures_own_document() {
    let Some(official) = common::official_message("TD3.1-Recherche_de_document.response.xml")
    else {
        return;
    };
    // A hospital's document: refused with the EHPAD's certificate, accepted with the card.
    let t = Transaction::Delete(entry("delete", SAMPLE_INS, SAMPLE_UNIQUE_ID, &official));
    let e = build(&request(actor("ehpad-etablissement"), None, t.clone())).unwrap_err();
    assert_eq!(
        rule(&e),
        ("transaction.unique_id", consult::RULE_OWN_DOCUMENT)
    );
    build(&request(actor("medecin-coordonnateur-cps"), None, t)).unwrap();
}

#[test]
fn a_consultation_needs_the_applicable_consent() {
    let doctor = actor("medecin-coordonnateur-cps");
    let search = Transaction::Search {
        ins: ins(OWN_INS),
        query: StoredQuery::FindDocuments(FindDocuments::new(ins(OWN_INS))),
    };
    let e = build(&request(doctor.clone(), None, search.clone())).unwrap_err();
    assert_eq!(rule(&e), ("consent", consent::RULE_MISSING));
    let stale = Consent::Explicit {
        given_at: "2026-11-10T10:00:00+01:00".parse().unwrap(),
        collected_by: None,
        withdrawn: false,
    };
    let e = build(&request(doctor.clone(), Some(stale), search.clone())).unwrap_err();
    assert_eq!(rule(&e).1, consent::RULE_EXPLICIT);
    // A reference search, a status, an update need none.
    build(&request(
        doctor.clone(),
        None,
        Transaction::Status { ins: ins(OWN_INS) },
    ))
    .unwrap();
    // The testing override: test platforms only.
    let o = Consent::TestingOverride {
        reason: "recette".into(),
    };
    build(&request(doctor, Some(o), search)).unwrap();
}

#[test]
fn the_signer_must_fit_the_mode_and_the_query_the_usager() {
    let doctor = actor("medecin-coordonnateur-cps");
    let r = request(
        doctor.clone(),
        None,
        Transaction::Status { ins: ins(OWN_INS) },
    );
    let org = signer(ORG_SIGN);
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(1),
        signer: &org,
        rights: None,
    };
    let e = consult::build(&r, &mut ctx).unwrap_err();
    assert_eq!(rule(&e).0, "signer");
    // The query's patient is the VIHF's usager.
    let other = Ins::parse(SAMPLE_INS, "1.2.250.1.213.1.4.10").unwrap();
    let r = request(
        doctor.clone(),
        care_team(),
        Transaction::Search {
            ins: ins(OWN_INS),
            query: StoredQuery::FindDocuments(FindDocuments::new(other)),
        },
    );
    assert_eq!(rule(&build(&r).unwrap_err()).0, "transaction.query.patient");
    // search takes a metadata query, get a GetDocuments.
    let r = request(
        doctor.clone(),
        care_team(),
        Transaction::Search {
            ins: ins(OWN_INS),
            query: StoredQuery::GetDocuments {
                by: DocumentRef::UniqueIds(vec![OWN_UNIQUE_ID.into()]),
                home_community_id: None,
            },
        },
    );
    assert_eq!(rule(&build(&r).unwrap_err()).0, "transaction.query");
    // A production INS on a test platform.
    let r = request(
        doctor,
        None,
        Transaction::Status {
            ins: Ins::parse(OWN_INS, "1.2.250.1.213.1.4.8").unwrap(),
        },
    );
    assert_eq!(rule(&build(&r).unwrap_err()).0, "transaction.ins");
}

#[test]
fn metadata_updates_need_the_current_entry() {
    let mut args = EntryArgs {
        ins: ins(OWN_INS),
        unique_id: OWN_UNIQUE_ID.into(),
        content_type_code: None,
        entry: None,
    };
    let r = request(
        actor("medecin-coordonnateur-cps"),
        None,
        Transaction::Mask(args.clone()),
    );
    assert_eq!(rule(&build(&r).unwrap_err()).0, "transaction.unique_id");
    args.unique_id = "1.2.3.4".into();
    let e = args.resolve(OWN_SEARCH_RESPONSE.as_bytes()).unwrap_err();
    assert_eq!(rule(&e).0, "unique_id");
    let e = args.resolve(b"<not-a-response/>").unwrap_err();
    assert_eq!(rule(&e).0, "search_response");
}

/// The structure of a request: each element path (outside the VIHF) with the attribute
/// names it carries anywhere, and slot paths with their names. Elements marked `xsi:nil`
/// carry nothing and are left out.
fn structure(envelope: &[u8]) -> BTreeMap<String, BTreeSet<String>> {
    const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    let tree = Tree::parse(envelope, &Limits::default()).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in tree.root().descendants_or_self() {
        if e.attr_ns(Some(XSI), "nil") == Some("true") {
            continue;
        }
        let mut path = Vec::new();
        let mut cur = Some(e);
        let mut in_vihf = false;
        while let Some(c) = cur {
            in_vihf |= c.local_name() == "Assertion" && c.id() != e.id();
            path.push(c.local_name().to_owned());
            cur = c.parent();
        }
        if in_vihf {
            continue;
        }
        path.reverse();
        let mut key = path.join("/");
        if e.local_name() == "Slot" {
            key += &format!("[{}]", e.attr("name").unwrap_or(""));
        }
        out.entry(key).or_default().extend(
            e.attributes()
                .filter(|a| !a.qname.starts_with("xmlns") && a.qname != "xsi:nil")
                .map(|a| a.local_name.to_owned()),
        );
    }
    out
}

#[test]
fn requests_have_the_structure_of_the_official_ones() {
    let pairs = [
        ("status", "TD0.2-Test_d_existence.request.xml"),
        ("search", "TD3.1-Recherche_de_document.request.xml"),
        ("retrieve", "TD3.2-Consultation_d_un_document.request.xml"),
        ("archive", "TD3.3d-Archiver_un_document.request.xml"),
        (
            "authorize",
            "TD0.3-Mise_a_jour_de_l_autorisation.request.xml",
        ),
        (
            "authorized_list",
            "TD0.4-Liste_des_DMP_autorises.request.xml",
        ),
    ];
    let kinds = every_kind();
    for (kind, file) in pairs {
        let Some(official) = common::official_message(file) else {
            return;
        };
        let theirs = structure(&official);
        let (_, r) = kinds.iter().find(|(k, _)| *k == kind).unwrap();
        let ours = structure(&build(r).unwrap().envelope);
        let mut missing = Vec::new();
        for (path, attrs) in &theirs {
            // The TD3.3 samples name their submission set ("Compte rendu"): an optional title
            // that we do not send (nor in TD2.1).
            if path.ends_with("RegistryPackage/Name") || path.contains("RegistryPackage/Name/") {
                continue;
            }
            match ours.get(path) {
                None => missing.push(path.clone()),
                Some(o) => {
                    // The official requests write mustUnderstand on ReplyTo without a namespace
                    // (ignored by SOAP); we write the SOAP 1.2 one on Action only.
                    for a in attrs.difference(o) {
                        if !(a == "mustUnderstand" && path.ends_with("ReplyTo")) {
                            missing.push(format!("{path} @{a}"));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{kind} ({file}) misses: {missing:#?}");
    }
}

#[test]
fn every_official_answer_reads_into_its_typed_response() {
    let read = |name: &str| {
        common::official_message(name)
            .map(|b| consult::parse_message(&b).unwrap_or_else(|e| panic!("{name}: {e}")))
    };
    let Some(status) = read("TD0.2-Test_d_existence.response.xml") else {
        return;
    };
    let Response::Status(s) = &status else {
        panic!("TD0.2: {status:?}")
    };
    assert!(s.exists);
    assert_eq!(s.medecin_traitant, Some(true));
    assert_eq!(s.internet_account_open, Some(true));
    assert_eq!(s.attached_to_mon_espace_sante, Some(false));
    assert_eq!(s.authorization.as_ref().map(|a| a.code()), Some("VALIDE"));
    assert!(status.error().is_none());
    assert_eq!(status.transaction(), "TD0.2");

    let r = read("TD1.3a-Consultation.response.xml").unwrap();
    assert_eq!(r.transaction(), "TD1.3a");
    let Response::Status(s) = &r else { panic!() };
    assert_eq!(s.opposition_bris_de_glace, Some(false));

    let search = read("TD3.1-Recherche_de_document.response.xml").unwrap();
    let Response::Search(q) = &search else {
        panic!()
    };
    assert_eq!(q.documents.len(), 21);
    assert_eq!(q.total_result_count, Some(21));
    let first = &q.documents[0];
    assert_eq!(first.unique_id, SAMPLE_UNIQUE_ID);
    assert_eq!(
        first.entry_uuid,
        "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    );
    assert_eq!(first.status, DocumentStatus::Approved);
    assert!(first.invisible_to_patient());
    assert!(!first.masked_to_professionals());
    // The JSON carries what a DUI lists.
    let json = search.to_json();
    assert_eq!(json["transaction"], "TD3.1");
    assert!(json["error"].is_null());
    let d = &json["result"]["documents"][0];
    for key in [
        "entry_uuid",
        "unique_id",
        "status",
        "type_code",
        "title",
        "size",
        "hash",
        "confidentiality",
        "creation_time",
        "repository_unique_id",
    ] {
        assert!(!d[key].is_null(), "documents[0].{key}");
    }
    // Which types the médecin coordonnateur may open (the matrix explains, the DMP decides).
    let matrix = Matrix::embedded().unwrap();
    let decisions = search.habilitation(&matrix, &actor("medecin-coordonnateur-cps").reader());
    assert_eq!(decisions.len(), 21);
    assert!(decisions.iter().any(|(_, d)| d.outcome == Outcome::Allowed));

    for (name, transaction) in [
        ("TD0.3-Mise_a_jour_de_l_autorisation.response.xml", "TD0.3"),
        ("TD0.4-Liste_des_DMP_autorises.response.xml", "TD0.4"),
        (
            "TD1.6-Liste_des_PS_autorises_ou_bloques.response.xml",
            "TD1.6",
        ),
        ("TD2.1-Alimentation.response.xml", "TD2.1"),
        ("TD3.3c-Supprimer_un_document.response.xml", "TD3.3"),
        ("TD3.3d-Archiver_un_document.response.xml", "TD3.3"),
    ] {
        let r = read(name).unwrap();
        assert_eq!(r.transaction(), transaction, "{name}");
        assert!(r.error().is_none(), "{name}: {:?}", r.error());
    }
    let Response::AuthorizedList(l) = read("TD0.4-Liste_des_DMP_autorises.response.xml").unwrap()
    else {
        panic!()
    };
    assert_eq!(l.patients.len(), 2);
    assert_eq!(l.patients[1].last_name.as_deref(), Some("patb-quatre"));
}

#[test]
fn a_retrieve_answer_in_mtom_gives_the_documents_bytes() {
    let cda = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";
    let envelope = format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>\
         <xdsb:RetrieveDocumentSetResponse xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\" \
         xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\">\
         <rs:RegistryResponse status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\"/>\
         <xdsb:DocumentResponse><xdsb:RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2</xdsb:RepositoryUniqueId>\
         <xdsb:DocumentUniqueId>{OWN_UNIQUE_ID}</xdsb:DocumentUniqueId><xdsb:mimeType>text/xml</xdsb:mimeType>\
         <xdsb:Document><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:doc1%40dmp\"/></xdsb:Document>\
         </xdsb:DocumentResponse></xdsb:RetrieveDocumentSetResponse></soap:Body></soap:Envelope>"
    );
    let part = mtom::Part::new("doc1@dmp".to_owned(), "application/octet-stream", &cda[..]);
    let http = mtom::build_to(
        "/",
        envelope.as_bytes(),
        &[part],
        "b1",
        "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
    )
    .unwrap();
    let r = consult::parse_message(&http.to_message()).unwrap();
    let Response::Retrieve(r) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(r.documents.len(), 1);
    assert_eq!(&r.documents[0].bytes[..], &cda[..]);
    assert_eq!(r.documents[0].document_unique_id, OWN_UNIQUE_ID);
}

#[test]
fn faults_and_refusals_are_typed_with_the_dmps_words() {
    let fault = br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:InvalidSecurity</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">Le certificat ayant sign&#233; le VIHF est invalide : Not a valid signature certificate</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#;
    let r = consult::parse_response("application/soap+xml", fault).unwrap();
    assert_eq!(r.transaction(), "fault");
    let e = r.error().unwrap();
    assert_eq!(e.code, "soap:Sender / soap:InvalidSecurity");
    assert!(
        e.to_string().contains("Not a valid signature certificate"),
        "{e}"
    );
    // A fault inside an MTOM answer (ITI-43 answers are MTOM even for faults).
    let http = mtom::build_to(
        "/",
        fault,
        &[],
        "f1",
        "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
    )
    .unwrap();
    let r = consult::parse_message(&http.to_message()).unwrap();
    assert!(matches!(r, Response::Fault(_)));

    let failure = br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><rs:RegistryErrorList><rs:RegistryError errorCode="XDSUnknownPatientId" codeContext="Patient inconnu" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/></rs:RegistryErrorList></rs:RegistryResponse></soap:Body></soap:Envelope>"#;
    let r = consult::parse_response("application/soap+xml", failure).unwrap();
    let e = r.error().unwrap();
    assert_eq!(e.code, "Failure");
    assert_eq!(e.details[0].code.as_deref(), Some("XDSUnknownPatientId"));
    assert_eq!(e.details[0].text.as_deref(), Some("Patient inconnu"));

    let unknown = br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><x:Other xmlns:x="urn:x"/></soap:Body></soap:Envelope>"#;
    let e = consult::parse_response("application/soap+xml", unknown).unwrap_err();
    assert!(e.to_string().contains("Other"), "{e}");
    assert!(consult::parse_message(b"").is_err());
}

fn answers() -> Vec<Vec<u8>> {
    let mut v = vec![OWN_SEARCH_RESPONSE.as_bytes().to_vec()];
    for name in [
        "TD0.2-Test_d_existence.response.xml",
        "TD0.4-Liste_des_DMP_autorises.response.xml",
        "TD3.3d-Archiver_un_document.response.xml",
    ] {
        if let Some(b) = common::official_message(name) {
            v.push(b);
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Truncated, cut or byte-flipped answers: a typed result or a typed error, never a panic.
    #[test]
    fn mutated_answers_never_panic(which in 0usize..4, cut in 0.0f64..1.0, flip in 0usize..5000, byte in any::<u8>()) {
        let all = answers();
        let mut b = all[which % all.len()].clone();
        let at = flip % b.len().max(1);
        if let Some(x) = b.get_mut(at) {
            *x = byte;
        }
        let keep = ((b.len() as f64) * cut) as usize;
        let _ = consult::parse_message(&b);
        let _ = consult::parse_message(&b[..keep]);
        let _ = consult::parse_response("multipart/related; boundary=x", &b[..keep]);
    }
}

#[test]
fn kinds_have_their_rights_rows() {
    assert_eq!(
        TransactionKind::Search.rights_row(),
        ("TD3.1", Some("Rechercher les métadonnées"))
    );
    assert!(TransactionKind::Search.is_consultation());
    assert!(TransactionKind::Retrieve.is_consultation());
    assert!(!TransactionKind::Reference.is_consultation());
    assert!(TransactionKind::Retrieve.is_mtom());
}

/// The JSON forms documented in `docs/schema/consult-request.schema.json` (and the C ABI's
/// documentation) are what the library reads, and every kind the schema lists exists.
#[test]
fn the_documented_json_forms_are_read() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/schema/consult-request.schema.json")).unwrap();
    let kinds = schema["properties"]["transaction"]["properties"]["kind"]["enum"]
        .as_array()
        .unwrap();
    assert_eq!(kinds.len(), 13);
    let actor: serde_json::Value = serde_json::from_str(include_str!(
        "../examples/data/actors/medecin-coordonnateur-cps.json"
    ))
    .unwrap();
    let ins = serde_json::json!({"matricule": OWN_INS, "oid": "1.2.250.1.213.1.4.10"});
    let transactions = [
        serde_json::json!({"kind": "status", "ins": ins}),
        serde_json::json!({"kind": "search", "ins": ins, "query": {"query": "find_documents", "patient": ins}}),
        serde_json::json!({"kind": "search", "ins": ins, "query": {"query": "find_submission_sets", "patient": ins, "submission_time_from": "2026-11-01T00:00:00Z"}}),
        serde_json::json!({"kind": "reference", "ins": ins, "query": {"query": "get_documents", "by": {"unique_ids": [OWN_UNIQUE_ID]}}}),
        serde_json::json!({"kind": "get", "ins": ins, "documents": [{"repository_unique_id": "1.2.250.1.213.4.1.1.1.2", "document_unique_id": OWN_UNIQUE_ID}]}),
        serde_json::json!({"kind": "mask", "ins": ins, "unique_id": OWN_UNIQUE_ID}),
        serde_json::json!({"kind": "unmask", "ins": ins, "unique_id": MASKED_UNIQUE_ID}),
        serde_json::json!({"kind": "visibility", "ins": ins, "unique_id": OWN_UNIQUE_ID, "patient": false}),
        serde_json::json!({"kind": "archive", "ins": ins, "unique_id": OWN_UNIQUE_ID}),
        serde_json::json!({"kind": "unarchive", "ins": ins, "unique_id": ARCHIVED_UNIQUE_ID}),
        serde_json::json!({"kind": "delete", "ins": ins, "unique_id": OWN_UNIQUE_ID}),
        serde_json::json!({"kind": "authorize", "ins": ins, "action": "add"}),
        serde_json::json!({"kind": "authorized_list", "ins": ins, "since": "2026-01-01T00:00:00Z", "date_type": "last_doc"}),
    ];
    let consents = [
        serde_json::json!({"care_team": {"initial_consent_at": "2026-01-05T10:00:00+01:00", "informed": true}}),
        serde_json::json!({"explicit": {"given_at": "2026-11-20T14:30:00+01:00", "collected_by": "IDEC"}}),
        serde_json::json!({"testing_override": {"reason": "recette"}}),
    ];
    let mut seen = BTreeSet::new();
    for (i, t) in transactions.iter().enumerate() {
        let json =
            serde_json::json!({"actor": actor, "consent": consents[i % 3], "transaction": t});
        let mut r: ConsultRequest =
            dmp_core::json::from_str(&json.to_string()).unwrap_or_else(|e| panic!("{t}: {e}"));
        seen.insert(t["kind"].as_str().unwrap().to_owned());
        if let Some(args) = r.transaction.entry_args_mut() {
            args.resolve(OWN_SEARCH_RESPONSE.as_bytes()).unwrap();
        }
        build(&r).unwrap_or_else(|e| panic!("{t}: {e}"));
    }
    seen.insert("retrieve".to_owned()); // `get` is its other name
    for k in kinds {
        assert!(
            seen.contains(k.as_str().unwrap()),
            "{k} is documented and tested"
        );
    }
    // A misspelt key is named.
    let json = serde_json::json!({"actor": actor, "transaction": {"kind": "status", "ins": ins, "insee": 1}});
    let e = dmp_core::json::from_str::<ConsultRequest>(&json.to_string()).unwrap_err();
    assert!(e.to_string().contains("insee"), "{e}");
}
