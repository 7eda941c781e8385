//! Pins key facts of the generated nomenclature tables (`dmp_core::codes`).

use std::collections::HashSet;

use dmp_core::codes::{self, system, TYPE_TO_CLASS};

#[test]
fn dlu_ppa_and_export_dui_classes_follow_ass_x04() {
    // ASS_X04 2024-04-26: 74207-2 (DLU) -> 11, 80788-3 (PPA) -> 44, EXPORT_DUI -> 11.
    let dlu = codes::class_of_type("74207-2").expect("DLU class");
    assert_eq!(
        (dlu.code, dlu.display, dlu.system),
        ("11", "Synthèse", system::TRE_A03)
    );
    let ppa = codes::class_of_type("80788-3").expect("PPA class");
    assert_eq!(
        (ppa.code, ppa.display),
        ("44", "Plan de soins, protocole de soins")
    );
    assert_eq!(
        codes::class_of_type("EXPORT_DUI").map(|c| c.code),
        Some("11")
    );
    assert_eq!(
        codes::class_of_type("FICHE-CONTACTS").map(|c| c.code),
        Some("95")
    );
    assert_eq!(
        codes::class_of_type("FEUILLE-DE-STYLE").map(|c| c.display),
        Some("Document technique")
    );
    assert_eq!(codes::class_of_type("NOPE"), None);

    let dlu_type = codes::type_codes().find("74207-2").expect("DLU type");
    assert_eq!(dlu_type.system, system::LOINC);
    let export = codes::type_codes()
        .find("EXPORT_DUI")
        .expect("EXPORT_DUI type");
    assert_eq!(export.system, system::TRE_A05);
    assert_eq!(export.display, "Export du Dossier Usager Informatisé");
}

#[test]
fn every_type_to_class_target_is_a_known_class() {
    for (t, c) in TYPE_TO_CLASS {
        assert!(
            codes::class_codes().contains(c) || codes::xds_class_codes().contains(c),
            "class {c} of type {t}"
        );
        assert!(codes::class_of_type(t).is_some(), "{t}");
    }
    let types: HashSet<_> = TYPE_TO_CLASS.iter().map(|(t, _)| t).collect();
    assert_eq!(types.len(), TYPE_TO_CLASS.len(), "a type is mapped twice");
}

#[test]
fn habilitation_document_types_are_known_types() {
    // Types of document-types.csv that JDV_J07 (ART-DECOR 2026-06-29) does not list:
    // - 11526-1: mapped by ASS_X04 (class 10) but absent from JDV_J07 (older DMP type);
    // - ATTEST-VITALE, 61358-8, 61359-6: candidates of the habilitation list that neither
    //   JDV_J07 nor ASS_X04 holds (see data/habilitation/README: the list may include types
    //   the arrêté did not list).
    const EXCEPTIONS: &[&str] = &["11526-1", "ATTEST-VITALE", "61358-8", "61359-6"];
    let csv = include_str!("../dmp-core/data/habilitation/document-types.csv");
    let mut seen = 0;
    for line in csv.lines().skip(1).filter(|l| !l.is_empty()) {
        let code = line.split(',').next().unwrap();
        seen += 1;
        let known = codes::type_codes().contains(code);
        if EXCEPTIONS.contains(&code) {
            assert!(!known, "{code} is now in JDV_J07: drop it from EXCEPTIONS");
        } else {
            assert!(known, "{code} of document-types.csv not in JDV_J07");
        }
    }
    assert!(seen >= 80, "{seen} types read");
    assert!(codes::class_of_type("11526-1").is_some());
}

#[test]
fn sectors_and_practice_settings() {
    let sa41 = codes::sectors().find("SA41").expect("SA41");
    assert_eq!(
        sa41.display,
        "Autre établissement du domaine social ou médico-social"
    );
    assert_eq!(sa41.system, system::TRE_R02);
    let sa17 = codes::sectors().find("SA17").expect("SA17");
    assert_eq!(sa17.display, "Etablissement pour personnes âgées");
    assert_eq!(codes::facility_types().find("SA41"), Some(sa41));
    assert_eq!(codes::facility_types().find("SA17"), Some(sa17));
    // SA11 is retired in TRE_R02 and left out.
    assert!(!codes::sectors().contains("SA11"));

    let essms = codes::practice_settings().find("ESSMS").expect("ESSMS");
    assert_eq!(essms.system, system::PRACTICE_SETTING);
    // (The 2020 TRE_A01 copy predates ESSMS: JDV_J04 2024 is the list to use.)
    assert!(!codes::essms_categories().is_empty());
    assert!(codes::essms_categories()
        .iter()
        .all(|c| c.system == system::TRE_R66));
}

#[test]
fn professions() {
    let inf = codes::professions_sante().find("60").expect("60");
    assert_eq!((inf.display, inf.system), ("Infirmier", system::TRE_G15));
    assert_eq!(
        codes::professions_sante().find("10").unwrap().display,
        "Médecin"
    );
    // 93 Psychologue was retired from TRE_G15 (moved to TRE_R95).
    assert!(!codes::professions_sante().contains("93"));
    assert_eq!(
        codes::usager_titres().find("93").unwrap().display,
        "Psychologue"
    );

    let ass = codes::professions_social().find("41").expect("41");
    assert_eq!(
        (ass.display, ass.system),
        ("Assistant de service social", system::TRE_R94)
    );
    assert!(codes::roles().iter().all(|c| c.system == system::TRE_R85));
}

#[test]
fn author_specialties() {
    let md = codes::author_specialty("G15_10/SM26").expect("G15_10/SM26");
    assert_eq!(md.system, system::TRE_A02);
    assert!(
        md.display.contains("Qualifié en Médecine Générale"),
        "{}",
        md.display
    );
    assert_eq!(
        codes::author_specialty("41").unwrap().system,
        system::TRE_R94
    );
    assert_eq!(
        codes::author_specialty("LOGICIEL_DUI").unwrap().system,
        system::TRE_A00
    );
    assert!(codes::author_specialty("G15_60").is_some());
    // JDV_J107 holds the TRE_R38 specialties.
    assert!(codes::specialties()
        .iter()
        .any(|c| c.system == system::TRE_R38));
}

#[test]
fn confidentiality_codes() {
    let j08 = codes::confidentiality();
    for code in [
        "MASQUE_PS",
        "INVISIBLE_PATIENT",
        "INVISIBLE_REPRESENTANTS_LEGAUX",
    ] {
        let c = j08.find(code).expect(code);
        assert_eq!(c.system, "1.2.250.1.213.1.1.4.13");
        assert_eq!(c.system, system::FR_CONFIDENTIALITY);
    }
    for code in ["N", "R", "V"] {
        assert_eq!(j08.find(code).unwrap().system, system::HL7_CONFIDENTIALITY);
        assert!(codes::cda_confidentiality().contains(code));
    }
    assert_eq!(
        codes::cda_confidentiality().find("N").unwrap().display,
        "Normal"
    );
}

#[test]
fn format_codes() {
    let n1 = codes::format_code_for_template("1.3.6.1.4.1.19376.1.2.20", None).unwrap();
    assert_eq!(n1.format_code, "urn:ihe:iti:xds-sd:pdf:2008");
    assert_eq!(n1.system, system::TRE_A11);
    assert_eq!(n1.media_type, Some("application/pdf"));
    let txt =
        codes::format_code_for_template("1.3.6.1.4.1.19376.1.2.20", Some("text/plain")).unwrap();
    assert_eq!(txt.format_code, "urn:ihe:iti:xds-sd:text:2008");
    let dlu = codes::format_code_for_template("1.2.250.1.213.1.1.1.22", None).unwrap();
    assert_eq!(dlu.format_code, "urn:asip:ci-sis:dlu:2015");
    assert_eq!(dlu.system, system::TRE_A06);
    // The media type does not matter for a structured model.
    assert_eq!(
        codes::format_code_for_template("1.2.250.1.213.1.1.1.22", Some("application/pdf")),
        Some(dlu)
    );
    let dui = codes::format_code_for_template("1.2.250.1.213.1.1.1.58", None).unwrap();
    assert_eq!(dui.format_code, "urn:asip:ci-sis:export-dui:2023");
}

#[test]
fn small_value_sets() {
    let genders: Vec<_> = codes::genders().iter().map(|c| c.code).collect();
    assert_eq!(genders, ["F", "M", "UN"]);
    assert_eq!(codes::gir().len(), 6);
    assert!(codes::function_codes().contains("PCP"));
    let modes: Vec<_> = codes::access_modes().iter().map(|c| c.code).collect();
    assert_eq!(modes, ["normal", "bris_de_glace", "centre_15"]);
    assert!(codes::access_modes()
        .iter()
        .all(|c| c.system == system::TRE_R248));
}

#[test]
fn tables_are_non_empty_with_unique_codes() {
    let mut ids = HashSet::new();
    assert!(codes::all().len() >= 30);
    for vs in codes::all() {
        assert!(ids.insert(vs.id), "duplicate table id {}", vs.id);
        assert!(!vs.is_empty(), "{} is empty", vs.id);
        assert!(!vs.oid.is_empty() && !vs.version.is_empty(), "{}", vs.id);
        let mut codes_seen = HashSet::new();
        for c in vs.iter() {
            assert!(
                codes_seen.insert(c.code),
                "{}: duplicate code {}",
                vs.id,
                c.code
            );
            assert!(!c.code.is_empty() && !c.display.is_empty() && !c.system.is_empty());
            assert_eq!(c.code.trim(), c.code, "{}: {:?}", vs.id, c.code);
        }
    }
    for id in [
        "TRE_G15",
        "TRE_R94",
        "TRE_R95",
        "TRE_A00",
        "TRE_R85",
        "JDV_J01",
        "JDV_J107",
        "TRE_R02",
        "JDV_J02",
        "JDV_J254",
        "JDV_J04",
        "TRE_A01",
        "JDV_J06",
        "TRE_A03",
        "JDV_J07",
        "JDV_J08",
        "JDV_HL7_Confidentiality",
        "JDV_J143",
        "JDV_J47",
        "JDV_GIR",
        "TRE_R248",
        "TRE_A07",
    ] {
        assert!(codes::by_id(id).is_some(), "{id}");
    }
    // TRE_A00 is ISO-8859-1: accents must be decoded.
    assert_eq!(
        codes::producteurs_non_ps()
            .find("DISPOSITIF")
            .unwrap()
            .display,
        "Dispositif médical"
    );
}

#[test]
fn embedded_copies_are_present() {
    let classes = include_str!("../dmp-core/data/habilitation/class-codes.csv");
    for line in classes.lines().skip(1).filter(|l| !l.is_empty()) {
        let code = line.split(',').next().unwrap();
        assert!(codes::class_codes().contains(code), "class {code}");
    }
}
