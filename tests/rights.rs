//! Integration tests: rights.

use dmp_core::habilitation::{
    AccessMode, Actor, Authentication, ModeColumn, Permission, Profile, RightDecision, Rights,
};

use AccessMode::{BrisDeGlace, Normal, Regulation};
use Authentication::{Air, DirecteCpe, DirecteCps, IndirecteCertificatEs};

fn rights() -> Rights {
    Rights::embedded().expect("embedded rights load")
}

fn permissions(d: &[RightDecision]) -> Vec<Permission> {
    d.iter().map(|x| x.permission).collect()
}

fn numbers(d: &RightDecision) -> Vec<&str> {
    d.footnotes.iter().map(|f| f.number.as_str()).collect()
}

const ALL_ACTORS: [Actor; 5] = [
    Actor::PsNonMedecin,
    Actor::Medecin,
    Actor::MedecinTraitant,
    Actor::MedecinDuTravail,
    Actor::NonPs,
];
const ALL_MODES: [AccessMode; 3] = [Normal, Regulation, BrisDeGlace];

#[test]
fn embedded_tables_load_with_their_rows() {
    let r = rights();
    let rows = r.rows();
    assert_eq!(rows.len(), 27 + 25);
    assert_eq!(rows[0].document, "PDT-INF-526 v1.8");
    assert_eq!(rows[0].transaction, "TD0.0");
    assert!(rows[0].withdrawn);
    assert_eq!(rows.iter().filter(|x| x.withdrawn).count(), 1);
    assert_eq!(rows[27].document, "PDT-INF-606 v1.3");
    assert_eq!(rows[27].transaction, "TD0.1");
    let td33c = rows
        .iter()
        .find(|x| x.transaction == "TD3.3c" && x.document.starts_with("PDT-INF-526"))
        .unwrap();
    assert_eq!(td33c.label, "Supprimer un document *");
    assert_eq!(td33c.parent_transaction.as_deref(), Some("TD3.3"));
    assert_eq!(td33c.section, "CONSULTATION");
    assert_eq!(r.document_for(Air), "PDT-INF-606 v1.3");
    assert_eq!(r.document_for(IndirecteCertificatEs), "PDT-INF-526 v1.8");
}

#[test]
fn establishment_certificate_normal_mode_may_feed_but_not_read() {
    let r = rights();
    for actor in ALL_ACTORS {
        let ok = |t| r.allows(IndirecteCertificatEs, actor, Normal, t);
        assert!(ok("TD0.1"));
        assert!(ok("TD0.2"), "existence test");
        assert!(ok("TD2.1"), "feeding");
        assert!(ok("TD3.1"), "reference look-up");
        assert!(ok("TD3.3c"), "delete own documents");
        assert!(!ok("TD3.2"), "no consultation");
        assert!(!ok("TD3.3a"), "no masking");
        assert!(!ok("TD3.3d"), "no archiving");
        assert!(!ok("TD0.3"), "no authorisation changes");
        assert!(!ok("TD2.2"));
        assert!(!ok("TD0.0"), "withdrawn");
    }

    let feed = r.decide(IndirecteCertificatEs, Actor::NonPs, Normal, "TD2.1");
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].permission, Permission::Allowed);
    assert_eq!(feed[0].cell, "oui (4)");
    assert_eq!(feed[0].label, "Alimentation d'un DMP");
    assert_eq!(feed[0].profile, Some(Profile::IndirectEsTous));
    assert_eq!(feed[0].column, Some(ModeColumn::Normal));
    assert_eq!(numbers(&feed[0]), ["4"]);
    assert_eq!(
        feed[0].footnotes[0].text.as_deref(),
        Some("TD2.1/TD2.2 : Ajout de documents. Imputabilité à la structure.")
    );

    let td31 = r.decide(IndirecteCertificatEs, Actor::NonPs, Normal, "TD3.1");
    assert_eq!(td31.len(), 2);
    assert_eq!(td31[0].label, "Rechercher les métadonnées");
    assert_eq!(td31[0].permission, Permission::Denied);
    assert_eq!(td31[1].label, "Rechercher la référence d'un document");
    assert_eq!(td31[1].permission, Permission::Allowed);
    assert_eq!(numbers(&td31[1]), ["5"]);
    assert!(td31[1].footnotes[0]
        .text
        .as_deref()
        .unwrap()
        .contains("en vue de sa suppression"));

    let del = r.decide(IndirecteCertificatEs, Actor::NonPs, Normal, "TD3.3c");
    assert_eq!(del.len(), 1);
    assert_eq!(del[0].permission, Permission::Allowed);
    assert_eq!(numbers(&del[0]), ["9", "*"]);
    assert!(del[0].footnotes[0]
        .text
        .as_deref()
        .unwrap()
        .contains("Les documents de la structure uniquement"));

    let td32 = r.decide(IndirecteCertificatEs, Actor::NonPs, Normal, "TD3.2");
    assert_eq!(td32.len(), 6);
    assert!(td32.iter().all(|d| d.permission == Permission::Denied));

    let td03 = r.decide(IndirecteCertificatEs, Actor::NonPs, Normal, "TD0.3");
    let labels: Vec<&str> = td03.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Se déclarer autorisé",
            "Supprimer son autorisation",
            "Se supprimer MT"
        ]
    );
    assert_eq!(permissions(&td03), [Permission::Denied; 3]);

    // The group code gives every sub-row.
    assert_eq!(
        r.decide(IndirecteCertificatEs, Actor::NonPs, Normal, "TD3.3")
            .len(),
        6
    );

    assert_eq!(
        r.allowed_transactions(IndirecteCertificatEs, Actor::NonPs, Normal),
        ["TD0.1", "TD0.2", "TD0.4", "TD1.3a", "TD2.1", "TD3.1", "TD3.3c"]
    );
}

#[test]
fn establishment_certificate_modes() {
    let r = rights();
    // TD0.5 (search without INS) only in régulation.
    assert!(!r.allows(IndirecteCertificatEs, Actor::NonPs, Normal, "TD0.5"));
    assert!(r.allows(IndirecteCertificatEs, Actor::NonPs, Regulation, "TD0.5"));
    // No bris de glace column: not applicable, not "non".
    let d = r.decide(IndirecteCertificatEs, Actor::NonPs, BrisDeGlace, "TD2.1");
    assert_eq!(d[0].permission, Permission::NotApplicable);
    assert_eq!(d[0].cell, "");
    assert_eq!(d[0].column, None);
    assert!(r
        .allowed_transactions(IndirecteCertificatEs, Actor::NonPs, BrisDeGlace)
        .is_empty());
}

#[test]
fn direct_cps_ps_non_medecin_may_read() {
    let r = rights();
    assert!(r.allows(DirecteCps, Actor::PsNonMedecin, Normal, "TD3.2"));
    let td32 = r.decide(DirecteCps, Actor::PsNonMedecin, Normal, "TD3.2");
    assert_eq!(td32.len(), 6);
    assert_eq!(td32[0].label, "Documents non masqués aux PS");
    assert_eq!(td32[0].permission, Permission::Allowed);
    assert_eq!(td32[1].label, "Documents masqués aux PS");
    assert_eq!(td32[1].cell, "oui (6)");
    assert_eq!(numbers(&td32[1]), ["6"]);
    // Masked documents in bris de glace: (7).
    let bdg = r.decide(DirecteCps, Actor::PsNonMedecin, BrisDeGlace, "TD3.2");
    assert_eq!(numbers(&bdg[1]), ["7"]);
    assert!(r.allows(DirecteCps, Actor::PsNonMedecin, Normal, "TD2.1"));
    assert!(!r.allows(DirecteCps, Actor::PsNonMedecin, Normal, "TD0.5"));
    // Médecin traitant has no régulation column.
    let mt = r.decide(DirecteCps, Actor::MedecinTraitant, Regulation, "TD3.2");
    assert!(mt.iter().all(|d| d.permission == Permission::NotApplicable));
    assert!(r.allows(DirecteCps, Actor::MedecinTraitant, Normal, "TD3.2"));
}

#[test]
fn medecin_du_travail_reads_sans_objet_column_and_may_not_consult() {
    let r = rights();
    for mode in ALL_MODES {
        assert!(!r.allows(DirecteCps, Actor::MedecinDuTravail, mode, "TD3.2"));
        assert!(!r.allows(DirecteCps, Actor::MedecinDuTravail, mode, "TD0.3"));
        assert!(r.allows(DirecteCps, Actor::MedecinDuTravail, mode, "TD2.1"));
        assert!(r.allows(DirecteCps, Actor::MedecinDuTravail, mode, "TD3.1"));
        let d = r.decide(DirecteCps, Actor::MedecinDuTravail, mode, "TD3.2");
        assert!(d.iter().all(|x| x.permission == Permission::Denied));
        assert!(d.iter().all(|x| x.column == Some(ModeColumn::SansObjet)));
        assert_eq!(d[0].profile, Some(Profile::DirectCpsMedecinDuTravail));
    }
}

#[test]
fn air_opens_consultation_but_never_feeding() {
    let r = rights();
    for actor in [Actor::PsNonMedecin, Actor::Medecin, Actor::MedecinTraitant] {
        assert!(r.allows(Air, actor, Normal, "TD3.2"), "{actor:?}");
        assert_eq!(
            r.decide(Air, actor, Normal, "TD3.2")[0].document,
            "PDT-INF-606 v1.3"
        );
    }
    for actor in ALL_ACTORS {
        for mode in ALL_MODES {
            assert!(!r.allows(Air, actor, mode, "TD2.1"), "{actor:?} {mode:?}");
            assert!(!r.allows(Air, actor, mode, "TD2.2"), "{actor:?} {mode:?}");
        }
    }
    // PE (non-PS) cannot read.
    assert!(!r.allows(Air, Actor::NonPs, Normal, "TD3.2"));
    assert!(r.allows(Air, Actor::NonPs, Normal, "TD3.3c"));
    // Numbering of the AIR table: TD0.10, no TD0.9, no TD0.0.
    assert!(r.allows(Air, Actor::PsNonMedecin, Normal, "TD0.10"));
    assert!(r
        .decide(Air, Actor::PsNonMedecin, Normal, "TD0.9")
        .is_empty());
    assert!(r
        .decide(Air, Actor::PsNonMedecin, Normal, "TD0.0")
        .is_empty());
    // AIR + médecin du travail has no column.
    let d = r.decide(Air, Actor::MedecinDuTravail, Normal, "TD3.2");
    assert_eq!(d.len(), 6);
    assert!(d
        .iter()
        .all(|x| x.permission == Permission::NotApplicable && x.profile.is_none()));
}

#[test]
fn cpe_non_ps_cannot_read_and_feeds_only_through_td22() {
    let r = rights();
    assert!(!r.allows(DirecteCpe, Actor::NonPs, Normal, "TD3.2"));
    assert!(!r.allows(DirecteCpe, Actor::NonPs, Normal, "TD2.1"));
    assert!(r.allows(DirecteCpe, Actor::NonPs, Normal, "TD2.2"));
    let td22 = r.decide(DirecteCpe, Actor::NonPs, Normal, "TD2.2");
    assert_eq!(
        td22[0].label,
        "Alimentation d'un DMP par CPE pour les secrétaires médicales du secteur libéral"
    );
    assert_eq!(numbers(&td22[0]), ["4"]);
    // Only normal mode exists for a CPE.
    assert!(r
        .decide(DirecteCpe, Actor::NonPs, Regulation, "TD2.2")
        .iter()
        .all(|d| d.permission == Permission::NotApplicable));
}

#[test]
fn footnotes_are_resolved_per_document_and_missing_legends_stay_visible() {
    let r = rights();
    // 526 prints `oui (1)` without a legend for (1).
    let cpe = r.decide(DirecteCpe, Actor::NonPs, Normal, "TD0.3");
    assert_eq!(cpe[0].label, "Se déclarer autorisé");
    assert_eq!(cpe[0].permission, Permission::Allowed);
    assert_eq!(numbers(&cpe[0]), ["1"]);
    assert_eq!(cpe[0].footnotes[0].text, None);
    assert!(cpe[0].footnotes[0]
        .note
        .as_deref()
        .unwrap()
        .contains("no legend"));
    // 606 defines (1).
    let pe = r.decide(Air, Actor::NonPs, Normal, "TD0.3");
    assert_eq!(
        pe[0].footnotes[0].text.as_deref(),
        Some("TD0.3 - L'autorisation est donnée à la structure")
    );
    // The "same structure" restriction is (2) in 526 and (3) in 606.
    let a = r.decide(DirecteCpe, Actor::NonPs, Normal, "TD0.4");
    let b = r.decide(Air, Actor::NonPs, Normal, "TD0.4");
    assert_eq!(numbers(&a[0]), ["2"]);
    assert_eq!(numbers(&b[0]), ["3"]);
    assert_eq!(a[0].footnotes[0].text, b[0].footnotes[0].text);
    assert!(r.footnote("PDT-INF-526 v1.8", "3").is_some());
    assert!(r.footnote("PDT-INF-606 v1.3", "2").is_none());
}

#[test]
fn withdrawn_td00_is_reported_but_never_allowed() {
    let r = rights();
    let d = r.decide(DirecteCps, Actor::Medecin, Normal, "TD0.0");
    assert_eq!(d.len(), 1);
    assert!(d[0].withdrawn);
    assert_eq!(d[0].permission, Permission::Allowed); // as printed (struck through)
    assert_eq!(numbers(&d[0]), ["11"]);
    assert!(d[0].footnotes[0]
        .text
        .as_deref()
        .unwrap()
        .contains("30/09/2023"));
    assert!(!r.allows(DirecteCps, Actor::Medecin, Normal, "TD0.0"));
    assert!(!r
        .allowed_transactions(DirecteCps, Actor::Medecin, Normal)
        .contains(&"TD0.0".to_string()));
}

#[test]
fn logins_without_a_column_are_errors_or_not_applicable() {
    let r = rights();
    for (auth, actor) in [
        (DirecteCpe, Actor::Medecin),
        (DirecteCpe, Actor::PsNonMedecin),
        (DirecteCps, Actor::NonPs),
        (Air, Actor::MedecinDuTravail),
    ] {
        let e = Profile::for_login(auth, actor).unwrap_err();
        assert_eq!(e.as_invalid().unwrap().field, "actor");
        let d = r.decide(auth, actor, Normal, "TD0.1");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].permission, Permission::NotApplicable);
        assert!(!r.allows(auth, actor, Normal, "TD0.1"));
        assert!(r.allowed_transactions(auth, actor, Normal).is_empty());
    }
    for actor in ALL_ACTORS {
        assert_eq!(
            Profile::for_login(IndirecteCertificatEs, actor).unwrap(),
            Profile::IndirectEsTous
        );
    }
    assert!(r
        .decide(DirecteCps, Actor::Medecin, Normal, "TD9.9")
        .is_empty());
    assert!(!r.allows(DirecteCps, Actor::Medecin, Normal, "TD9.9"));
}

#[test]
fn medecin_traitant_and_non_mt_physician_differences() {
    let r = rights();
    // Only the MT may remove himself as MT.
    let mt = r.decide(DirecteCps, Actor::MedecinTraitant, Normal, "TD0.3");
    let med = r.decide(DirecteCps, Actor::Medecin, Normal, "TD0.3");
    assert_eq!(mt[2].label, "Se supprimer MT");
    assert_eq!(mt[2].permission, Permission::Allowed);
    assert_eq!(med[2].permission, Permission::Denied);
    // Non-MT physician may archive in régulation, PS non médecin may not.
    assert!(r.allows(DirecteCps, Actor::Medecin, Regulation, "TD3.3d"));
    assert!(!r.allows(DirecteCps, Actor::PsNonMedecin, Regulation, "TD3.3d"));
}

#[test]
fn access_mode_codes_are_tre_r248() {
    assert_eq!(Normal.code(), "normal");
    assert_eq!(Regulation.code(), "centre_15");
    assert_eq!(BrisDeGlace.code(), "bris_de_glace");
    for m in ALL_MODES {
        assert_eq!(AccessMode::from_code(m.code()), Some(m));
        assert_eq!(serde_json::to_value(m).unwrap(), m.code());
    }
    assert_eq!(AccessMode::from_code("urgence"), None);
    for p in Profile::ALL {
        assert_eq!(Profile::from_id(p.id()), Some(p));
        assert_eq!(serde_json::to_value(p).unwrap(), p.id());
    }
}

#[test]
fn malformed_tables_are_errors_not_panics() {
    let f = include_str!("../dmp-core/data/rights/functional-rights.csv");
    let a = include_str!("../dmp-core/data/rights/air-rights.csv");
    let n = include_str!("../dmp-core/data/rights/footnotes.csv");
    assert!(Rights::from_csv(f, a, n).is_ok());
    assert!(Rights::from_csv("", a, n).is_err());
    assert!(Rights::from_csv(f, "", n).is_err());
    assert!(Rights::from_csv(f, a, "").is_err());
    // Tables swapped: AIR profiles in the direct table.
    assert!(Rights::from_csv(a, f, n).is_err());
    // A line dropped: a profile is missing for a row.
    let mut lines: Vec<&str> = f.lines().collect();
    lines.remove(3);
    assert!(Rights::from_csv(&lines.join("\n"), a, n).is_err());
    // Footnotes column inconsistent with the cells.
    let bad = f.replacen(",oui (4),oui (4),,,4,", ",oui (4),oui (4),,,5,", 1);
    assert_ne!(bad, f);
    assert!(Rights::from_csv(&bad, a, n).is_err());
}
