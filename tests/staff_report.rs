//! Integration tests: the "professionnels concernés" staff report on the sample EHPAD.

use dmp_core::habilitation::{
    Actor, CellStatus, ConsultStatus, Matrix, Rights, Settings, StaffEntry, StaffList, StaffReport,
};
use dmp_core::{json, Error};

const SAMPLE: &str = include_str!("../examples/data/ehpad-staff.json");

fn report(social_rows_in_force: bool) -> StaffReport {
    let list: StaffList = json::from_str(SAMPLE).unwrap();
    let matrix = Matrix::embedded().unwrap().with_settings(Settings {
        social_rows_in_force,
    });
    StaffReport::build(&list, &matrix, &Rights::embedded().unwrap())
}

fn by_job<'a>(r: &'a StaffReport, job: &str) -> &'a StaffEntry {
    r.entries
        .iter()
        .find(|e| e.job_title.as_deref().is_some_and(|j| j.starts_with(job)))
        .unwrap_or_else(|| panic!("no {job} in the sample"))
}

#[test]
fn sample_has_the_required_people() {
    let r = report(false);
    assert!(r.entries.len() >= 12);
    for job in [
        "Médecin coordonnateur",
        "Infirmière coordinatrice",
        "Infirmier",
        "Aide-soignant",
        "Accompagnante éducative",
        "Psychologue",
        "Ergothérapeute",
        "Masseur-kinésithérapeute libéral",
        "Assistante de service social",
        "Secrétaire médicale",
        "Directeur",
        "Animatrice",
    ] {
        by_job(&r, job);
    }
}

#[test]
fn everyone_may_feed_through_the_establishment_certificate() {
    let r = report(false);
    assert_eq!(r.summary.may_feed, r.entries.len());
    let e = by_job(&r, "Directeur");
    assert!(e.feed.allowed);
    // The rights table's footnote (4): documents are attributed to the structure.
    assert!(e
        .feed
        .footnotes
        .iter()
        .any(|f| f.number == "4" && f.text.as_deref().unwrap_or("").contains("Imputabilité")));
}

#[test]
fn consultation_needs_a_personal_card_and_a_health_profession() {
    let r = report(false);
    let medco = by_job(&r, "Médecin coordonnateur");
    assert_eq!(medco.actor, Actor::Medecin);
    assert_eq!(medco.consult.status, ConsultStatus::Allowed);
    assert_eq!(medco.matrix_row.as_deref(), Some("MED"));
    // Physicians read every type but the attestation de résidence (verified cells).
    assert!(medco
        .readable_types
        .iter()
        .all(|t| t.type_code != "ATTEST-RESID"));
    assert!(medco
        .readable_types
        .iter()
        .all(|t| t.status == CellStatus::Verified));

    let idec = by_job(&r, "Infirmière coordinatrice");
    assert_eq!(idec.consult.status, ConsultStatus::Allowed);
    assert_eq!(idec.matrix_row.as_deref(), Some("INF"));

    let no_card = by_job(&r, "Infirmière (carte");
    assert_eq!(no_card.consult.status, ConsultStatus::NeedsCard);
    assert!(no_card.consult.reason.contains("CPS"));
    assert!(!no_card.readable_types.is_empty());

    for job in [
        "Secrétaire médicale",
        "Assistante de service social",
        "Directeur",
    ] {
        let e = by_job(&r, job);
        assert_eq!(e.actor, Actor::NonPs, "{job}");
        assert_eq!(e.consult.status, ConsultStatus::NotAllowed, "{job}");
        assert!(e.consult.reason.contains("TD3.2"), "{job}");
    }
    assert_eq!(r.summary.may_consult, 5);
    assert_eq!(r.summary.missing_card, 1);
}

#[test]
fn social_rows_are_not_in_force_by_default() {
    let r = report(false);
    let ass = by_job(&r, "Assistante de service social");
    assert_eq!(ass.matrix_row.as_deref(), Some("ASS"));
    assert!(ass.readable_types.is_empty());
    assert!(ass.readable_types_when_in_force > 0);
    assert!(ass.matrix_reason.contains("not yet in force"));
    // An aide-soignant(e) falls back to the "accompagnement au soin" function row; with no
    // readable type now, consulting is pointless even though TRE_G15 35 is a PS profession.
    let as_ = by_job(&r, "Aide-soignante");
    assert_eq!(as_.matrix_row.as_deref(), Some("FCT_SOIN"));
    assert_eq!(as_.consult.status, ConsultStatus::NotAllowed);

    let on = report(true);
    assert!(on.social_rows_in_force);
    let ass = by_job(&on, "Assistante de service social");
    assert_eq!(ass.readable_types.len(), ass.readable_types_when_in_force);
    assert!(ass
        .readable_types
        .iter()
        .any(|t| t.type_code == "ATTEST-RESID"));
    // Provisional cells say so.
    assert!(ass
        .readable_types
        .iter()
        .all(|t| t.status == CellStatus::Provisional));
    let as_ = by_job(&on, "Aide-soignante");
    assert_eq!(as_.consult.status, ConsultStatus::NeedsCard);
}

#[test]
fn json_and_table_outputs() {
    let r = report(false);
    let text = r.to_json().unwrap();
    let back: StaffReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["entries"][0]["consult"]["status"], "allowed");
    assert_eq!(v["entries"][0]["consult"]["authentication"], "directe_cps");
    let table = r.to_string();
    assert!(table.contains("EHPAD Les Tilleuls"));
    assert!(table.contains("Claire MARTIN"));
    assert!(table.contains("needs CPS/e-CPS"));
    assert!(table.contains("not yet in force"));
}

#[test]
fn malformed_staff_lists_name_the_field() {
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["staff"][3]["idnat"] = "8123".into();
    match json::from_str::<StaffList>(&v.to_string()) {
        Err(Error::Json { path, message, .. }) => {
            assert_eq!(path, "staff[3].idnat");
            assert!(
                message.contains("\"123\"") && message.contains("11 digits"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["structure"]["finess_et"] = "69080012".into();
    match json::from_str::<StaffList>(&v.to_string()) {
        Err(Error::Json { path, .. }) => assert_eq!(path, "structure.finess_et"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        json::from_str::<StaffList>("{\"structure\": "),
        Err(Error::Json { .. })
    ));
}
