//! TD2.1, feeding (ITI-41 Provide and Register, MTOM): the whole request checked by the
//! core's `feed::check` (VIHF, XAdES manifest signature and each digest, each CDA against
//! its metadata), then the patient, duplicates and the replaced version, then one SQLite
//! transaction stores the documents (RPLC deprecates the old version).

use chrono::Utc;
use dmp_core::crypto::DigestAlgorithm;
use dmp_core::feed;
use dmp_core::soap::mtom;
use dmp_core::xds::answer::{
    registry_document, registry_response_xml, submit_objects_xml, submitted_objects,
};
use dmp_core::xds::vocabulary::{
    ASSOC_RPLC, DMP_REPOSITORY_UNIQUE_ID, SLOT_HASH, SLOT_REPOSITORY_UNIQUE_ID, SLOT_SIZE,
    SS_UNIQUE_ID, STATUS_APPROVED,
};
use dmp_core::xds::{ObjectKind, RegistryError, RimObject, RimSlot};
use dmp_core::xmldsig::VerifyOptions;

use super::registry_error;
use crate::dispatch::{allowed, rights_fault, After, Context, Outcome};
use crate::soap_answer::{self, SoapFault};
use crate::store::{self, DocumentRow};

const ANSWER_ACTION: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse";

/// One document to store.
struct Incoming {
    row: DocumentRow,
    entry_xml: Vec<u8>,
    cda: Vec<u8>,
    replaces: Option<String>,
}

pub(crate) fn run(ctx: &Context<'_>) -> Outcome {
    if !allowed(ctx, "TD2.1", None) {
        return super::fault(ctx, rights_fault(ctx, "TD2.1"), "");
    }
    let refuse = |errors: Vec<RegistryError>, ins: &str| {
        let code = errors
            .first()
            .map(|e| e.error_code.clone())
            .unwrap_or_default();
        Outcome::refused(answer(ctx, &errors), &code, ins)
    };
    let now = Utc::now();
    let mut options = VerifyOptions::new(now).with_trust(ctx.checker.trust.clone());
    options.intermediates = ctx.checker.intermediates.clone();
    let report = match feed::check(ctx.message, &options) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                vec![registry_error("XDSRegistryMetadataError", e.to_string())],
                "",
            )
        }
    };
    if !report.is_ok() {
        let lines: Vec<String> = report
            .render()
            .lines()
            .filter(|l| {
                l.contains("INVALID")
                    || l.contains("NOT OK")
                    || l.starts_with("problem")
                    || l.starts_with("  -")
                    || l.starts_with("  +")
            })
            .map(str::to_owned)
            .collect();
        return refuse(
            vec![registry_error(
                "XDSRegistryMetadataError",
                format!("Soumission refusée : {}", lines.join(" ; ")),
            )],
            "",
        );
    }
    let Ok(multipart) = mtom::parse_message(ctx.message) else {
        return refuse(
            vec![registry_error(
                "XDSRegistryMetadataError",
                "message MTOM illisible",
            )],
            "",
        );
    };
    let objects = match submitted_objects(ctx.envelope) {
        Ok(o) => o,
        Err(e) => {
            return refuse(
                vec![registry_error("XDSRegistryMetadataError", e.to_string())],
                "",
            )
        }
    };
    let rplc: Vec<(String, String)> = objects
        .iter()
        .filter(|o| {
            o.kind == ObjectKind::Association && o.attr("associationType") == Some(ASSOC_RPLC)
        })
        .filter_map(|a| {
            Some((
                a.attr("sourceObject")?.to_owned(),
                a.attr("targetObject")?.to_owned(),
            ))
        })
        .collect();
    let package = objects
        .iter()
        .find(|o| o.kind == ObjectKind::RegistryPackage);
    let ss_uuid = package.map(|p| p.id().to_owned()).unwrap_or_default();
    let ss_unique = package
        .and_then(|p| p.external_identifier(SS_UNIQUE_ID))
        .unwrap_or_default()
        .to_owned();
    let structure = ctx.caller.token.structure_id.clone();
    let at = now.to_rfc3339();
    let mut incoming = Vec::new();
    for d in &report.documents {
        let Some(mut rim) = objects.iter().find(|o| o.id() == d.entry_id).cloned() else {
            continue;
        };
        let Some(part) = multipart.part(&d.content_id) else {
            continue;
        };
        let entry_uuid = if rim.id().starts_with("urn:uuid:") {
            rim.id().to_owned()
        } else {
            format!("urn:uuid:{}", uuid::Uuid::new_v4())
        };
        rim.set_attr("id", entry_uuid.as_str());
        rim.set_attr("status", STATUS_APPROVED);
        add_repository_slots(&mut rim, &part.bytes);
        let entry_xml = match submit_objects_xml(std::slice::from_ref(&rim)) {
            Ok(x) => x,
            Err(e) => {
                return refuse(
                    vec![registry_error("XDSRegistryMetadataError", e.to_string())],
                    "",
                )
            }
        };
        let doc = match registry_document(rim) {
            Ok(doc) => doc,
            Err(e) => {
                return refuse(
                    vec![registry_error("XDSRegistryMetadataError", e.to_string())],
                    "",
                )
            }
        };
        let ins = doc
            .patient_ins()
            .map(|i| i.matricule().as_str().to_owned())
            .unwrap_or_default();
        incoming.push(Incoming {
            row: DocumentRow {
                entry_uuid: entry_uuid.clone(),
                unique_id: doc.unique_id.clone(),
                ins,
                lid: entry_uuid,
                version: 1,
                status: "approved".into(),
                type_code: doc
                    .type_code
                    .as_ref()
                    .map(|c| c.code.clone())
                    .unwrap_or_default(),
                title: doc.title.clone().unwrap_or_default(),
                masque_ps: doc.masked_to_professionals(),
                invisible_patient: doc.invisible_to_patient(),
                invisible_representants_legaux: doc.invisible_to_legal_representatives(),
                structure: structure.clone(),
                submitted_at: at.clone(),
            },
            entry_xml,
            cda: part.bytes.to_vec(),
            replaces: rplc
                .iter()
                .find(|(s, _)| *s == d.entry_id)
                .map(|(_, t)| t.clone()),
        });
    }
    let ins = incoming
        .first()
        .map(|i| i.row.ins.clone())
        .unwrap_or_default();
    if let Some(vihf_ins) = &ctx.caller.patient {
        if incoming
            .iter()
            .any(|i| i.row.ins != vihf_ins.matricule().as_str())
        {
            return refuse(
                vec![registry_error(
                    "XDSPatientIdDoesNotMatch",
                    "Le patient des documents n'est pas celui du VIHF (resource-id)",
                )],
                &ins,
            );
        }
    }
    let stored = ctx.checker.store.transaction(|tx| -> Result<Result<(), Vec<RegistryError>>, rusqlite::Error> {
        for i in &incoming {
            if store::patient(tx, &i.row.ins)?.is_none() {
                return Ok(Err(vec![registry_error(
                    "XDSUnknownPatientId",
                    format!("Patient inconnu : aucun DMP pour l'INS {}", i.row.ins),
                )]));
            }
            if store::unique_id_exists(tx, &i.row.unique_id)? {
                return Ok(Err(vec![registry_error(
                    "XDSDuplicateUniqueIdInRegistry",
                    format!("Le uniqueId {} est déjà enregistré", i.row.unique_id),
                )]));
            }
        }
        if !ss_unique.is_empty() && store::unique_id_exists(tx, &ss_unique)? {
            return Ok(Err(vec![registry_error(
                "XDSDuplicateUniqueIdInRegistry",
                format!("Le uniqueId de lot {ss_unique} est déjà enregistré"),
            )]));
        }
        store::insert_submission_set(tx, &ss_uuid, &ss_unique, &ins, &at, &structure)?;
        for i in &incoming {
            let mut row = i.row.clone();
            if let Some(old) = &i.replaces {
                match store::stored_document(tx, old)? {
                    Some(o) if o.row.status == "approved" && o.row.ins == row.ins => {
                        store::set_status(tx, &o.row.entry_uuid, "deprecated")?;
                        row.lid = o.row.lid.clone();
                        row.version = o.row.version + 1;
                    }
                    _ => {
                        return Ok(Err(vec![registry_error(
                            "XDSReplaceFailed",
                            format!("Le document remplacé {old} n'existe pas ou n'est pas la version courante"),
                        )]))
                    }
                }
            }
            store::insert_document(tx, &row, &ss_uuid, &i.entry_xml, &i.cda)?;
        }
        Ok(Ok(()))
    });
    match stored {
        Ok(Ok(())) => {}
        Ok(Err(errors)) => {
            // The transaction committed nothing but the checks: roll back is implicit as
            // nothing was written before the refusal.
            return refuse(errors, &ins);
        }
        Err(e) => {
            return super::fault(
                ctx,
                SoapFault::receiver(format!("Erreur interne : {e}")),
                &ins,
            )
        }
    }
    let mut outcome = Outcome::ok(answer(ctx, &[]), &ins);
    outcome.after = ctx.checker.faults.after_store();
    if outcome.after != After::Answer {
        outcome.logged = "OK (connexion coupée par le crochet de test)".into();
    }
    outcome
}

fn answer(ctx: &Context<'_>, errors: &[RegistryError]) -> crate::soap_answer::Answer {
    let body = registry_response_xml(errors).unwrap_or_default();
    soap_answer::plain(ANSWER_ACTION, ctx.message_id, &body)
}

/// What the repository adds to an entry it stores, as the DMP's TD3.1 answers show: the size
/// and SHA-1 of the bytes and where they are (the DMP's repository). Values the submitter
/// wrote for these slots are replaced by the repository's own.
pub(crate) fn add_repository_slots(rim: &mut RimObject, document: &[u8]) {
    let hash: String = DigestAlgorithm::Sha1
        .digest(document)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    rim.slots
        .retain(|s| ![SLOT_SIZE, SLOT_HASH, SLOT_REPOSITORY_UNIQUE_ID].contains(&s.name.as_ref()));
    rim.slots.extend([
        RimSlot::new(SLOT_SIZE, vec![document.len().to_string()]),
        RimSlot::new(SLOT_HASH, vec![hash]),
        RimSlot::new(
            SLOT_REPOSITORY_UNIQUE_ID,
            vec![DMP_REPOSITORY_UNIQUE_ID.to_owned()],
        ),
    ]);
}
