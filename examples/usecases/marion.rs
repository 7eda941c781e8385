//! « Marion réalise des examens »: the laboratory and the imaging centre deposit her results;
//! the doctor of her FAM reads them with her consent (care team); a nurse of the FAM who holds
//! no card at all (neither CPS nor e-CPS) is told, before anything is sent, that she needs
//! one.

use dmp_core::consent::Consent;
use dmp_core::habilitation::{ConsultStatus, Rights, StaffList, StaffReport};
use dmp_core::model::DocumentKind;

use crate::common::{found, ids, repo, unique_ids, Doc, Error, Scenario};

const CR_BIO: &str = "1.2.250.1.999.1.1.6805.3.7101";
const CR_IMAGERIE: &str = "1.2.250.1.999.1.1.6806.3.7201";
/// The nurse without a card (`fam-infirmier-sans-carte.json`, `fam-staff.json`).
const NURSE_IDNAT: &str = "899900100217";

/// Runs the story; panics at the first step that deviates.
pub fn run() -> Result<(), Error> {
    let sc = Scenario::start("marion", "Marion réalise des examens (FAM)")?;
    let lab = sc.actor("labo-etablissement", "uc-labo-sign.p12")?;
    let imaging = sc.actor("imagerie-etablissement", "uc-imagerie-sign.p12")?;
    let doctor = sc.actor("fam-medecin-ecps", "uc-fam-sign.p12")?;
    let nurse = sc.actor("fam-infirmier-sans-carte", "uc-fam-sign.p12")?;

    sc.step(
        "The laboratory deposits Marion's blood test results (TD2.1, establishment certificate).",
    );
    sc.expect(sc.rights(&lab, "TD2.1"), "TD2.1 allowed to the laboratory");
    let bio = sc.document(
        &lab,
        lab.person(),
        &Doc {
            kind: DocumentKind::CrBiologie,
            id: CR_BIO,
            title: "CR d'examens biologiques - bilan annuel",
            time: "2026-11-03T11:20:00+01:00",
            text: "NFS normale. HbA1c 7,4 % (6,9 % en mai). Créatinine 88 µmol/L, DFG 62.\n",
        },
    )?;
    sc.deposit(&lab, &sc.feed_request(&lab, vec![bio])?);

    sc.step("The imaging centre deposits her abdominal ultrasound report (TD2.1).");
    let echo = sc.document(
        &imaging,
        imaging.person(),
        &Doc {
            kind: DocumentKind::CrImagerie,
            id: CR_IMAGERIE,
            title: "CR d'imagerie - échographie abdominale",
            time: "2026-11-05T15:40:00+01:00",
            text: "Foie stéatosique homogène. Pas de lithiase vésiculaire. Reins normaux.\n",
        },
    )?;
    sc.deposit(&imaging, &sc.feed_request(&imaging, vec![echo])?);

    sc.step("The FAM's doctor (e-CPS, AIR) finds and reads the results, with Marion's consent.");
    sc.expect(
        sc.rights(&doctor, "TD3.2"),
        "TD3.2 allowed to the doctor in AIR",
    );
    let consent = Some(Consent::care_team("2025-03-10T10:00:00+01:00".parse()?));
    sc.checked("consent: care team of the FAM, Marion's initial consent given on 2025-03-10, informed, no objection");
    let docs = found(&sc.accepted(sc.consult(
        &doctor,
        &sc.request(&doctor, consent.clone(), sc.find_documents()),
    )));
    sc.expect_eq(
        "results the doctor finds",
        unique_ids(&docs),
        ids(&[CR_BIO, CR_IMAGERIE]),
    );
    let readable = sc.matrix_verdicts(&doctor, &docs);
    sc.expect_eq("results the matrix lets a médecin read", readable.len(), 2);
    sc.read(&doctor, consent.clone(), &[CR_BIO, CR_IMAGERIE])?;

    sc.step("Thomas, a nurse of the FAM with no card at all, would like to read the results too.");
    let text = std::fs::read_to_string(repo("examples/data/usecases/fam-staff.json"))?;
    let staff: StaffList = dmp_core::json::from_str(&text)?;
    let report = StaffReport::build(&staff, &sc.matrix, &Rights::embedded()?);
    let line = report
        .entries
        .iter()
        .find(|e| e.idnat == NURSE_IDNAT)
        .ok_or("fam-staff.json has no nurse without a card")?;
    sc.checked(&format!(
        "staff report — {}: {}",
        line.name, line.consult.reason
    ));
    sc.expect_eq(
        "the nurse's consultation verdict",
        line.consult.status,
        ConsultStatus::NeedsCard,
    );
    sc.matrix_verdict(
        &nurse,
        "11502-2",
        "what an infirmier could read once carded: CR de biologie",
    );
    sc.checked("the DUI tries anyway, with the FAM's establishment certificate (no card):");
    let refusal = sc.refused_before_sending(
        sc.consult(&nurse, &sc.request(&nurse, consent, sc.find_documents())),
    );
    sc.expect(
        refusal.to_string().contains("functional rights"),
        format!("a refusal by the functional rights, got: {refusal}"),
    );
    let sent_by_nurse = sc
        .store()
        .access_log()?
        .iter()
        .filter(|a| a.who.ends_with(NURSE_IDNAT))
        .count();
    sc.expect_eq("requests of the nurse the DMP received", sent_by_nurse, 0);
    sc.shows(
        "the DMP received nothing from him: to consult he must order a CPS or activate an e-CPS",
    );
    sc.finish();
    Ok(())
}
