//! TD0.3, TD0.4 and TD1.6 over real mutual-TLS sockets: the answers parse with the core's
//! readers to the values the `authorizations` table holds.

mod support;

use chrono::{Duration, Utc};
use dmp_core::authorization::{
    list_authorization_by_patient_xml, AuthorizationAction, AuthorizationMode, DateType, ListMode,
};
use dmp_core::consent::Consent;
use dmp_core::consult::{self, ConsultRequest, Response, Transaction};
use dmp_core::ids::Ins;
use dmp_core::soap::{action, endpoint};
use support::*;

const LEFEBVRE: &str = "245036912304502";
const TEST_OID: &str = "1.2.250.1.213.1.4.10";
const CARD: &str = "cps-auth.p12";

fn ins() -> Ins {
    Ins::parse(LEFEBVRE, TEST_OID).unwrap()
}

/// `transaction` as the médecin (direct mode, her card), parsed by the core.
fn as_medecin(base: &str, transaction: Transaction, seed: u64) -> Response {
    let r = consult(
        &ConsultRequest {
            actor: actor("medecin-coordonnateur-cps"),
            consent: Some(Consent::care_team(now())),
            transaction,
        },
        seed,
    );
    let a = post(base, CARD, &r).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    consult::parse_message(&a.message()).unwrap()
}

fn authorize(base: &str, action: AuthorizationAction) -> (String, Option<String>) {
    match as_medecin(base, Transaction::Authorize { ins: ins(), action }, 21) {
        Response::Authorization(s) => (s.status, s.context),
        other => panic!("not a TD0.3 answer: {}", other.render()),
    }
}

fn authorized_dmps(base: &str, since: chrono::DateTime<Utc>, date_type: DateType) -> Vec<String> {
    let r = as_medecin(
        base,
        Transaction::AuthorizedList {
            ins: ins(),
            since,
            date_type,
        },
        22,
    );
    match r {
        Response::AuthorizedList(l) => {
            assert_eq!(l.status.status, "DMPOk");
            l.patients
                .iter()
                .map(|p| {
                    assert_eq!(p.last_name.as_deref(), Some("LEFEBVRE"));
                    assert_eq!(p.birth_date.as_deref(), Some("19450317"));
                    assert!(!p.medecin_traitant);
                    p.ins().unwrap().matricule().as_str().to_owned()
                })
                .collect()
        }
        other => panic!("not a TD0.4 answer: {}", other.render()),
    }
}

/// TD1.6, which the client library does not build: the `listAuthorizationByPatient` body
/// under the médecin's TD0.2 envelope (the VIHF signs the assertion only).
fn professionals(base: &str) -> Vec<(String, Option<AuthorizationMode>, Vec<String>)> {
    let built = consult_built(
        &ConsultRequest {
            actor: actor("medecin-coordonnateur-cps"),
            consent: None,
            transaction: Transaction::Status { ins: ins() },
        },
        23,
    );
    let path = endpoint::for_action(action::LIST_AUTHORIZATION_BY_PATIENT).unwrap();
    let body =
        String::from_utf8(list_authorization_by_patient_xml(ListMode::Toute).unwrap()).unwrap();
    let envelope = String::from_utf8(built.envelope)
        .unwrap()
        .replace(std::str::from_utf8(&built.body).unwrap(), &body)
        .replace(
            action::PRPA_IN201307UV02,
            action::LIST_AUTHORIZATION_BY_PATIENT,
        )
        .replace(endpoint::PATIENTS, path);
    let a = post_raw(
        base,
        CARD,
        path,
        &format!(
            "application/soap+xml; charset=UTF-8; action=\"{}\"",
            action::LIST_AUTHORIZATION_BY_PATIENT
        ),
        envelope.as_bytes(),
    )
    .unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    match consult::parse_message(&a.message()).unwrap() {
        Response::AuthorizedProfessionals(l) => {
            assert_eq!(l.status.status, "DMPOk");
            l.professionals
                .into_iter()
                .map(|p| {
                    (
                        p.national_id.unwrap_or_default(),
                        p.mode,
                        p.speciality_codes,
                    )
                })
                .collect()
        }
        other => panic!("not a TD1.6 answer: {}", other.render()),
    }
}

#[test]
fn authorize_list_and_remove() {
    let sandbox = start(&temp_dir("authorizations"));
    let base = sandbox.base_url();
    let before = Utc::now() - Duration::minutes(5);
    assert!(professionals(&base).is_empty());

    assert_eq!(
        authorize(&base, AuthorizationAction::Add),
        ("DMPOk".into(), Some("Autorisation ajoutée".into()))
    );
    assert_eq!(
        authorize(&base, AuthorizationAction::Add),
        (
            "DMPOk".into(),
            Some("Autorisation déjà présente aucune action effectuée".into())
        )
    );
    let rows = sandbox.store().unwrap().authorizations(LEFEBVRE).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].who.as_str(),
            rows[0].mode.as_str(),
            rows[0].specialty.as_str()
        ),
        ("899900100019", "ACTIVE", "G15_10/SM26")
    );
    assert_eq!(
        professionals(&base),
        [(
            "899900100019".to_owned(),
            Some(AuthorizationMode::Active),
            vec!["G15_10/SM26".to_owned()]
        )]
    );

    // TD0.4: by authorisation date; by last document (none yet, then one fed).
    assert_eq!(
        authorized_dmps(&base, before, DateType::LastAuthorization),
        [LEFEBVRE]
    );
    let tomorrow = Utc::now() + Duration::days(1);
    assert!(authorized_dmps(&base, tomorrow, DateType::LastAuthorization).is_empty());
    assert!(authorized_dmps(&base, before, DateType::LastDoc).is_empty());
    let a = post(&base, "org-auth-cli.p12", &feed_request(4001, |_| {})).unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(
        authorized_dmps(&base, before, DateType::LastDoc),
        [LEFEBVRE]
    );

    assert_eq!(
        authorize(&base, AuthorizationAction::Remove),
        ("DMPOk".into(), Some("Autorisation supprimée".into()))
    );
    assert!(sandbox
        .store()
        .unwrap()
        .authorizations(LEFEBVRE)
        .unwrap()
        .is_empty());
    assert!(professionals(&base).is_empty());
    assert!(authorized_dmps(&base, before, DateType::LastAuthorization).is_empty());
    let log = sandbox.store().unwrap().access_log().unwrap();
    let codes: Vec<_> = log.iter().map(|r| r.transaction.as_str()).collect();
    assert_eq!(
        codes,
        [
            "TD1.6", "TD0.3", "TD0.3", "TD1.6", "TD0.4", "TD0.4", "TD0.4", "TD2.1", "TD0.4",
            "TD0.3", "TD1.6", "TD0.4"
        ]
    );
    sandbox.stop();
}
