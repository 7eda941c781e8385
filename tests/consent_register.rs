//! The consent register: which recorded consent covers a consultation, and what is missing
//! when none does (pure, no I/O).

use chrono::{DateTime, Duration, FixedOffset, Utc};
use dmp_core::actor::Environment;
use dmp_core::consent::{applicable, Consent, ConsentRecord, ConsultationAsked, Scope};
use dmp_core::habilitation::AccessMode;

const USAGER: &str = "00d1645903fbcd98";
const DOCTOR: &str = "810002909371";
const KINE: &str = "810100000042";

fn at(hours_ago: i64) -> DateTime<FixedOffset> {
    (now() - Duration::hours(hours_ago)).fixed_offset()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00")
        .expect("time")
        .with_timezone(&Utc)
}

fn rec(
    scope: Scope,
    professional: Option<&str>,
    hours_ago: i64,
    withdrawal: bool,
) -> ConsentRecord {
    ConsentRecord {
        usager: USAGER.into(),
        scope,
        professional: professional.map(str::to_owned),
        collected_by: "IDE Durand".into(),
        on_behalf_of: None,
        at: at(hours_ago),
        withdrawal,
        note: String::new(),
    }
}

fn ask(professional: &str, care_team: bool, mode: AccessMode) -> ConsultationAsked<'_> {
    ConsultationAsked {
        usager: USAGER,
        professional,
        care_team,
        access_mode: mode,
        at: now(),
    }
}

fn message(records: &[ConsentRecord], asked: &ConsultationAsked<'_>) -> String {
    applicable(records, asked).expect_err("refused").to_string()
}

#[test]
fn care_team_needs_the_initial_consent_and_the_information() {
    let asked = ask(DOCTOR, true, AccessMode::Normal);
    let m = message(&[], &asked);
    assert!(m.contains("consent.care_team.initial_consent_at"), "{m}");
    let mut records = vec![rec(Scope::CareTeam, None, 72, false)];
    assert!(message(&records, &asked).contains("consent.care_team.informed"));
    records.push(rec(Scope::Information, None, 72, false));
    let c = applicable(&records, &asked).expect("covered");
    assert_eq!(c, Consent::care_team(at(72)));
    c.check(AccessMode::Normal, Environment::Test, now())
        .expect("passes the check");
    // Recorded after the consultation: does not count.
    let later = vec![
        rec(Scope::CareTeam, None, -1, false),
        rec(Scope::Information, None, 72, false),
    ];
    assert!(message(&later, &asked).contains("initial_consent_at"));
    // Another usager's records do not count.
    let mut other = records.clone();
    for r in &mut other {
        r.usager = "someone-else".into();
    }
    assert!(applicable(&other, &asked).is_err());
}

#[test]
fn a_withdrawal_ends_a_consent_and_a_new_record_restores_it() {
    let asked = ask(DOCTOR, true, AccessMode::Normal);
    let mut records = vec![
        rec(Scope::CareTeam, None, 72, false),
        rec(Scope::Information, None, 72, false),
        rec(Scope::CareTeam, None, 24, true),
    ];
    assert!(message(&records, &asked).contains("withdrawn"));
    records.push(rec(Scope::CareTeam, None, 2, false));
    assert_eq!(
        applicable(&records, &asked).expect("covered"),
        Consent::care_team(at(2))
    );
}

#[test]
fn objections_to_a_professional_and_to_the_team() {
    let base = vec![
        rec(Scope::CareTeam, None, 72, false),
        rec(Scope::Information, None, 72, false),
    ];
    let mut records = base.clone();
    records.push(rec(Scope::Objection, Some(DOCTOR), 10, false));
    let m = message(&records, &ask(DOCTOR, true, AccessMode::Normal));
    assert!(
        m.contains(&format!("objected to access by professional {DOCTOR}")),
        "{m}"
    );
    // Another member of the team is not concerned.
    assert!(applicable(&records, &ask(KINE, true, AccessMode::Normal)).is_ok());
    // Lifted.
    records.push(rec(Scope::Objection, Some(DOCTOR), 5, true));
    assert!(applicable(&records, &ask(DOCTOR, true, AccessMode::Normal)).is_ok());
    // The whole team.
    let mut team = base;
    team.push(rec(Scope::Objection, None, 10, false));
    assert!(message(&team, &ask(KINE, true, AccessMode::Normal)).contains("the care team"));
}

#[test]
fn outside_the_care_team_an_explicit_consent_for_this_professional_within_24_hours() {
    let asked = ask(KINE, false, AccessMode::Normal);
    let m = message(&[], &asked);
    assert!(
        m.contains(&format!("professional {KINE} is outside the care team")),
        "{m}"
    );
    // The care team's consent does not cover them, nor a consent for another professional.
    let mut records = vec![
        rec(Scope::CareTeam, None, 72, false),
        rec(Scope::Information, None, 72, false),
        rec(Scope::Explicit, Some(DOCTOR), 1, false),
    ];
    assert!(applicable(&records, &asked).is_err());
    let mut explicit = rec(Scope::Explicit, Some(KINE), 30, false);
    explicit.on_behalf_of = Some("Dr Martin".into());
    records.push(explicit.clone());
    assert!(message(&records, &asked).contains("more than 24 hours"));
    explicit.at = at(2);
    records.push(explicit);
    let c = applicable(&records, &asked).expect("covered");
    assert_eq!(
        c,
        Consent::Explicit {
            given_at: at(2),
            collected_by: Some("IDE Durand for Dr Martin".into()),
            withdrawn: false,
        }
    );
    c.check(AccessMode::Normal, Environment::Test, now())
        .expect("passes the check");
    records.push(rec(Scope::Explicit, Some(KINE), 1, true));
    assert!(applicable(&records, &asked).is_err(), "withdrawn");
}

#[test]
fn emergency_access_unless_the_usager_objected() {
    for mode in [AccessMode::Regulation, AccessMode::BrisDeGlace] {
        let asked = ask(DOCTOR, false, mode);
        let c = applicable(&[], &asked).expect("allowed");
        assert_eq!(
            c,
            Consent::Emergency {
                usager_objected: false
            }
        );
        c.check(mode, Environment::Test, now()).expect("passes");
        let records = vec![rec(Scope::EmergencyObjection, None, 100, false)];
        let m = message(&records, &asked);
        assert!(m.contains("objected to emergency access"), "{m}");
        assert!(m.contains(mode.code()), "{m}");
    }
}

#[test]
fn records_read_from_json_as_a_dui_writes_them() {
    let r: ConsentRecord = serde_json::from_str(
        r#"{"scope": "explicit", "professional": "810100000042", "collected_by": "IDE Durand",
            "on_behalf_of": "Dr Martin", "at": "2026-11-24T09:00:00+01:00"}"#,
    )
    .expect("record");
    assert_eq!(
        (r.scope, r.usager.as_str(), r.withdrawal),
        (Scope::Explicit, "", false)
    );
    let e = serde_json::from_str::<ConsentRecord>(
        r#"{"scope": "always", "collected_by": "x", "at": "2026-11-24T09:00:00+01:00"}"#,
    )
    .expect_err("unknown scope");
    assert!(e.to_string().contains("always"), "{e}");
}
