//! The journal against the sandbox over real sockets and mutual TLS, the same suite on both
//! backends: SQLite always, PostgreSQL when DMP_TEST_POSTGRES_URL is set.

mod e2e_support;
mod journal_support;

use chrono::{Duration, Utc};
use dmp_core::consent::{ConsentRecord, Scope};
use dmp_core::consult::{ConsultRequest, Response, Transaction};
use dmp_core::habilitation::AccessMode;
use dmp_core::pilotage::{DepositStatus, UsagerEventKind};
use dmp_core::xds::{FindDocuments, StoredQuery};
use dmp_journal::{DepositOptions, Enqueued, Journal, JournalError, State, Store};
use dmp_transport::Outcome;
use e2e_support::*;
use journal_support::*;

/// The médecin coordonnateur's IdNat (the CPS profile).
fn doctor_idnat(j: &dmp_transport::Session) -> String {
    j.profile.user.idnat.to_string()
}

fn search(who: &dmp_transport::Session) -> ConsultRequest {
    ConsultRequest {
        actor: who.profile.clone(),
        consent: None,
        transaction: Transaction::Search {
            ins: ins(LEFEBVRE),
            query: StoredQuery::FindDocuments(FindDocuments::new(ins(LEFEBVRE))),
        },
    }
}

fn record(scope: Scope, professional: Option<&str>, hours_ago: i64) -> ConsentRecord {
    ConsentRecord {
        usager: String::new(),
        scope,
        professional: professional.map(str::to_owned),
        collected_by: "899900100019".into(),
        on_behalf_of: None,
        at: (Utc::now() - Duration::hours(hours_ago)).fixed_offset(),
        withdrawal: false,
        note: "formulaire papier signé".into(),
    }
}

/// Deposit, deposit again (same content: nothing), flush: once in the DMP, bytes dropped,
/// the INS nowhere in the journal.
fn deposit_is_sent_once_and_its_bytes_dropped<S: Store>(j: Journal<S>) {
    let (sandbox, data) = sandbox("jr-once", None);
    let ehpad = ehpad(&sandbox.base_url());
    let first = j
        .deposit(&dlu(), &DepositOptions::default())
        .expect("journaled");
    let [Enqueued::New(id)] = first[..] else {
        panic!("{first:?}")
    };
    let again = j
        .deposit(&dlu(), &DepositOptions::default())
        .expect("journaled");
    assert_eq!(again, [Enqueued::Same(id)]);
    let queued = j.deposit_state(id).expect("deposit");
    assert_eq!(queued.state, State::Queued);
    assert!(queued.request.is_some() && queued.message.is_none());

    let report = j.flush(&ehpad).expect("flush");
    assert_eq!(report.accepted, [id], "{report:?}");
    assert!(report.is_settled());
    assert_accepted_once(&j, id);
    let d = j.deposit_state(id).expect("deposit");
    assert_eq!((d.attempts, d.confirmed_by_check), (1, false));
    assert_eq!(d.unique_id, DLU_ID);
    assert_eq!((d.version, d.kind.as_str()), (1, "dlu"));
    assert!(d.request.is_none() && d.message.is_none(), "bytes dropped");
    assert_eq!(d.usager.len(), 64);
    assert!(!d.usager.contains(LEFEBVRE));
    assert_eq!(d.usager, j.pseudonym(&ins(LEFEBVRE)));
    assert_eq!(d.who.idnat, dlu().user.idnat.to_string());
    assert_eq!(d.who.mode, "indirecte");
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );

    // Nothing more to send.
    assert_eq!(j.flush(&ehpad).expect("flush"), Default::default());
    assert_eq!(stored(&sandbox).len(), 1);
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// Kept on request: the bytes stay after acceptance.
fn bytes_kept_on_request<S: Store>(j: Journal<S>) {
    let (sandbox, data) = sandbox("jr-keep", None);
    let ehpad = ehpad(&sandbox.base_url());
    let options = DepositOptions {
        keep_bytes: true,
        author_role: Some("médecin coordonnateur".into()),
    };
    let id = j.deposit(&dlu(), &options).expect("journaled")[0].id();
    j.flush(&ehpad).expect("flush");
    let d = j.deposit_state(id).expect("deposit");
    assert_eq!(d.state, State::Accepted);
    let message = d.message.expect("kept");
    assert!(
        message.starts_with(b"POST /si-dmp-server/v2/services/repository HTTP/1.1\r\n"),
        "the HTTP message as sent"
    );
    assert_eq!(d.author_role, "médecin coordonnateur");
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// The DUI changes a document already in the DMP: it goes out as RPLC of the DMP's version
/// (a new uniqueId under its setId, version 2), never as a second original.
fn changed_content_goes_out_as_a_replacement<S: Store>(j: Journal<S>) {
    let (sandbox, data) = sandbox("jr-rplc", None);
    let ehpad = ehpad(&sandbox.base_url());
    let first = j.deposit(&dlu(), &DepositOptions::default()).expect("v1")[0].id();
    assert_eq!(j.flush(&ehpad).expect("flush").accepted, [first]);
    let second = j
        .deposit(&changed_dlu(), &DepositOptions::default())
        .expect("v2");
    let [Enqueued::New(second)] = second[..] else {
        panic!("{second:?}")
    };
    assert_eq!(
        j.deposit_state(second).expect("v2").predecessor,
        Some(first)
    );
    assert_eq!(j.flush(&ehpad).expect("flush").accepted, [second]);
    let d = j.deposit_state(second).expect("v2");
    let new_id = "1.2.250.1.999.1.1.7898.3.1000.2";
    assert_eq!(d.unique_id, new_id);
    assert_eq!(d.version, 2);
    assert_eq!(d.replaces.as_deref(), Some(DLU_ID));
    assert_eq!(
        stored(&sandbox),
        [
            (new_id.to_owned(), "approved".to_owned()),
            (DLU_ID.to_owned(), "deprecated".to_owned())
        ]
    );
    let facts = j.all_facts().expect("facts");
    assert_eq!(facts.deposits.len(), 2);
    assert_eq!(facts.deposits[1].replaces.as_deref(), Some(DLU_ID));
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// Changed before it ever left: the older content is superseded, one document goes out.
fn changed_before_sending_supersedes<S: Store>(j: Journal<S>) {
    let (sandbox, data) = sandbox("jr-super", None);
    let ehpad = ehpad(&sandbox.base_url());
    let first = j.deposit(&dlu(), &DepositOptions::default()).expect("v1")[0].id();
    let second = j
        .deposit(&changed_dlu(), &DepositOptions::default())
        .expect("v2");
    let [Enqueued::Superseding { id, old }] = second[..] else {
        panic!("{second:?}")
    };
    assert_eq!(old, first);
    assert_eq!(j.flush(&ehpad).expect("flush").accepted, [id]);
    assert_eq!(j.deposit_state(first).expect("v1").state, State::Superseded);
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// The DMP down: queued, nothing lost; up again: sent once.
fn sandbox_down_then_up<S: Store>(j: Journal<S>) {
    let port = free_port();
    let down = ehpad(&format!("https://127.0.0.1:{port}"));
    let id = j
        .deposit(&dlu(), &DepositOptions::default())
        .expect("journaled")[0]
        .id();
    let report = j.flush(&down).expect("flush");
    assert_eq!(report.queued, [id], "{report:?}");
    let d = j.deposit_state(id).expect("deposit");
    assert_eq!(d.state, State::Queued);
    assert!(d.message.is_some(), "built once, kept for the next send");
    assert!(d.text.as_deref().unwrap_or("").contains(&port.to_string()));
    let message_id = d.message_id.clone();

    let (sandbox, data) = sandbox("jr-down", None);
    let up = ehpad(&sandbox.base_url());
    assert_eq!(j.flush(&up).expect("flush").accepted, [id]);
    let d = j.deposit_state(id).expect("deposit");
    assert_eq!(d.message_id, message_id, "the same request");
    assert_eq!(
        stored(&sandbox),
        [(DLU_ID.to_owned(), "approved".to_owned())]
    );
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// Refused by the DMP: code and text verbatim, kept for the DUI.
fn refused_verbatim<S: Store>(j: Journal<S>, sandbox_dir_name: &str) {
    let (sandbox, data) = sandbox(sandbox_dir_name, None);
    let ehpad = ehpad(&sandbox.base_url());
    // The same uniqueId under another setId: the DMP refuses the duplicate.
    let first = j.deposit(&dlu(), &DepositOptions::default()).expect("a")[0].id();
    let mut twin = changed_dlu();
    twin.documents[0].header.as_mut().expect("header").set_id =
        dmp_core::ids::Oid::new("1.2.250.1.999.1.1.7898.3.7777").expect("oid");
    let second = j.deposit(&twin, &DepositOptions::default()).expect("b")[0].id();
    let report = j.flush(&ehpad).expect("flush");
    assert_eq!(
        (report.accepted, report.refused),
        (vec![first], vec![second])
    );
    let d = j.deposit_state(second).expect("deposit");
    assert_eq!(d.code.as_deref(), Some("XDSDuplicateUniqueIdInRegistry"));
    assert!(d.request.is_some(), "kept after a refusal");
    let facts = j.all_facts().expect("facts");
    assert!(matches!(
        &facts.deposits[1].status,
        DepositStatus::Refused { code, .. } if code == "XDSDuplicateUniqueIdInRegistry"
    ));
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// Consultations only under the register, every one journaled, blocked ones included.
fn consultations_under_the_register<S: Store>(j: Journal<S>) {
    let (sandbox, data) = sandbox("jr-consult", None);
    let doctor = doctor(&sandbox.base_url());
    let idnat = doctor_idnat(&doctor);
    let who = ins(LEFEBVRE);

    // Nothing recorded: blocked, and it says which consent is missing.
    match j.consult(&doctor, &search(&doctor), true) {
        Err(JournalError::Blocked(e)) => {
            let m = e.to_string();
            assert!(m.contains("consent.care_team.initial_consent_at"), "{m}");
            assert!(m.contains("no initial consent"), "{m}");
        }
        other => panic!("expected blocked, got {other:?}"),
    }
    // Initial consent only: the information is missing.
    j.record_consent(&who, record(Scope::CareTeam, None, 48))
        .expect("recorded");
    match j.consult(&doctor, &search(&doctor), true) {
        Err(JournalError::Blocked(e)) => {
            assert!(e.to_string().contains("consent.care_team.informed"), "{e}")
        }
        other => panic!("expected blocked, got {other:?}"),
    }
    j.record_consent(&who, record(Scope::Information, None, 48))
        .expect("recorded");
    let outcome = j.consult(&doctor, &search(&doctor), true).expect("sent");
    assert!(
        matches!(
            outcome,
            Outcome::Accepted {
                response: Response::Search(_),
                ..
            }
        ),
        "{}",
        outcome.to_json()
    );
    // Outside the care team: needs the explicit consent for this professional.
    match j.consult(&doctor, &search(&doctor), false) {
        Err(JournalError::Blocked(e)) => assert!(
            e.to_string()
                .contains(&format!("professional {idnat} is outside")),
            "{e}"
        ),
        other => panic!("expected blocked, got {other:?}"),
    }
    let mut explicit = record(Scope::Explicit, Some(&idnat), 1);
    explicit.on_behalf_of = Some("EHPAD Les Tilleuls".into());
    j.record_consent(&who, explicit).expect("recorded");
    assert_eq!(
        j.consult(&doctor, &search(&doctor), false)
            .expect("sent")
            .kind(),
        "accepted"
    );
    // An objection to this professional stops the care team's access for them.
    j.record_consent(&who, record(Scope::Objection, Some(&idnat), 0))
        .expect("recorded");
    assert!(matches!(
        j.consult(&doctor, &search(&doctor), true),
        Err(JournalError::Blocked(_))
    ));
    // Bris de glace with its justification: journaled with it.
    let mut emergency = search(&doctor);
    emergency.actor.access_mode = AccessMode::BrisDeGlace;
    emergency.actor.justification = Some("chute, patiente inconsciente".into());
    let outcome = j.consult(&doctor, &emergency, true).expect("built");
    // A consent given by the request itself is refused: the register decides.
    let mut own = search(&doctor);
    own.consent = care();
    assert!(matches!(
        j.consult(&doctor, &own, true),
        Err(JournalError::Invalid(_))
    ));

    let log = j.consultations(&who).expect("log");
    let outcomes: Vec<&str> = log.iter().map(|c| c.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "blocked",
            "blocked",
            "accepted",
            "blocked",
            "accepted",
            "blocked",
            outcome.kind()
        ]
    );
    assert_eq!(log[2].consent, "care_team");
    assert_eq!(log[4].consent, "explicit");
    assert_eq!(log[6].consent, "emergency");
    assert_eq!(log[6].access_mode, "bris_de_glace");
    assert_eq!(
        log[6].justification.as_deref(),
        Some("chute, patiente inconsciente")
    );
    assert!(log[2].message_id.is_some() && log[0].message_id.is_none());
    assert_eq!(log[2].transaction, "TD3.1");

    let export = j.export_usager(&who).expect("export");
    assert_eq!(export["usager"], j.pseudonym(&who));
    assert_eq!(export["consents"].as_array().map(Vec::len), Some(4));
    assert_eq!(export["consultations"].as_array().map(Vec::len), Some(7));
    assert_eq!(export["consents"][2]["on_behalf_of"], "EHPAD Les Tilleuls");
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

/// The facts pilotage reads: usagers, deposits, consultations, events, within the period.
fn facts_for_pilotage<S: Store>(j: Journal<S>) {
    let (sandbox, data) = sandbox("jr-facts", None);
    let ehpad = ehpad(&sandbox.base_url());
    let who = ins(LEFEBVRE);
    let key = j
        .register_usager(&who, "EHPAD-000123", "EHPAD")
        .expect("usager");
    let now = Utc::now().fixed_offset();
    j.record_event(&who, UsagerEventKind::Admission, now - Duration::days(400))
        .expect("event");
    j.record_event(&who, UsagerEventKind::AnnualReview, now)
        .expect("event");
    j.deposit(&dlu(), &DepositOptions::default())
        .expect("journaled");
    j.flush(&ehpad).expect("flush");
    let facts = j
        .facts(now - Duration::days(30), now + Duration::days(1))
        .expect("facts");
    assert_eq!(facts.usagers.len(), 1);
    assert_eq!(
        (&facts.usagers[0].key, facts.usagers[0].label.as_str()),
        (&key, "EHPAD-000123")
    );
    assert_eq!(facts.usagers[0].setting, "EHPAD");
    assert_eq!(facts.events.len(), 1, "the admission is before the period");
    assert_eq!(facts.events[0].kind, UsagerEventKind::AnnualReview);
    assert_eq!(facts.deposits.len(), 1);
    let d = &facts.deposits[0];
    assert_eq!((d.unique_id.as_str(), d.attempts), (DLU_ID, 1));
    assert_eq!(d.status, DepositStatus::Accepted);
    assert!(d.settled_at.is_some());
    assert_eq!(d.author_role, "G15_10/SM26");
    // As JSON, as pilotage reads it.
    let text = serde_json::to_string(&facts).expect("json");
    let back: dmp_core::pilotage::Facts = serde_json::from_str(&text).expect("facts json");
    assert_eq!(back, facts);
    assert!(!text.contains(LEFEBVRE), "no INS in the facts");
    sandbox.stop();
    let _ = std::fs::remove_dir_all(data);
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $test() {
                    super::$test(sqlite_journal(stringify!($test)).0);
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $test() {
                    if postgres_or_skip() {
                        super::$test(postgres_journal(&establishment(stringify!($test))));
                    }
                }
            )*
        }
    };
}

fn refused_by_the_dmp_verbatim<S: Store>(j: Journal<S>) {
    refused_verbatim(j, "jr-refused");
}

on_both_backends!(
    deposit_is_sent_once_and_its_bytes_dropped,
    bytes_kept_on_request,
    changed_content_goes_out_as_a_replacement,
    changed_before_sending_supersedes,
    sandbox_down_then_up,
    refused_by_the_dmp_verbatim,
    consultations_under_the_register,
    facts_for_pilotage,
);

#[test]
fn a_short_key_is_refused() {
    let e = dmp_journal::EstablishmentKey::new(b"short").expect_err("refused");
    assert!(e.to_string().contains("at least 32 bytes"), "{e}");
}

#[test]
fn pseudonyms_differ_between_establishments_and_are_stable() {
    let a = dmp_journal::EstablishmentKey::new(KEY).expect("key");
    let b = dmp_journal::EstablishmentKey::new(b"another-establishment-key-000002").expect("key");
    let who = ins(LEFEBVRE);
    assert_eq!(a.pseudonym(&who), a.pseudonym(&who));
    assert_ne!(a.pseudonym(&who), b.pseudonym(&who));
    // HMAC-SHA-256(KEY, "1.2.250.1.213.1.4.10^245036912304502"), from Python's hmac.
    assert_eq!(
        a.pseudonym(&who),
        include_str!("journal_support/pseudonym.txt").trim()
    );
}
