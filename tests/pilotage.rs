//! Pilotage: the deposit plan (`due`) and the indicators over hand-made facts with known
//! answers, the errors of plans and facts, and the golden renderings of the sample EHPAD
//! year (`examples/data/facts/ehpad.json`).
//!
//! Golden files: `tests/golden/pilotage/`. After an intended change of an output, refresh
//! them with `DMP_UPDATE_GOLDEN=1 cargo test -p dmp-core --test pilotage golden`, and review
//! the diff by eye before committing.

use chrono::{DateTime, FixedOffset, NaiveDate};
use dmp_core::model::DocumentKind;
use dmp_core::pilotage::{
    due, report, DepositFact, DepositStatus, DueStatus, Facts, IndicatorOptions, Indicators, Plan,
    Reason, Span, SpanUnit, Usager, UsagerEvent, UsagerEventKind,
};
use dmp_core::Error;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn usager(key: &str, setting: &str) -> Usager {
    Usager {
        key: key.into(),
        label: key.to_uppercase(),
        setting: setting.into(),
    }
}

fn event(usager: &str, kind: UsagerEventKind, at: &str) -> UsagerEvent {
    UsagerEvent {
        usager: usager.into(),
        kind,
        at: t(at),
    }
}

fn deposit(usager: &str, kind: DocumentKind, at: &str, status: DepositStatus) -> DepositFact {
    DepositFact {
        usager: usager.into(),
        unique_id: format!("1.2.3.{}.{}", usager.len(), at.len()),
        kind,
        author_role: "Médecin coordonnateur".into(),
        replaces: None,
        size: 1000,
        queued_at: t(at),
        settled_at: None,
        status,
        attempts: 1,
    }
}

fn accepted(usager: &str, kind: DocumentKind, at: &str) -> DepositFact {
    deposit(usager, kind, at, DepositStatus::Accepted)
}

fn refused(usager: &str, at: &str, code: &str) -> DepositFact {
    deposit(
        usager,
        DocumentKind::Dlu,
        at,
        DepositStatus::Refused {
            code: code.into(),
            text: format!("texte {code}"),
        },
    )
}

const PLAN: &str = r#"{
  "format": "dmp-deposit-plan/1",
  "name": "Plan de test",
  "settings": ["EHPAD"],
  "notice": "15 days",
  "documents": [
    {"kind": "dlu", "producer": "Médecin coordonnateur",
     "on": [{"event": "admission", "within": "15 days"}], "max_age": "3 months"},
    {"kind": "lettre_liaison_sortie", "producer": "IDEC",
     "on": [{"event": "discharge", "within": "7 days"}]}
  ]
}"#;

/// Usager `a` (EHPAD), admitted 1 March 2026 at 10:00.
fn admitted_1_march() -> Facts {
    Facts {
        usagers: vec![usager("a", "EHPAD")],
        events: vec![event(
            "a",
            UsagerEventKind::Admission,
            "2026-03-01T10:00:00+01:00",
        )],
        ..Facts::default()
    }
}

fn plan() -> Plan {
    Plan::from_json(PLAN).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The deposit plan.
// ---------------------------------------------------------------------------------------------

/// Admitted 1 March at 10:00: the DLU is due 16 March at 10:00, overdue one second later.
#[test]
fn an_admission_deadline_is_due_up_to_the_second_then_overdue() {
    let facts = admitted_1_march();
    let at_deadline = due(&plan(), &facts, t("2026-03-16T10:00:00+01:00"));
    assert_eq!(at_deadline.current_usagers, 1);
    assert_eq!(at_deadline.items.len(), 1, "{:?}", at_deadline.items);
    let item = &at_deadline.items[0];
    assert_eq!(item.kind, DocumentKind::Dlu);
    assert_eq!(item.label, "A");
    assert_eq!(item.producer, "Médecin coordonnateur");
    assert_eq!(
        item.reason,
        Reason::Event {
            event: UsagerEventKind::Admission,
            within: Span::new(15, SpanUnit::Days)
        }
    );
    assert_eq!(item.since, t("2026-03-01T10:00:00+01:00"));
    assert_eq!(item.deadline, t("2026-03-16T10:00:00+01:00"));
    assert_eq!(item.status, DueStatus::Due);
    assert_eq!(item.last_deposit, None);

    let after = due(&plan(), &facts, t("2026-03-16T10:00:01+01:00"));
    assert_eq!(after.items[0].status, DueStatus::Overdue);
    // Admission overdue 1; the max age (from the admission, 1 June) still pending.
    assert_eq!(after.coverage.overdue, 1);
    assert_eq!(after.coverage.pending, 1);
    assert_eq!(after.coverage.met, 0);
    assert_eq!(after.coverage.share, Some(0.0));
}

/// A DLU accepted 10 March meets the admission; its maximum age (3 months) falls on 10 June:
/// listed from 26 May (15 days' notice), overdue after 10 June.
#[test]
fn a_maximum_age_is_listed_within_the_notice_and_overdue_after_it() {
    let facts = Facts {
        deposits: vec![accepted(
            "a",
            DocumentKind::Dlu,
            "2026-03-10T09:00:00+01:00",
        )],
        ..admitted_1_march()
    };
    let quiet = due(&plan(), &facts, t("2026-05-26T08:59:59+02:00"));
    assert!(quiet.items.is_empty(), "{:?}", quiet.items);
    assert_eq!(quiet.coverage.met, 2);
    assert_eq!(quiet.coverage.share, Some(1.0));

    let notice = due(&plan(), &facts, t("2026-05-26T09:00:00+01:00"));
    assert_eq!(notice.items.len(), 1);
    let item = &notice.items[0];
    assert_eq!(
        item.reason,
        Reason::MaxAge {
            max_age: Span::new(3, SpanUnit::Months)
        }
    );
    assert_eq!(item.since, t("2026-03-10T09:00:00+01:00"));
    assert_eq!(item.last_deposit, Some(t("2026-03-10T09:00:00+01:00")));
    assert_eq!(item.deadline, t("2026-06-10T09:00:00+01:00"));
    assert_eq!(item.status, DueStatus::Due);

    let late = due(&plan(), &facts, t("2026-06-10T09:00:01+01:00"));
    assert_eq!(late.items[0].status, DueStatus::Overdue);
    assert_eq!(late.coverage.met, 1);
    assert_eq!(late.coverage.overdue, 1);
    assert_eq!(late.coverage.share, Some(0.5));
}

/// A discharged usager is due nothing but what the discharge triggers; once the lettre de
/// liaison de sortie is deposited, nothing at all. Another setting is not the plan's.
#[test]
fn a_discharged_usager_is_not_due_but_for_the_discharge() {
    let mut facts = Facts {
        usagers: vec![usager("a", "EHPAD"), usager("b", "SSIAD")],
        events: vec![
            event("a", UsagerEventKind::Admission, "2025-01-01T10:00:00+01:00"),
            event("a", UsagerEventKind::Discharge, "2026-04-01T10:00:00+02:00"),
            event("b", UsagerEventKind::Admission, "2025-01-01T10:00:00+01:00"),
        ],
        ..Facts::default()
    };
    let now = t("2026-06-01T12:00:00+02:00");
    let d = due(&plan(), &facts, now);
    assert_eq!(d.current_usagers, 0);
    assert_eq!(d.items.len(), 1, "{:?}", d.items);
    assert_eq!(d.items[0].kind, DocumentKind::LettreLiaisonSortie);
    assert_eq!(d.items[0].deadline, t("2026-04-08T10:00:00+02:00"));
    assert_eq!(d.items[0].status, DueStatus::Overdue);

    facts.deposits.push(accepted(
        "a",
        DocumentKind::LettreLiaisonSortie,
        "2026-04-09T10:00:00+02:00",
    ));
    let d = due(&plan(), &facts, now);
    assert!(d.items.is_empty(), "{:?}", d.items);
    assert_eq!(d.coverage.met, 1);
    assert_eq!(d.coverage.obligations, 1);

    // Before the discharge the same usager was current and owed its DLU.
    let before = due(&plan(), &facts, t("2026-03-01T12:00:00+01:00"));
    assert_eq!(before.current_usagers, 1);
    assert_eq!(before.items.len(), 2, "{:?}", before.items);
    assert!(before.items.iter().all(|i| i.kind == DocumentKind::Dlu));
}

/// Several unmet events of a kind: the earliest is reported, and one deposit after the last
/// one meets them all. Items come sorted by deadline; facts order does not matter.
#[test]
fn the_earliest_unmet_event_is_reported_and_the_order_of_facts_does_not_matter() {
    let plan = Plan::from_json(
        r#"{"format": "dmp-deposit-plan/1", "name": "p", "documents": [
          {"kind": "synthese_medicale", "producer": "MedCo",
           "on": [{"event": "change_of_condition", "within": "1 month"}]},
          {"kind": "dlu", "producer": "MedCo",
           "on": [{"event": "hospital_return", "within": "7 days"}]}]}"#,
    )
    .unwrap();
    let mut facts = Facts {
        usagers: vec![usager("b", ""), usager("a", "")],
        events: vec![
            event("a", UsagerEventKind::Admission, "2026-01-05T10:00:00+01:00"),
            event(
                "a",
                UsagerEventKind::ChangeOfCondition,
                "2026-02-10T10:00:00+01:00",
            ),
            event(
                "a",
                UsagerEventKind::ChangeOfCondition,
                "2026-03-20T10:00:00+01:00",
            ),
            event("b", UsagerEventKind::Admission, "2026-01-05T10:00:00+01:00"),
            event(
                "b",
                UsagerEventKind::HospitalReturn,
                "2026-03-25T10:00:00+01:00",
            ),
        ],
        ..Facts::default()
    };
    let now = t("2026-04-01T12:00:00+02:00");
    let d = due(&plan, &facts, now);
    let got: Vec<(&str, DocumentKind, DateTime<FixedOffset>, DueStatus)> = d
        .items
        .iter()
        .map(|i| (i.usager.as_str(), i.kind, i.deadline, i.status))
        .collect();
    assert_eq!(
        got,
        [
            (
                "a",
                DocumentKind::SyntheseMedicale,
                t("2026-03-10T10:00:00+01:00"),
                DueStatus::Overdue
            ),
            (
                "b",
                DocumentKind::Dlu,
                t("2026-04-01T10:00:00+01:00"),
                DueStatus::Overdue
            ),
        ]
    );
    assert_eq!(d.coverage.overdue, 2);
    assert_eq!(d.coverage.pending, 1);
    // An empty setting list applies to every usager, whatever its setting.
    assert_eq!(d.current_usagers, 2);

    facts.usagers.reverse();
    facts.events.reverse();
    assert_eq!(due(&plan, &facts, now), d);

    facts.deposits.push(accepted(
        "a",
        DocumentKind::SyntheseMedicale,
        "2026-03-25T09:00:00+01:00",
    ));
    let d = due(&plan, &facts, now);
    assert_eq!(d.items.len(), 1);
    assert_eq!(d.coverage.met, 2);
}

/// A refused or queued deposit meets nothing; a deposit after `now` is ignored.
#[test]
fn only_accepted_deposits_up_to_now_meet_an_obligation() {
    let facts = Facts {
        deposits: vec![
            refused("a", "2026-03-05T10:00:00+01:00", "XDSUnknownPatientId"),
            deposit(
                "a",
                DocumentKind::Dlu,
                "2026-03-06T10:00:00+01:00",
                DepositStatus::Queued,
            ),
            accepted("a", DocumentKind::Dlu, "2026-03-30T10:00:00+02:00"),
        ],
        ..admitted_1_march()
    };
    let d = due(&plan(), &facts, t("2026-03-20T10:00:00+01:00"));
    assert_eq!(d.items.len(), 1);
    assert_eq!(d.items[0].status, DueStatus::Overdue);
    assert_eq!(d.items[0].last_deposit, None);
}

#[test]
fn in_force_from_ignores_earlier_events_and_starts_the_maximum_age() {
    let text = PLAN.replace(
        "\"notice\"",
        "\"in_force_from\": \"2026-01-01\", \"notice\"",
    );
    let plan = Plan::from_json(&text).unwrap();
    let facts = Facts {
        usagers: vec![usager("a", "EHPAD")],
        events: vec![event(
            "a",
            UsagerEventKind::Admission,
            "2024-06-01T10:00:00+02:00",
        )],
        ..Facts::default()
    };
    let d = due(&plan, &facts, t("2026-03-20T10:00:00+01:00"));
    assert_eq!(d.items.len(), 1, "{:?}", d.items);
    assert!(matches!(d.items[0].reason, Reason::MaxAge { .. }));
    assert_eq!(d.items[0].since, t("2026-01-01T00:00:00+02:00"));
    assert_eq!(d.items[0].deadline, t("2026-04-01T00:00:00+02:00"));
    assert_eq!(d.items[0].status, DueStatus::Due);
}

fn invalid(text: &str) -> (String, String) {
    match Plan::from_json(text).unwrap_err() {
        Error::Invalid(i) => (i.field, i.rule),
        Error::Json { path, message, .. } => (path, message),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn plan_errors_name_the_field_as_written() {
    let (path, msg) = invalid(&PLAN.replace("\"within\": \"7 days\"", "\"withn\": \"7 days\""));
    assert_eq!(path, "documents[1].on[0].withn");
    assert!(
        msg.starts_with("unknown field `withn`, expected `event` or `within`"),
        "{msg}"
    );

    let (path, msg) = invalid(&PLAN.replace("\"15 days\"}", "\"15 dys\"}"));
    assert_eq!(path, "documents[0].on[0].within");
    assert!(msg.contains("unknown unit \"dys\""), "{msg}");

    let (path, msg) = invalid(&PLAN.replace("\"dlu\"", "\"dlu_ehpad\""));
    assert_eq!(path, "documents[0].kind");
    assert!(msg.contains("unknown variant `dlu_ehpad`"), "{msg}");

    let (path, msg) = invalid(&PLAN.replace("\"admission\"", "\"admision\""));
    assert_eq!(path, "documents[0].on[0].event");
    assert!(msg.contains("unknown variant `admision`"), "{msg}");

    let (field, rule) = invalid(&PLAN.replace("plan/1", "plan/2"));
    assert_eq!(field, "format");
    assert_eq!(rule, "must be \"dmp-deposit-plan/1\"");

    let (field, rule) = invalid(&PLAN.replace("\"lettre_liaison_sortie\"", "\"dlu\""));
    assert_eq!(field, "documents[1].kind");
    assert_eq!(
        rule,
        "is already planned by documents[0]: one entry per kind"
    );

    let (field, _) = invalid(&PLAN.replace(
        "\"on\": [{\"event\": \"discharge\", \"within\": \"7 days\"}]",
        "\"on\": []",
    ));
    assert_eq!(field, "documents[1].on");

    let (field, rule) = invalid(&PLAN.replace("\"3 months\"", "\"0 months\""));
    assert_eq!(field, "documents[0].max_age");
    assert_eq!(rule, "must be longer than zero");
}

#[test]
fn facts_refuse_unknown_members_and_a_refusal_without_code() {
    let base = r#"{"usagers": [], "deposits": [{"usager": "a", "unique_id": "1.2", "kind": "dlu",
        "author_role": "IDE", "size": 1, "queued_at": "2026-01-01T10:00:00+01:00", STATUS}]}"#;
    let read = |status: &str| dmp_core::json::from_str::<Facts>(&base.replace("STATUS", status));
    let ok =
        read(r#""status": "refused", "code": "XDSUnknownPatientId", "text": "fermé""#).unwrap();
    assert_eq!(
        ok.deposits[0].status,
        DepositStatus::Refused {
            code: "XDSUnknownPatientId".into(),
            text: "fermé".into()
        }
    );
    // The JSON written is the JSON read.
    let again: Facts = dmp_core::json::from_str(&serde_json::to_string(&ok).unwrap()).unwrap();
    assert_eq!(again, ok);

    for (status, wanted) in [
        (
            r#""status": "accepted", "colour": 1"#,
            "unknown field `colour`",
        ),
        (
            r#""status": "refused""#,
            "a refused deposit needs the DMP's `code`",
        ),
        (
            r#""status": "accepted", "code": "X""#,
            "`code` and `text` belong to",
        ),
        (r#""status": "sent""#, "unknown variant `sent`"),
    ] {
        match read(status).unwrap_err() {
            Error::Json { path, message, .. } => {
                assert!(path.starts_with("deposits[0]"), "{path}");
                assert!(message.contains(wanted), "{status}: {message}");
            }
            other => panic!("unexpected {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The indicators.
// ---------------------------------------------------------------------------------------------

fn small_facts() -> Facts {
    let mut rplc = accepted("b", DocumentKind::Dlu, "2026-02-20T10:00:00+01:00");
    rplc.replaces = Some("1.2.3.1.25".into());
    rplc.author_role = "IDEC".into();
    let mut settled_next_month = deposit(
        "c",
        DocumentKind::ProjetPersonnalise,
        "2026-02-28T23:50:00+01:00",
        DepositStatus::Accepted,
    );
    settled_next_month.settled_at = Some(t("2026-03-01T00:10:00+01:00"));
    Facts {
        usagers: vec![usager("a", "EHPAD"), usager("b", "EHPAD"), usager("c", "EHPAD")],
        events: vec![
            event("a", UsagerEventKind::Admission, "2025-06-01T10:00:00+02:00"),
            event("b", UsagerEventKind::Admission, "2025-06-01T10:00:00+02:00"),
            event("c", UsagerEventKind::Admission, "2025-06-01T10:00:00+02:00"),
            event("c", UsagerEventKind::Discharge, "2026-03-15T10:00:00+01:00"),
        ],
        deposits: vec![
            accepted("a", DocumentKind::Dlu, "2026-01-15T10:00:00+01:00"),
            accepted("b", DocumentKind::Dlu, "2026-01-20T10:00:00+01:00"),
            rplc,
            accepted("a", DocumentKind::ProjetPersonnalise, "2026-01-31T23:30:00+01:00"),
            settled_next_month,
            // Outside the period.
            accepted("a", DocumentKind::Dlu, "2025-12-31T23:59:00+01:00"),
            refused("a", "2026-02-01T10:00:00+01:00", "XDSUnknownPatientId"),
            refused("b", "2026-02-02T10:00:00+01:00", "XDSRegistryMetadataError"),
            refused("c", "2026-02-03T10:00:00+01:00", "XDSUnknownPatientId"),
            // The same code again, earlier and with another text: the latest text is kept.
            DepositFact {
                status: DepositStatus::Refused {
                    code: "XDSUnknownPatientId".into(),
                    text: "DMP fermé".into(),
                },
                ..refused("c", "2026-01-03T10:00:00+01:00", "XDSUnknownPatientId")
            },
            deposit("c", DocumentKind::Dlu, "2026-03-02T10:00:00+01:00", DepositStatus::Unknown),
        ],
        consultations: serde_json::from_str(
            r#"[
            {"usager": "a", "at": "2026-01-10T10:00:00+01:00", "transaction": "TD3.1",
             "access_mode": "normal", "role": "MedCo", "consent": "care_team", "outcome": "accepted"},
            {"usager": "a", "at": "2026-01-10T10:01:00+01:00", "transaction": "TD3.2",
             "access_mode": "normal", "role": "MedCo", "consent": "care_team", "outcome": "accepted"},
            {"usager": "b", "at": "2026-02-10T10:00:00+01:00", "transaction": "TD3.1",
             "access_mode": "normal", "role": "IDE", "consent": "care_team", "outcome": "blocked"},
            {"usager": "b", "at": "2026-03-10T03:00:00+01:00", "transaction": "TD3.2",
             "access_mode": "bris_de_glace", "role": "MedCo", "consent": "emergency", "outcome": "accepted"},
            {"usager": "c", "at": "2025-11-10T10:00:00+01:00", "transaction": "TD3.1",
             "access_mode": "centre_15", "role": "SAMU", "consent": "emergency", "outcome": "accepted"}
            ]"#,
        )
        .unwrap(),
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn indicators_count_by_type_month_role_and_code() {
    let now = t("2026-04-10T12:00:00+02:00");
    let ind = Indicators::compute(
        &small_facts(),
        Some(d("2026-01-01")),
        Some(d("2026-03-31")),
        now,
        None,
    );
    assert_eq!(ind.dmp_fed, 3);
    assert_eq!(ind.deposits.total, 10);
    assert_eq!(ind.deposits.accepted, 5);
    assert_eq!(ind.deposits.refused, 4);
    assert_eq!(ind.deposits.unknown, 1);
    assert_eq!(ind.deposits.queued, 0);
    let kinds: Vec<(DocumentKind, &str, u64)> = ind
        .by_kind
        .iter()
        .map(|k| (k.kind, k.type_code, k.count))
        .collect();
    assert_eq!(
        kinds,
        [
            (DocumentKind::Dlu, "74207-2", 3),
            (DocumentKind::ProjetPersonnalise, "80788-3", 2)
        ]
    );
    assert_eq!(ind.by_kind[0].label, "Document de liaison d'urgence");
    // 31 January 23:30 is January; the one journaled 28 February and accepted 1 March is March.
    let months: Vec<(&str, u64)> = ind
        .by_month
        .iter()
        .map(|m| (m.month.as_str(), m.count))
        .collect();
    assert_eq!(months, [("2026-01", 3), ("2026-02", 1), ("2026-03", 1)]);
    let roles: Vec<(&str, u64)> = ind
        .by_author_role
        .iter()
        .map(|r| (r.role.as_str(), r.count))
        .collect();
    assert_eq!(roles, [("IDEC", 1), ("Médecin coordonnateur", 4)]);
    assert_eq!(ind.replacements, 1);
    let refusals: Vec<(&str, &str, u64)> = ind
        .refusals
        .iter()
        .map(|r| (r.code.as_str(), r.text.as_str(), r.count))
        .collect();
    assert_eq!(
        refusals,
        [
            (
                "XDSRegistryMetadataError",
                "texte XDSRegistryMetadataError",
                1
            ),
            ("XDSUnknownPatientId", "texte XDSUnknownPatientId", 3)
        ]
    );
    let mut reversed = small_facts();
    reversed.deposits.reverse();
    let again = Indicators::compute(
        &reversed,
        Some(d("2026-01-01")),
        Some(d("2026-03-31")),
        now,
        None,
    );
    assert_eq!(again, ind);
    // At 10 April: a and b are current (c left 15 March); a's last DLU is 15 January (older
    // than 3 months? no: 10 January is the limit), b's 20 February.
    assert_eq!(ind.dlu.current_usagers, 2);
    assert_eq!(ind.dlu.up_to_date, 2);
    assert_eq!(ind.dlu.share, Some(1.0));
    assert_eq!(ind.consultations.total, 4);
    let modes: Vec<(&str, u64)> = ind
        .consultations
        .by_mode
        .iter()
        .map(|m| (m.mode, m.count))
        .collect();
    assert_eq!(modes, [("bris_de_glace", 1), ("normal", 3)]);
    let normal: Vec<(&str, u64)> = ind.consultations.by_mode[1]
        .by_outcome
        .iter()
        .map(|o| (o.outcome.as_str(), o.count))
        .collect();
    assert_eq!(normal, [("accepted", 2), ("blocked", 1)]);
    assert!(ind.plan.is_none());

    // A narrower DLU window: a's DLU (15 January) is too old on 10 April for 2 months.
    let options = IndicatorOptions {
        dlu_window: Span::new(2, SpanUnit::Months),
        ..IndicatorOptions::default()
    };
    let ind = Indicators::compute_with(&small_facts(), &options, now, Some(&plan()));
    assert_eq!(ind.dlu.up_to_date, 1);
    assert_eq!(ind.dlu.share, Some(0.5));
    // Open period: the 31 December deposit and the centre 15 consultation count.
    assert_eq!(ind.deposits.accepted, 6);
    assert_eq!(ind.consultations.total, 5);
    let months: Vec<&str> = ind.by_month.iter().map(|m| m.month.as_str()).collect();
    assert_eq!(months, ["2025-12", "2026-01", "2026-02", "2026-03"]);
    let plan = ind.plan.as_ref().unwrap();
    assert_eq!(plan.name, "Plan de test");
    // a, b: admission met + max age met; c: discharge lettre overdue (15 + 7 days).
    assert_eq!(plan.coverage.met, 4);
    assert_eq!(plan.coverage.overdue, 1);
    assert_eq!(plan.coverage.share, Some(0.8));
}

#[test]
fn csv_cells_are_quoted_and_formulas_neutralised() {
    let mut facts = small_facts();
    facts.deposits[0].author_role = "=HYPERLINK(\"x\"), évidemment".into();
    let ind = Indicators::compute(&facts, None, None, t("2026-04-10T12:00:00+02:00"), None);
    let csv = ind.to_csv();
    assert!(csv.starts_with("indicator,key,detail,value\r\n"), "{csv}");
    assert!(
        csv.contains("by_author_role,\"'=HYPERLINK(\"\"x\"\"), évidemment\",,1\r\n"),
        "{csv}"
    );
    assert!(csv.contains("refusals,XDSUnknownPatientId,texte XDSUnknownPatientId,3\r\n"));
    assert!(csv.contains("dlu,share,3 months,1\r\n"));
    // The core's own CSV reader reads it back: every row has the 4 columns.
    let table = dmp_core::csv::parse("indicators", &csv).unwrap();
    assert_eq!(table.header, ["indicator", "key", "detail", "value"]);
    assert!(table.rows.iter().all(|(_, r)| r.len() == 4));
}

#[test]
fn html_escapes_what_comes_from_the_facts() {
    let mut facts = small_facts();
    facts.deposits[0].author_role = "<script>alert('x')</script>".into();
    let ind = Indicators::compute(&facts, None, None, t("2026-04-10T12:00:00+02:00"), None);
    let page = report::html(&ind);
    assert!(!page.contains("<script"), "a script tag got through");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    for external in ["src=", "href=", "<link", "<img", "url(", "https:"] {
        assert!(!page.contains(external), "{external} in the page");
    }
    assert!(page.contains("<svg"));
}

// ---------------------------------------------------------------------------------------------
// Golden renderings of the sample year.
// ---------------------------------------------------------------------------------------------

fn repo(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

fn sample() -> (Facts, Plan) {
    let facts = dmp_core::json::from_str(
        &std::fs::read_to_string(repo("examples/data/facts/ehpad.json")).unwrap(),
    )
    .unwrap();
    let plan =
        Plan::from_json(&std::fs::read_to_string(repo("examples/data/plans/ehpad.json")).unwrap())
            .unwrap();
    (facts, plan)
}

const SAMPLE_NOW: &str = "2026-12-01T09:00:00+01:00";

fn golden(name: &str, bytes: &str) {
    let path = repo(&format!("tests/golden/pilotage/{name}"));
    if std::env::var_os("DMP_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("tests/golden/pilotage/{name}: {e}"));
    assert!(
        want == bytes,
        "output differs from tests/golden/pilotage/{name} (refresh: see the top of this file)"
    );
}

fn sample_indicators() -> Indicators {
    let (facts, plan) = sample();
    Indicators::compute(
        &facts,
        Some(d("2026-01-01")),
        Some(d("2026-11-30")),
        t(SAMPLE_NOW),
        Some(&plan),
    )
}

#[test]
fn golden_sample_indicators_json_csv_html() {
    let ind = sample_indicators();
    // The figures the golden files hold, asserted here too so that a refresh is reviewed.
    assert_eq!(ind.dmp_fed, 29);
    assert_eq!(ind.deposits.accepted, 135);
    assert_eq!(ind.deposits.refused, 4);
    assert_eq!(ind.replacements, 65);
    assert_eq!(ind.by_month.len(), 11);
    assert_eq!(ind.by_month.iter().map(|m| m.count).sum::<u64>(), 135);
    assert_eq!(ind.dlu.current_usagers, 25);
    assert_eq!(ind.dlu.up_to_date, 15);
    golden(
        "ehpad-indicators.json",
        &(serde_json::to_string_pretty(&ind).unwrap() + "\n"),
    );
    golden("ehpad-indicators.csv", &ind.to_csv());
    golden("ehpad-indicators.html", &report::html(&ind));
}

#[test]
fn golden_sample_due() {
    let (facts, plan) = sample();
    let d = due(&plan, &facts, t(SAMPLE_NOW));
    assert_eq!(d.current_usagers, 25);
    assert!(d.items.windows(2).all(|w| w[0].deadline <= w[1].deadline));
    golden(
        "ehpad-due.json",
        &(serde_json::to_string_pretty(&d).unwrap() + "\n"),
    );
}

#[test]
fn the_same_facts_in_another_order_give_the_same_bytes() {
    let (mut facts, plan) = sample();
    let html = report::html(&sample_indicators());
    let due_json = serde_json::to_string(&due(&plan, &facts, t(SAMPLE_NOW))).unwrap();
    facts.deposits.reverse();
    facts.events.reverse();
    facts.usagers.reverse();
    facts.consultations.reverse();
    let ind = Indicators::compute(
        &facts,
        Some(d("2026-01-01")),
        Some(d("2026-11-30")),
        t(SAMPLE_NOW),
        Some(&plan),
    );
    assert_eq!(report::html(&ind), html);
    assert_eq!(
        serde_json::to_string(&due(&plan, &facts, t(SAMPLE_NOW))).unwrap(),
        due_json
    );
}

#[test]
fn the_sample_plans_read() {
    for name in ["ehpad", "ime", "ssiad"] {
        let text =
            std::fs::read_to_string(repo(&format!("examples/data/plans/{name}.json"))).unwrap();
        let plan = Plan::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.applies_to(&name.to_uppercase()), "{name}");
        assert!(plan.documents.len() >= 4, "{name}");
    }
}
