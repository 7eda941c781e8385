//! Integration tests: the domain model, validated at construction and from JSON.

use dmp_core::model::{
    BirthDate, Card, Confidentiality, DocumentKind, InsStatus, Professionnel, Structure, Usager,
};
use dmp_core::{json, Error};

const USAGERS: &str = include_str!("../examples/data/usagers.json");

fn usager_json(patch: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut all: serde_json::Value = serde_json::from_str(USAGERS).unwrap();
    let mut first = all[0].take();
    patch(&mut first);
    first.to_string()
}

fn expect_invalid<T: std::fmt::Debug>(r: Result<T, Error>, path: &str, rule_part: &str) {
    match r {
        Err(Error::Json {
            path: p, message, ..
        }) => {
            assert!(
                p.starts_with(path),
                "path {p:?} does not start with {path:?} ({message})"
            );
            assert!(
                message.contains(rule_part),
                "message {message:?} lacks {rule_part:?}"
            );
        }
        other => panic!("expected a JSON error at {path}, got {other:?}"),
    }
}

#[test]
fn sample_usagers_load() {
    let usagers: Vec<Usager> = json::from_str(USAGERS).unwrap();
    assert_eq!(usagers.len(), 4);
    let marie = &usagers[0];
    assert_eq!(marie.ins_status(), InsStatus::Qualifiee);
    assert_eq!(
        marie.qualified_ins().unwrap().to_cx(),
        "245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH"
    );
    assert_eq!(marie.traits().birth_date.to_hl7(), "19450317");
    // Partial date: month known, day unknown.
    assert_eq!(usagers[1].traits().birth_date.to_hl7(), "193802");
    assert!(usagers[2].is_minor());
    // A provisional identity has no INS and cannot go to the DMP.
    assert!(usagers[3].ins().is_none());
    let err = usagers[3].qualified_ins().unwrap_err();
    assert_eq!(err.as_invalid().unwrap().field, "ins_status");
}

#[test]
fn usager_json_round_trip() {
    let usagers: Vec<Usager> = json::from_str(USAGERS).unwrap();
    let text = serde_json::to_string(&usagers).unwrap();
    let again: Vec<Usager> = json::from_str(&text).unwrap();
    assert_eq!(usagers, again);
}

#[test]
fn wrong_ins_key_names_field_rule_value() {
    let text = usager_json(|u| u["ins"]["matricule"] = "245036912304503".into());
    let err = json::from_str::<Usager>(&text).unwrap_err();
    expect_invalid(Err::<(), _>(err.clone()), "ins", "245036912304503");
    assert!(err.to_string().contains("key"), "{err}");
}

#[test]
fn qualified_identity_needs_every_trait() {
    let text = usager_json(|u| {
        u["traits"]
            .as_object_mut()
            .unwrap()
            .remove("birthplace_insee");
    });
    expect_invalid(
        json::from_str::<Usager>(&text),
        ".",
        "traits.birthplace_insee",
    );
    let text = usager_json(|u| u["traits"]["birth_given_names"] = serde_json::json!([]));
    expect_invalid(json::from_str::<Usager>(&text), ".", "birth_given_names");
    let text = usager_json(|u| u["traits"]["first_given_name"] = "LOUISE".into());
    expect_invalid(json::from_str::<Usager>(&text), ".", "first_given_name");
    let text = usager_json(|u| u["traits"]["birth_family_name"] = "  ".into());
    expect_invalid(json::from_str::<Usager>(&text), ".", "must not be empty");
}

#[test]
fn used_names_equal_to_birth_names_are_dropped() {
    let text = usager_json(|u| {
        u["traits"]["used_family_name"] = "DUPONT".into();
        u["traits"]["used_given_name"] = "MARIE".into();
    });
    let u: Usager = json::from_str(&text).unwrap();
    assert_eq!(u.traits().used_family_name, None);
    assert_eq!(u.traits().used_given_name, None);
}

#[test]
fn status_and_ins_must_agree() {
    let text = usager_json(|u| u["ins_status"] = "provisoire".into());
    expect_invalid(
        json::from_str::<Usager>(&text),
        ".",
        "provisoire or validée",
    );
    let text = usager_json(|u| {
        u.as_object_mut().unwrap().remove("ins");
    });
    expect_invalid(json::from_str::<Usager>(&text), ".", "must carry its INS");
}

#[test]
fn unknown_fields_and_bad_enums_are_errors() {
    let text = usager_json(|u| u["nickname"] = "Mimi".into());
    expect_invalid(json::from_str::<Usager>(&text), "nickname", "unknown field");
    let text = usager_json(|u| u["traits"]["sex"] = "X".into());
    expect_invalid(json::from_str::<Usager>(&text), "traits.sex", "X");
    let text = usager_json(|u| u["traits"]["birth_date"] = "1945-13-01".into());
    expect_invalid(
        json::from_str::<Usager>(&text),
        "traits.birth_date",
        "month",
    );
    let text = usager_json(|u| u["traits"]["birthplace_insee"] = "6912".into());
    expect_invalid(
        json::from_str::<Usager>(&text),
        "traits.birthplace_insee",
        "INSEE",
    );
}

#[test]
fn birth_dates_partial_and_lunar() {
    let d: BirthDate = "1950-02-30".parse().unwrap();
    assert!(d.is_lunar());
    assert_eq!(d.to_hl7(), "19500230");
    let d: BirthDate = "19500000".parse().unwrap();
    assert!(d.is_partial() && !d.is_lunar());
    assert_eq!(d.to_hl7(), "1950");
    let d: BirthDate = "1950-07".parse().unwrap();
    assert_eq!(d.to_hl7(), "195007");
    assert!(!"1950-02-28".parse::<BirthDate>().unwrap().is_lunar());
    for bad in [
        "",
        "1950-2-3",
        "19500",
        "1950-00-12",
        "1950-01-32",
        "abcd",
        "1799",
    ] {
        let e = bad.parse::<BirthDate>().unwrap_err();
        let inv = e.as_invalid().unwrap();
        assert_eq!(inv.field, "birth_date");
        assert_eq!(inv.value, bad);
    }
}

const STAFF: &str = include_str!("../examples/data/ehpad-staff.json");

fn staff_member(i: usize, patch: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut all: serde_json::Value = serde_json::from_str(STAFF).unwrap();
    let mut p = all["staff"][i].take();
    patch(&mut p);
    p.to_string()
}

#[test]
fn sample_staff_and_structure_load() {
    let all: serde_json::Value = serde_json::from_str(STAFF).unwrap();
    let s: Structure = json::from_str(&all["structure"].to_string()).unwrap();
    assert_eq!(s.idnat(), "1690800123");
    assert_eq!(
        s.to_xon().unwrap(),
        "EHPAD Les Tilleuls^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1690800123"
    );
    let staff: Vec<Professionnel> = json::from_str(&all["staff"].to_string()).unwrap();
    assert!(staff.len() >= 12);
    let medco = &staff[0];
    assert!(medco.is_medecin());
    assert_eq!(medco.author_specialty().unwrap().code, "G15_10/SM26");
    assert_eq!(
        medco.author_specialty().unwrap().system,
        "1.2.250.1.213.1.1.4.5"
    );
    // A deprecated TRE_G15 code (35 aide-soignant) falls back to the TRE_R85 role.
    let aide = staff
        .iter()
        .find(|p| p.job_title() == Some("Aide-soignante"))
        .unwrap();
    assert_eq!(aide.author_specialty().unwrap().code, "313");
    assert_eq!(
        medco.to_xcn().unwrap(),
        "899900100019^MARTIN^Claire^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    );
    let secretary = staff
        .iter()
        .find(|p| p.job_title() == Some("Secrétaire médicale"))
        .unwrap();
    assert!(secretary.profession().is_none());
    assert_eq!(secretary.author_specialty().unwrap().code, "312");
    assert_eq!(secretary.card(), Card::Cpe);
}

#[test]
fn professionnel_rules() {
    // Unknown profession code.
    let text = staff_member(2, |p| p["profession"]["code"] = "61".into());
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "TRE_G15");
    // A specialty that does not combine with the profession in JDV_J01.
    let text = staff_member(2, |p| p["specialty"] = "SM26".into());
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "JDV_J01");
    // A pharmacist's TRE_G05 section forms a JDV_J01 code too.
    let text = staff_member(2, |p| {
        p["profession"]["code"] = "21".into();
        p["specialty"] = "A".into();
    });
    let ph = json::from_str::<Professionnel>(&text).unwrap();
    assert_eq!(ph.author_specialty().unwrap().code, "G15_21/A");
    // Unknown role.
    let text = staff_member(2, |p| p["role"] = "999".into());
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "TRE_R85");
    // A CPS goes with an RPPS/ADELI identifier.
    let text = staff_member(4, |p| p["card"] = "cps".into());
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "card");
    // A CPE is for non-health staff.
    let text = staff_member(2, |p| p["card"] = "cpe".into());
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "CPE");
    // Neither profession nor role.
    let text = staff_member(11, |p| {
        p.as_object_mut().unwrap().remove("role");
    });
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "role");
    // Empty name.
    let text = staff_member(2, |p| p["family_name"] = "".into());
    expect_invalid(json::from_str::<Professionnel>(&text), ".", "family_name");
    // Bad RPPS key: the error is at the idnat field.
    let text = staff_member(2, |p| p["idnat"] = "899900100036".into());
    expect_invalid(
        json::from_str::<Professionnel>(&text),
        "idnat",
        "99900100036",
    );
}

#[test]
fn structure_rules() {
    let all: serde_json::Value = serde_json::from_str(STAFF).unwrap();
    let base = all["structure"].clone();
    for (field, value, expect) in [
        ("sector", "SA99", "JDV_J02"),
        ("practice_setting", "HOPITAL", "JDV_J04"),
        ("category", "999", "JDV_J254"),
        ("name", "", "must not be empty"),
    ] {
        let mut s = base.clone();
        s[field] = value.into();
        expect_invalid(json::from_str::<Structure>(&s.to_string()), ".", expect);
    }
    let mut s = base.clone();
    s["finess_et"] = "690800124".into();
    expect_invalid(
        json::from_str::<Structure>(&s.to_string()),
        "finess_et",
        "690800124",
    );
}

#[test]
fn every_document_kind_has_type_and_class() {
    for kind in DocumentKind::ALL {
        let t = kind.type_concept().unwrap();
        assert_eq!(t.code, kind.type_code());
        assert!(!t.display.is_empty());
        let c = kind.class_concept().unwrap();
        assert!(!c.code.is_empty(), "{kind:?}");
        assert_eq!(DocumentKind::from_type_code(kind.type_code()), Some(kind));
    }
    assert_eq!(
        DocumentKind::Dlu.type_concept().unwrap().display,
        "Document de liaison d'urgence"
    );
    assert_eq!(
        DocumentKind::Dlu.type_concept().unwrap().system,
        "2.16.840.1.113883.6.1"
    );
    assert_eq!(
        DocumentKind::ExportDui.type_concept().unwrap().system,
        "1.2.250.1.213.1.1.4.12"
    );
    let kinds: Vec<DocumentKind> =
        json::from_str(r#"["dlu","projet_personnalise","export_dui"]"#).unwrap();
    assert_eq!(kinds[1], DocumentKind::ProjetPersonnalise);
    // The documents an ESSMS receives from hospitals, laboratories and imaging centres:
    // (serde name, type code, JDV_J07 display, ASS_X04 class).
    for (name, code, display, class) in [
        (
            "cr_hospitalisation",
            "34112-3",
            "CR hospitalier (séjour)",
            "10",
        ),
        (
            "prescription",
            "57833-6",
            "Prescription de produits de santé",
            "42",
        ),
        ("cr_biologie", "11502-2", "CR d'examens biologiques", "10"),
        ("cr_imagerie", "18748-4", "CR d'imagerie médicale", "31"),
        ("note_vaccination", "87273-9", "Note de vaccination", "52"),
    ] {
        let kind: DocumentKind = json::from_str(&format!("\"{name}\"")).unwrap();
        assert_eq!(kind.type_code(), code);
        assert_eq!(kind.type_concept().unwrap().display, display);
        assert_eq!(kind.type_concept().unwrap().system, "2.16.840.1.113883.6.1");
        assert_eq!(kind.class_concept().unwrap().code, class);
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
    }
    assert_eq!(DocumentKind::ALL.len(), 22);
}

#[test]
fn confidentiality_codes() {
    let c = Confidentiality {
        masque_ps: true,
        invisible_representants_legaux: true,
        ..Default::default()
    };
    let codes: Vec<(&str, &str)> = c
        .xds_codes()
        .unwrap()
        .iter()
        .map(|c| (c.code, c.system))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("N", "2.16.840.1.113883.5.25"),
            ("MASQUE_PS", "1.2.250.1.213.1.1.4.13"),
            ("INVISIBLE_REPRESENTANTS_LEGAUX", "1.2.250.1.213.1.1.4.13"),
        ]
    );
    let c: Confidentiality = json::from_str(r#"{"level":"V","invisible_patient":true}"#).unwrap();
    assert_eq!(c.xds_codes().unwrap().len(), 2);
    assert!(json::from_str::<Confidentiality>(r#"{"masked":true}"#).is_err());
}
