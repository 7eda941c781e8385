//! « David fait une chute » (EHPAD): the DLU kept up to date and deposited by the EHPAD,
//! read by the SAMU in centre 15 access; the hospital deposits its CR d'hospitalisation and
//! its prescription; back at the EHPAD the médecin coordonnateur (CPS) finds and reads them;
//! the projet personnalisé is updated (a replacement); the kinésithérapeute libéral, with
//! David's consent, consults.

use dmp_core::consent::Consent;
use dmp_core::model::DocumentKind;

use crate::common::{explicit_consent_now, found, ids, unique_ids, Doc, Error, Scenario};

const DLU_V1: &str = "1.2.250.1.999.1.1.7898.3.5101";
const DLU_V2: &str = "1.2.250.1.999.1.1.7898.3.5102";
const PP_V1: &str = "1.2.250.1.999.1.1.7898.3.5201";
const PP_V2: &str = "1.2.250.1.999.1.1.7898.3.5202";
const CR_HOSPI: &str = "1.2.250.1.999.1.1.6900.3.5301";
const ORDONNANCE: &str = "1.2.250.1.999.1.1.6900.3.5302";

/// Runs the story; panics at the first step that deviates.
pub fn run() -> Result<(), Error> {
    let sc = Scenario::start("david", "David fait une chute (EHPAD)")?;
    let ehpad = sc.actor("ehpad-etablissement", "org-sign.p12")?;
    let samu = sc.actor("samu-regulateur-ecps", "uc-ch-lyon-sign.p12")?;
    let hospital = sc.actor("ch-lyon-etablissement", "uc-ch-lyon-sign.p12")?;
    let doctor = sc.actor("medecin-coordonnateur-cps", "cps-sign.p12")?;
    let kine = sc.card_actor(
        "kine-liberal-cps",
        "uc-kine-roux-auth.p12",
        "uc-kine-roux-sign.p12",
    )?;
    let ins = sc.usager.patient.ins.clone();

    sc.step(
        "The EHPAD checks that David has a DMP it may feed (TD0.2, establishment certificate).",
    );
    sc.expect(sc.rights(&ehpad, "TD0.2"), "TD0.2 allowed to the EHPAD");
    let status = sc.accepted(sc.consult(
        &ehpad,
        &sc.request(&ehpad, None, dmp_core::consult::Transaction::Status { ins }),
    ));
    match &status {
        dmp_core::consult::Response::Status(s) => sc.expect(s.exists, "David's DMP to exist"),
        other => sc.expect(
            false,
            format!("a TD0.2 answer, got {}", other.transaction()),
        ),
    }

    sc.step("At admission the EHPAD deposited David's DLU and his projet personnalisé (TD2.1).");
    sc.expect(sc.rights(&ehpad, "TD2.1"), "TD2.1 allowed to the EHPAD");
    let martin = doctor.person().clone();
    let dlu_v1 = sc.document(
        &ehpad,
        &martin,
        &Doc {
            kind: DocumentKind::Dlu,
            id: DLU_V1,
            title: "Dossier de liaison d'urgence",
            time: "2026-09-01T10:00:00+02:00",
            text: "DLU de M. MOREAU. Antécédents : HTA, arthrose. Traitement : amlodipine 5 mg.\n",
        },
    )?;
    let pp_v1 = sc.document(
        &ehpad,
        ehpad.person(),
        &Doc {
            kind: DocumentKind::ProjetPersonnalise,
            id: PP_V1,
            title: "Projet personnalisé d'accompagnement",
            time: "2026-09-15T14:00:00+02:00",
            text: "Objectifs : maintien de la marche, vie sociale (atelier chant).\n",
        },
    )?;
    let admission = sc.feed_request(&ehpad, vec![dlu_v1.clone(), pp_v1.clone()])?;
    sc.deposit(&ehpad, &admission);

    sc.step("David falls in the night. The IDEC updates the DLU in the DUI (new treatment, fall) and the EHPAD deposits it as a new version (RPLC).");
    let dlu_entry = sc.reference(&ehpad, DLU_V1);
    let dlu_v2 = sc.new_version(
        &dlu_v1,
        &dlu_entry.entry_uuid,
        &Doc {
            kind: DocumentKind::Dlu,
            id: DLU_V2,
            title: "Dossier de liaison d'urgence (mise à jour après chute)",
            time: "2026-10-02T03:10:00+02:00",
            text: "DLU de M. MOREAU mis à jour : chute nocturne, douleur hanche droite. \
                   Anticoagulant introduit le 20/09 (apixaban 2,5 mg x2).\n",
        },
    )?;
    sc.deposit(&ehpad, &sc.feed_request(&ehpad, vec![dlu_v2])?);
    let stored = sc.store().documents(sc.ins())?;
    let v1 = stored.iter().find(|d| d.unique_id == DLU_V1);
    let v2 = stored.iter().find(|d| d.unique_id == DLU_V2);
    sc.expect_eq(
        "DLU v1 status",
        v1.map(|d| d.status.as_str()),
        Some("deprecated"),
    );
    sc.expect_eq(
        "DLU v2 status and version",
        v2.map(|d| (d.status.as_str(), d.version)),
        Some(("approved", 2)),
    );

    sc.step("The SAMU's médecin régulateur reads the DLU in centre 15 access mode (e-CPS, AIR).");
    sc.expect(sc.rights(&samu, "TD3.1"), "TD3.1 allowed in centre 15");
    let emergency = Some(Consent::Emergency {
        usager_objected: false,
    });
    sc.checked("consent: emergency access, David did not object to it in advance");
    let answer = sc.accepted(sc.consult(
        &samu,
        &sc.request(&samu, emergency.clone(), sc.find_documents()),
    ));
    let docs = found(&answer);
    sc.expect_eq(
        "documents the SAMU finds",
        unique_ids(&docs),
        ids(&[DLU_V2, PP_V1]),
    );
    sc.matrix_verdicts(&samu, &docs);
    sc.read(&samu, emergency, &[DLU_V2])?;
    let log = sc.store().access_log()?;
    let centre15 = log
        .iter()
        .filter(|a| a.bris_de_glace && a.who.ends_with("899900100118"))
        .count();
    sc.expect_eq(
        "accesses logged as emergency (centre 15) for the SAMU",
        centre15,
        2,
    );
    sc.shows(&format!(
        "sandbox access log: {centre15} accesses of the SAMU flagged centre 15 / bris de glace"
    ));

    sc.step("At the hospital: the CH deposits its CR d'hospitalisation and the discharge prescription (TD2.1, establishment certificate).");
    sc.expect(sc.rights(&hospital, "TD2.1"), "TD2.1 allowed to the CH");
    let roussel = hospital.person().clone();
    let cr = sc.document(
        &hospital,
        &roussel,
        &Doc {
            kind: DocumentKind::CrHospitalisation,
            id: CR_HOSPI,
            title: "CR d'hospitalisation - chute, fracture du col fémoral",
            time: "2026-10-09T16:00:00+02:00",
            text: "Fracture du col fémoral droit, prothèse intermédiaire le 03/10. \
                   Appui complet autorisé. Kinésithérapie quotidienne.\n",
        },
    )?;
    let ordonnance = sc.document(
        &hospital,
        &roussel,
        &Doc {
            kind: DocumentKind::Prescription,
            id: ORDONNANCE,
            title: "Ordonnance de sortie",
            time: "2026-10-09T16:05:00+02:00",
            text: "Paracétamol 1 g x3/j 10 jours. Enoxaparine 4000 UI/j 35 jours. \
                   Kinésithérapie : rééducation à la marche, 20 séances.\n",
        },
    )?;
    sc.deposit(
        &hospital,
        &sc.feed_request(&hospital, vec![cr, ordonnance])?,
    );

    sc.step("Back at the EHPAD, the médecin coordonnateur (CPS, direct mode) finds and reads them (TD3.1, TD3.2).");
    sc.expect(
        sc.rights(&doctor, "TD3.2"),
        "TD3.2 allowed to the médecin with her CPS",
    );
    let care_team = Some(Consent::care_team("2026-09-01T09:00:00+02:00".parse()?));
    sc.checked("consent: care team of the EHPAD, initial consent given at admission (2026-09-01), David informed, no objection");
    let docs = found(&sc.accepted(sc.consult(
        &doctor,
        &sc.request(&doctor, care_team.clone(), sc.find_documents()),
    )));
    sc.expect_eq(
        "documents the médecin coordonnateur finds",
        unique_ids(&docs),
        ids(&[CR_HOSPI, ORDONNANCE, DLU_V2, PP_V1]),
    );
    sc.matrix_verdicts(&doctor, &docs);
    sc.read(&doctor, care_team.clone(), &[CR_HOSPI, ORDONNANCE])?;

    sc.step("The projet personnalisé is revised after the fall (new objectives) and deposited as a replacement (RPLC).");
    let pp_entry = sc.reference(&ehpad, PP_V1);
    let pp_v2 = sc.new_version(
        &pp_v1,
        &pp_entry.entry_uuid,
        &Doc {
            kind: DocumentKind::ProjetPersonnalise,
            id: PP_V2,
            title: "Projet personnalisé d'accompagnement (révision après chute)",
            time: "2026-10-15T14:00:00+02:00",
            text: "Objectifs révisés : reprise de la marche avec déambulateur, prévention des \
                   chutes (capteur de lit), kinésithérapie 3 fois par semaine.\n",
        },
    )?;
    sc.deposit(&ehpad, &sc.feed_request(&ehpad, vec![pp_v2])?);
    let docs = found(&sc.accepted(sc.consult(
        &doctor,
        &sc.request(&doctor, care_team, sc.find_documents()),
    )));
    let pp = docs.iter().find(|d| d.unique_id == PP_V2);
    sc.expect_eq(
        "the projet personnalisé the DMP lists now: version 2",
        pp.and_then(|d| d.version.clone()),
        Some("2".to_owned()),
    );
    sc.expect(
        !docs.iter().any(|d| d.unique_id == PP_V1),
        "version 1 of the projet personnalisé no longer listed as approved",
    );

    sc.step("The kinésithérapeute libéral (CPS) who will do the rehabilitation consults the DMP.");
    sc.checked("first without David's consent:");
    sc.refused_before_sending(sc.consult(&kine, &sc.request(&kine, None, sc.find_documents())));
    let consent = explicit_consent_now();
    sc.checked("David gives his explicit consent to this consultation (outside the care team, R.1111-46 al. 3)");
    sc.expect(
        sc.rights(&kine, "TD3.2"),
        "TD3.2 allowed to the kiné with his CPS",
    );
    let docs = found(&sc.accepted(sc.consult(
        &kine,
        &sc.request(&kine, consent.clone(), sc.find_documents()),
    )));
    let readable = sc.matrix_verdicts(&kine, &docs);
    sc.expect(
        readable.contains(&CR_HOSPI.to_owned()),
        "the kiné's matrix row to read the CR d'hospitalisation",
    );
    sc.read(&kine, consent, &[CR_HOSPI])?;
    sc.finish();
    Ok(())
}
