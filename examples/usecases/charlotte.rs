//! « Charlotte utilise Mon espace santé après une vaccination »: the FAM's nurse vaccinates
//! Charlotte and the FAM deposits the note de vaccination, which Charlotte sees in Mon espace
//! santé; a consultation report is made invisible to her until her doctor has told her the
//! result, then visible again (TD3.3b); Charlotte masks it to professionals from Mon espace
//! santé, and the DMP respects it: another structure's doctor no longer finds it, the FAM,
//! which deposited it, still does.

use dmp_core::consent::Consent;
use dmp_core::consult::{EntryArgs, Transaction};
use dmp_core::model::{Confidentiality, DocumentKind};
use dmp_sandbox::UsagerViewer;

use crate::common::{explicit_consent_now, found, ids, unique_ids, Actor, Doc, Error, Scenario};

const NOTE_VACCINATION: &str = "1.2.250.1.999.1.1.6811.3.6101";
const CR_CONSULTATION: &str = "1.2.250.1.999.1.1.6811.3.6102";

/// TD3.3b on the consultation report: `visible` to Charlotte or not.
fn set_visible(sc: &Scenario, doctor: &Actor, visible: bool) {
    let entry = sc.reference(doctor, CR_CONSULTATION);
    let transaction = Transaction::Visibility {
        entry: EntryArgs {
            ins: sc.usager.patient.ins.clone(),
            unique_id: CR_CONSULTATION.to_owned(),
            content_type_code: None,
            entry: Some(entry),
        },
        patient: Some(visible),
        legal_representatives: None,
    };
    sc.accepted(sc.consult(doctor, &sc.request(doctor, None, transaction)));
}

/// The uniqueIds Charlotte sees in Mon espace santé.
fn charlotte_sees(sc: &Scenario) -> Result<Vec<String>, Error> {
    let rows = sc.store().usager_view(sc.ins(), UsagerViewer::Usager)?;
    let seen: Vec<&str> = rows.iter().map(|d| d.unique_id.as_str()).collect();
    sc.shows(&format!(
        "Charlotte sees in Mon espace santé: {}",
        seen.join(", ")
    ));
    Ok(ids(&seen))
}

/// Runs the story; panics at the first step that deviates.
pub fn run() -> Result<(), Error> {
    let sc = Scenario::start(
        "charlotte",
        "Charlotte utilise Mon espace santé après une vaccination (FAM)",
    )?;
    let fam = sc.actor("fam-etablissement", "uc-fam-sign.p12")?;
    let doctor = sc.actor("fam-medecin-ecps", "uc-fam-sign.p12")?;
    let hospital_doctor = sc.actor("ch-medecin-ecps", "uc-ch-lyon-sign.p12")?;

    sc.step(
        "The FAM's nurse vaccinates Charlotte; the FAM deposits the note de vaccination (87273-9).",
    );
    sc.expect(sc.rights(&fam, "TD2.1"), "TD2.1 allowed to the FAM");
    let note = sc.document(
        &fam,
        fam.person(),
        &Doc {
            kind: DocumentKind::NoteVaccination,
            id: NOTE_VACCINATION,
            title: "Note de vaccination - grippe saisonnière",
            time: "2026-10-28T10:15:00+01:00",
            text: "Vaccin grippal quadrivalent, lot TEST-4521, deltoïde gauche, sans réaction \
               immédiate.\n",
        },
    )?;
    sc.deposit(&fam, &sc.feed_request(&fam, vec![note])?);
    let seen = charlotte_sees(&sc)?;
    sc.expect_eq(
        "Charlotte's space after the vaccination",
        seen,
        ids(&[NOTE_VACCINATION]),
    );

    sc.step("The FAM deposits the report of her consultation with the FAM's doctor (a serology result).");
    let report = sc.document(
        &fam,
        doctor.person(),
        &Doc {
            kind: DocumentKind::CrConsultation,
            id: CR_CONSULTATION,
            title: "CR de consultation - résultat de sérologie",
            time: "2026-11-02T09:30:00+01:00",
            text: "Sérologie de contrôle : résultat à annoncer en consultation.\n",
        },
    )?;
    sc.deposit(&fam, &sc.feed_request(&fam, vec![report])?);

    sc.step("The doctor (e-CPS, AIR) makes the report invisible to Charlotte until he has told her the result (TD3.3b).");
    sc.expect(
        sc.rights(&doctor, "TD3.3b"),
        "TD3.3b allowed to the doctor in AIR",
    );
    set_visible(&sc, &doctor, false);
    let seen = charlotte_sees(&sc)?;
    sc.expect_eq(
        "Charlotte's space while the result waits",
        seen,
        ids(&[NOTE_VACCINATION]),
    );

    sc.step("After the consultation the doctor makes it visible to her again (TD3.3b).");
    set_visible(&sc, &doctor, true);
    let seen = charlotte_sees(&sc)?;
    sc.expect_eq(
        "Charlotte's space after the announcement",
        seen,
        ids(&[NOTE_VACCINATION, CR_CONSULTATION]),
    );

    sc.step("In Mon espace santé, Charlotte masks the report to professionals (sandbox stand-in: Store::mask_by_usager).");
    let row = sc.store().mask_by_usager(sc.ins(), CR_CONSULTATION, true)?;
    sc.shows(&format!(
        "the DMP now keeps {} masked to professionals: {}",
        row.unique_id, row.masque_ps
    ));
    sc.expect(row.masque_ps, "the report to be masked to professionals");

    sc.step("A hospital doctor (e-CPS, AIR), with Charlotte's consent, searches her DMP: the masked report is not listed.");
    let consent = explicit_consent_now();
    sc.checked("consent: explicit, given by Charlotte for this consultation");
    let docs = found(&sc.accepted(sc.consult(
        &hospital_doctor,
        &sc.request(&hospital_doctor, consent.clone(), sc.find_documents()),
    )));
    sc.expect_eq(
        "documents the hospital doctor finds",
        unique_ids(&docs),
        ids(&[NOTE_VACCINATION]),
    );
    let refused = sc.refused_by_dmp(sc.consult(
        &hospital_doctor,
        &sc.request(
            &hospital_doctor,
            consent,
            sc.retrieve_documents(&[CR_CONSULTATION]),
        ),
    ));
    sc.expect(
        refused.to_string().contains("XDSDocumentUniqueIdError"),
        format!("XDSDocumentUniqueIdError for the masked report, got: {refused}"),
    );

    sc.step(
        "The FAM's doctor, whose structure deposited the report, still finds it, marked MASQUE_PS.",
    );
    let care_team = Some(Consent::care_team("2024-01-15T10:00:00+01:00".parse()?));
    let docs = found(&sc.accepted(sc.consult(
        &doctor,
        &sc.request(&doctor, care_team, sc.find_documents()),
    )));
    let masked = docs
        .iter()
        .find(|d| d.unique_id == CR_CONSULTATION)
        .map(|d| {
            d.confidentiality
                .iter()
                .any(|c| c.code == Confidentiality::MASQUE_PS)
        });
    sc.expect_eq(
        "the report listed for the FAM, with MASQUE_PS",
        masked,
        Some(true),
    );
    sc.finish();
    Ok(())
}
