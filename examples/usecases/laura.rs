//! « Laura, interventions multiples à domicile »: first the SSIAD and the SAAD (social
//! sector) at her home: the SSIAD deposits its synthesis, the SAAD feeds its projet
//! individualisé but may not consult; then the SSIAD and the HAD: the HAD's documents are
//! read by the SSIAD's infirmière coordinatrice, except what the habilitation matrix keeps
//! from an infirmier (the psychologist's assessment).

use dmp_core::consent::Consent;
use dmp_core::model::DocumentKind;

use crate::common::{found, ids, unique_ids, Doc, Error, Scenario};

const SYNTHESE_SSIAD: &str = "1.2.250.1.999.1.1.6807.3.8101";
const PROJET_SAAD: &str = "1.2.250.1.999.1.1.6808.3.8201";
const PLAN_SOINS_HAD: &str = "1.2.250.1.999.1.1.6809.3.8301";
const PRESCRIPTION_HAD: &str = "1.2.250.1.999.1.1.6809.3.8302";
const BILAN_PSY_HAD: &str = "1.2.250.1.999.1.1.6809.3.8303";

/// Runs the story; panics at the first step that deviates.
pub fn run() -> Result<(), Error> {
    let sc = Scenario::start(
        "laura",
        "Laura, interventions multiples à domicile (SSIAD + SAAD, puis SSIAD + HAD)",
    )?;
    let ssiad = sc.actor("ssiad-etablissement", "uc-ssiad-sign.p12")?;
    let saad = sc.actor("saad-etablissement", "uc-saad-sign.p12")?;
    let had = sc.actor("had-etablissement", "uc-had-sign.p12")?;
    let idec = sc.actor("ssiad-infirmiere-coordinatrice-ecps", "uc-ssiad-sign.p12")?;
    let care_team = Some(Consent::care_team("2026-06-01T09:00:00+02:00".parse()?));

    sc.step("SSIAD + SAAD. The SSIAD deposits its synthesis of Laura's care (TD2.1, establishment certificate).");
    sc.expect(sc.rights(&ssiad, "TD2.1"), "TD2.1 allowed to the SSIAD");
    let synthese = sc.document(
        &ssiad,
        ssiad.person(),
        &Doc {
            kind: DocumentKind::SuiviSoinsAuxiliaire,
            id: SYNTHESE_SSIAD,
            title: "Synthèse de prise en charge SSIAD",
            time: "2026-09-30T17:00:00+02:00",
            text: "Passages matin et soir : toilette, surveillance cutanée, prise des \
                   traitements. Risque d'escarre talonnière, matelas à air.\n",
        },
    )?;
    sc.deposit(&ssiad, &sc.feed_request(&ssiad, vec![synthese])?);

    sc.step("The SAAD (social sector, its responsable de secteur) feeds its projet individualisé d'aide et d'accompagnement.");
    sc.expect(
        sc.rights(&saad, "TD2.1"),
        "TD2.1 allowed to the SAAD (any user of the structure)",
    );
    let projet = sc.document(
        &saad,
        saad.person(),
        &Doc {
            kind: DocumentKind::ProjetPersonnalise,
            id: PROJET_SAAD,
            title: "Projet individualisé d'aide et d'accompagnement (SAAD)",
            time: "2026-10-01T10:00:00+02:00",
            text: "Aide au lever et au coucher, préparation des repas, courses le jeudi, \
                   accompagnement au marché.\n",
        },
    )?;
    sc.deposit(&saad, &sc.feed_request(&saad, vec![projet])?);

    sc.step("The SAAD would like to read the DMP: it may not consult.");
    sc.expect(
        !sc.rights(&saad, "TD3.2"),
        "TD3.2 closed to the establishment certificate",
    );
    sc.matrix_verdict(
        &saad,
        "11506-3",
        "its aide à domicile's row (accompagnement à la vie sociale) on the SSIAD's synthesis",
    );
    let refusal = sc.refused_before_sending(sc.consult(
        &saad,
        &sc.request(&saad, care_team.clone(), sc.find_documents()),
    ));
    sc.expect(
        refusal.to_string().contains("functional rights"),
        format!("a refusal by the functional rights, got: {refusal}"),
    );

    sc.step("SSIAD + HAD. Laura's condition worsens: the HAD takes over the care and deposits its plan de soins, its prescription and its psychologist's assessment.");
    sc.expect(sc.rights(&had, "TD2.1"), "TD2.1 allowed to the HAD");
    let garnier = had.person().clone();
    let psychologue: dmp_core::cda::CdaPerson = serde_json::from_value(serde_json::json!({
        "idnat": "3690800909/PSY-0002",
        "family_name": "ANDRÉ",
        "given_name": "Claire",
        "specialty": "93"
    }))?;
    let documents = vec![
        sc.document(
            &had,
            &garnier,
            &Doc {
                kind: DocumentKind::PlanDeSoins,
                id: PLAN_SOINS_HAD,
                title: "Plan personnalisé de soins HAD",
                time: "2026-11-02T12:00:00+01:00",
                text: "Pansement d'escarre sacrée tous les 2 jours, antalgie palier 2, \
                   passage SSIAD maintenu pour la toilette.\n",
            },
        )?,
        sc.document(
            &had,
            &garnier,
            &Doc {
                kind: DocumentKind::Prescription,
                id: PRESCRIPTION_HAD,
                title: "Prescription HAD",
                time: "2026-11-02T12:10:00+01:00",
                text: "Tramadol 50 mg x3/j. Pansements hydrocellulaires. Matelas à air.\n",
            },
        )?,
        sc.document(
            &had,
            &psychologue,
            &Doc {
                kind: DocumentKind::BilanPsychologique,
                id: BILAN_PSY_HAD,
                title: "Bilan psychologique HAD",
                time: "2026-11-04T16:00:00+01:00",
                text: "Humeur dépressive réactionnelle, soutien hebdomadaire proposé.\n",
            },
        )?,
    ];
    sc.deposit(&had, &sc.feed_request(&had, documents)?);

    sc.step("The SSIAD's infirmière coordinatrice (e-CPS, AIR) reads the HAD's documents.");
    sc.expect(
        sc.rights(&idec, "TD3.1"),
        "TD3.1 allowed to an infirmier in AIR",
    );
    sc.checked("consent: care team at home (SSIAD, SAAD, HAD), Laura's initial consent given on 2026-06-01");
    let docs = found(&sc.accepted(sc.consult(
        &idec,
        &sc.request(&idec, care_team.clone(), sc.find_documents()),
    )));
    let held = sc.store().documents(sc.ins())?;
    sc.shows(&format!(
        "the DMP holds {} documents for Laura; the infirmière sees {}",
        held.len(),
        docs.len()
    ));
    sc.expect_eq(
        "documents the infirmière sees",
        unique_ids(&docs),
        ids(&[
            SYNTHESE_SSIAD,
            PROJET_SAAD,
            PLAN_SOINS_HAD,
            PRESCRIPTION_HAD,
        ]),
    );
    let filtered: Vec<_> = held
        .iter()
        .filter(|d| !docs.iter().any(|s| s.unique_id == d.unique_id))
        .collect();
    sc.expect_eq(
        "documents filtered out for an infirmier",
        filtered
            .iter()
            .map(|d| d.unique_id.as_str())
            .collect::<Vec<_>>(),
        vec![BILAN_PSY_HAD],
    );
    for d in &filtered {
        let allowed = sc.matrix_verdict(&idec, &d.type_code, &format!("not shown: «{}»", d.title));
        sc.expect(
            !allowed,
            "the matrix to explain why the bilan psychologique is not shown",
        );
    }
    sc.read(
        &idec,
        care_team.clone(),
        &[PLAN_SOINS_HAD, PRESCRIPTION_HAD],
    )?;
    sc.checked(
        "asking for the bilan psychologique anyway (the library only explains; the DMP decides):",
    );
    let error = sc.refused_by_dmp(sc.consult(
        &idec,
        &sc.request(&idec, care_team, sc.retrieve_documents(&[BILAN_PSY_HAD])),
    ));
    sc.expect(
        error.to_string().contains("XDSDocumentUniqueIdError"),
        format!("XDSDocumentUniqueIdError, got: {error}"),
    );
    sc.finish();
    Ok(())
}
