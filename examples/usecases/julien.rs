//! « Julien va entrer en IME »: Julien is 12, a minor whose parents are his legal
//! representatives. The hospital's reports are in his DMP (one of them, at his request,
//! hidden from his parents: art. L.1111-5 CSP); his parents see the others in Mon espace
//! santé; the IME's doctor reads the previous reports with the parents' consent before the
//! admission; after the admission the IME deposits his projet personnalisé, which his parents
//! then see.

use dmp_core::consent::Consent;
use dmp_core::model::{Confidentiality, ConfidentialityLevel, DocumentKind};
use dmp_sandbox::UsagerViewer;

use crate::common::{explicit_consent_now, found, ids, unique_ids, Doc, Error, Scenario};

const CR_NEUROPED: &str = "1.2.250.1.999.1.1.6900.3.9101";
const BILAN_PSY: &str = "1.2.250.1.999.1.1.6900.3.9102";
const CR_CONFIDENTIEL: &str = "1.2.250.1.999.1.1.6900.3.9103";
const PROJET_IME: &str = "1.2.250.1.999.1.1.6810.3.9201";

/// Runs the story; panics at the first step that deviates.
pub fn run() -> Result<(), Error> {
    let sc = Scenario::start("julien", "Julien va entrer en IME (mineur)")?;
    let hospital = sc.actor("ch-lyon-etablissement", "uc-ch-lyon-sign.p12")?;
    let ime = sc.actor("ime-etablissement", "uc-ime-sign.p12")?;
    let doctor = sc.actor("ime-medecin-ecps", "uc-ime-sign.p12")?;
    sc.expect(sc.usager.minor, "Julien to be a minor (usagers.json)");

    sc.step("Before the admission: the CH's neuropaediatrics deposits its reports; one consultation, held alone with Julien at his request, is hidden from his parents (INVISIBLE_REPRESENTANTS_LEGAUX).");
    let person = |idnat: &str, family: &str, given: &str, specialty: &str| {
        serde_json::from_value::<dmp_core::cda::CdaPerson>(serde_json::json!({
            "idnat": idnat, "family_name": family, "given_name": given, "specialty": specialty
        }))
    };
    sc.expect(sc.rights(&hospital, "TD2.1"), "TD2.1 allowed to the CH");
    let neuropediatre = person("899900100175", "COHEN", "Sarah", "G15_10/SM40")?;
    let psychologue = person("3690000880/PSY-0011", "LEMAIRE", "Julie", "93")?;
    let mut confidential = sc.document(
        &hospital,
        &neuropediatre,
        &Doc {
            kind: DocumentKind::CrConsultation,
            id: CR_CONFIDENTIEL,
            title: "CR de consultation - entretien seul avec Julien",
            time: "2026-05-20T11:00:00+02:00",
            text: "Entretien à la demande de Julien, qui souhaite garder le secret vis-à-vis de \
               ses parents (art. L.1111-5 CSP).\n",
        },
    )?;
    confidential.visibility = Some(Confidentiality {
        level: ConfidentialityLevel::N,
        invisible_representants_legaux: true,
        ..Confidentiality::default()
    });
    let documents = vec![
        sc.document(
            &hospital,
            &neuropediatre,
            &Doc {
                kind: DocumentKind::CrConsultation,
                id: CR_NEUROPED,
                title: "CR de consultation de neuropédiatrie",
                time: "2026-05-12T10:30:00+02:00",
                text: "Trouble du spectre de l'autisme avec déficience intellectuelle légère. \
                   Orientation IME proposée (notification MDPH en cours).\n",
            },
        )?,
        sc.document(
            &hospital,
            &psychologue,
            &Doc {
                kind: DocumentKind::BilanPsychologique,
                id: BILAN_PSY,
                title: "Bilan psychologique (WISC-V)",
                time: "2026-05-15T15:00:00+02:00",
                text: "Profil hétérogène, compréhension verbale préservée, mémoire de travail \
                   faible.\n",
            },
        )?,
        confidential,
    ];
    sc.deposit(&hospital, &sc.feed_request(&hospital, documents)?);

    sc.step("In Mon espace santé: Julien sees his three documents; his parents, his legal representatives, see two.");
    let own = sc.store().usager_view(sc.ins(), UsagerViewer::Usager)?;
    let parents = sc
        .store()
        .usager_view(sc.ins(), UsagerViewer::LegalRepresentative)?;
    for d in &parents {
        sc.shows(&format!("parents see: {} «{}»", d.unique_id, d.title));
    }
    sc.expect_eq("documents Julien sees", own.len(), 3);
    sc.expect_eq(
        "documents his parents see",
        parents
            .iter()
            .map(|d| d.unique_id.clone())
            .collect::<Vec<_>>(),
        ids(&[CR_NEUROPED, BILAN_PSY]),
    );

    sc.step("Pre-admission meeting: the IME's doctor (e-CPS, AIR) reads the previous reports, with the consent of Julien's parents.");
    sc.expect(
        sc.rights(&doctor, "TD3.2"),
        "TD3.2 allowed to the IME's doctor",
    );
    let parents_consent = explicit_consent_now();
    sc.checked("consent: explicit, given today by Julien's parents (legal representatives) for this consultation: the IME is not yet in his care team");
    let docs = found(&sc.accepted(sc.consult(
        &doctor,
        &sc.request(&doctor, parents_consent.clone(), sc.find_documents()),
    )));
    sc.expect_eq(
        "reports the IME's doctor finds (the hidden-from-parents one included: it is hidden from the parents, not from professionals)",
        unique_ids(&docs),
        ids(&[CR_NEUROPED, BILAN_PSY, CR_CONFIDENTIEL]),
    );
    sc.matrix_verdicts(&doctor, &docs);
    sc.read(&doctor, parents_consent, &[CR_NEUROPED, BILAN_PSY])?;

    sc.step("After the admission the IME deposits Julien's projet personnalisé (TD2.1, establishment certificate).");
    sc.expect(sc.rights(&ime, "TD2.1"), "TD2.1 allowed to the IME");
    let educatrice = person("3690801006/ES-0004", "NAVARRO", "Inès", "326")?;
    let projet = sc.document(
        &ime,
        &educatrice,
        &Doc {
            kind: DocumentKind::ProjetPersonnalise,
            id: PROJET_IME,
            title: "Projet personnalisé d'accompagnement - IME",
            time: "2026-10-20T17:00:00+02:00",
            text: "Objectifs : communication (PECS), autonomie dans les gestes du quotidien, \
               inclusion scolaire en unité d'enseignement 2 demi-journées par semaine.\n",
        },
    )?;
    sc.deposit(&ime, &sc.feed_request(&ime, vec![projet])?);
    let parents = sc
        .store()
        .usager_view(sc.ins(), UsagerViewer::LegalRepresentative)?;
    sc.shows(&format!(
        "his parents now see {} documents in Mon espace santé",
        parents.len()
    ));
    sc.expect(
        parents.iter().any(|d| d.unique_id == PROJET_IME),
        "the parents to see the projet personnalisé",
    );

    sc.step("Now in the IME's care team, the doctor finds the projet personnalisé with the care-team consent the parents gave at admission.");
    let care_team = Some(Consent::care_team("2026-10-01T09:00:00+02:00".parse()?));
    let docs = found(&sc.accepted(sc.consult(
        &doctor,
        &sc.request(&doctor, care_team, sc.find_documents()),
    )));
    sc.expect_eq("documents in Julien's DMP", docs.len(), 4);
    sc.finish();
    Ok(())
}
