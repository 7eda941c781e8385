//! TD3.3, metadata updates (ITI-57): availability (archive, unarchive, delete) by an
//! `UpdateAvailabilityStatus` association, visibility (mask to professionals, visibility to
//! the usager and legal representatives) by a new metadata version of the entry, which then
//! replaces the stored one (TD3.1 answers the new confidentiality codes). Only the current
//! version of a document the caller may see is updated; the functional-rights row is the one
//! of the change asked (mask, unmask, or visibility to the usager).

use dmp_core::xds::answer::{
    registry_document, registry_response_xml, submit_objects_xml, submitted_objects,
};
use dmp_core::xds::vocabulary::{
    ASSOC_UPDATE_AVAILABILITY_STATUS, SLOT_NEW_STATUS, SLOT_ORIGINAL_STATUS, STATUS_APPROVED,
};
use dmp_core::xds::{DocumentStatus, ObjectKind, RegistryError, RimObject};

use super::{registry_error, search::status_urn, visibility};
use crate::dispatch::{allowed, rights_fault, Context, Outcome};
use crate::soap_answer::{self, SoapFault};
use crate::store::{self, DocumentRow};

const ANSWER_ACTION: &str = "urn:ihe:iti:2010:UpdateDocumentSet-Response";

/// What the request asks.
enum Change {
    Availability {
        entry_uuid: String,
        original: String,
        new: String,
    },
    Visibility {
        lid: String,
        /// The new metadata version of the entry.
        entry: Box<RimObject>,
        masque_ps: bool,
        invisible_patient: bool,
        invisible_rl: bool,
    },
}

impl Change {
    /// The functional-rights rows (transaction, label) this change of `current` needs.
    fn rights_rows(&self, current: &DocumentRow) -> Vec<(&'static str, &'static str)> {
        match self {
            Change::Availability { new, .. } => vec![match DocumentStatus::from_urn(new) {
                DocumentStatus::Archived => ("TD3.3d", "Archiver un document *"),
                DocumentStatus::Deleted => ("TD3.3c", "Supprimer un document *"),
                _ => ("TD3.3d", "Désarchiver un document *"),
            }],
            Change::Visibility {
                masque_ps,
                invisible_patient,
                invisible_rl,
                ..
            } => {
                let mut rows = Vec::new();
                if *masque_ps != current.masque_ps {
                    rows.push(if *masque_ps {
                        ("TD3.3a", "Masquer un document aux PS")
                    } else {
                        ("TD3.3a", "Démasquer un document aux PS")
                    });
                }
                if *invisible_patient != current.invisible_patient
                    || *invisible_rl != current.invisible_representants_legaux
                    || rows.is_empty()
                {
                    rows.push(("TD3.3b", "Rendre un document visible au patient"));
                }
                rows
            }
        }
    }
}

/// Why an update is refused.
enum Refusal {
    /// A registry error (answered in the RegistryResponse).
    Registry(RegistryError),
    /// The functional rights (a SOAP fault), for this transaction code.
    Rights(&'static str),
}

pub(crate) fn run(ctx: &Context<'_>) -> Outcome {
    let ins = ctx.caller.ins();
    let change = match read(ctx.envelope) {
        Ok(c) => c,
        Err(e) => return super::fault(ctx, SoapFault::sender(e), &ins),
    };
    let answer = |errors: &[RegistryError]| {
        soap_answer::plain(
            ANSWER_ACTION,
            ctx.message_id,
            &registry_response_xml(errors).unwrap_or_default(),
        )
    };
    let result = ctx.checker.store.transaction(|tx| -> Result<Result<(), Refusal>, rusqlite::Error> {
        let (current, target) = match &change {
            Change::Visibility { lid, .. } => (
                store::stored_documents(tx, &ins)?
                    .into_iter()
                    .find(|d| d.row.lid == *lid && d.row.status == "approved"),
                lid.clone(),
            ),
            Change::Availability { entry_uuid, .. } => {
                (store::stored_document(tx, entry_uuid)?, entry_uuid.clone())
            }
        };
        let Some(doc) = current.filter(|d| d.row.ins == ins && visibility::hidden(ctx, &d.row).is_none()) else {
            return Ok(Err(Refusal::Registry(registry_error("XDSUnknownDocument", format!("Document {target} introuvable pour ce patient")))));
        };
        if let Some((code, _)) = change
            .rights_rows(&doc.row)
            .into_iter()
            .find(|(code, label)| !allowed(ctx, code, Some(label)))
        {
            return Ok(Err(Refusal::Rights(code)));
        }
        match &change {
            Change::Availability { original, new, .. } => {
                if status_urn(&doc.row.status) != original.as_str() {
                    return Ok(Err(Refusal::Registry(registry_error("XDSMetadataUpdateError", format!(
                        "Statut courant {} différent du statut d'origine annoncé {original}", status_urn(&doc.row.status))))));
                }
                let new = match DocumentStatus::from_urn(new) {
                    DocumentStatus::Archived => "archived",
                    DocumentStatus::Deleted => "deleted",
                    DocumentStatus::Approved => "approved",
                    _ => return Ok(Err(Refusal::Registry(registry_error("XDSMetadataUpdateError", format!("Nouveau statut {new} non permis"))))),
                };
                store::set_status(tx, &doc.row.entry_uuid, new)?;
            }
            Change::Visibility { entry, masque_ps, invisible_patient, invisible_rl, .. } => {
                let mut entry = (**entry).clone();
                entry.set_attr("id", doc.row.entry_uuid.as_str());
                entry.set_attr("lid", doc.row.lid.as_str());
                let Ok(entry_xml) = submit_objects_xml(std::slice::from_ref(&entry)) else {
                    return Ok(Err(Refusal::Registry(registry_error("XDSMetadataUpdateError", "Nouvelle version des métadonnées illisible"))));
                };
                store::set_visibility(tx, &doc.row.entry_uuid, *masque_ps, *invisible_patient, *invisible_rl, &entry_xml)?;
            }
        }
        Ok(Ok(()))
    });
    match result {
        Ok(Ok(())) => Outcome::ok(answer(&[]), &ins),
        Ok(Err(Refusal::Registry(e))) => {
            let code = e.error_code.clone();
            Outcome::refused(answer(&[e]), &code, &ins)
        }
        Ok(Err(Refusal::Rights(code))) => super::fault(ctx, rights_fault(ctx, code), &ins),
        Err(e) => super::fault(
            ctx,
            SoapFault::receiver(format!("Erreur interne : {e}")),
            &ins,
        ),
    }
}

fn read(envelope: &[u8]) -> Result<Change, String> {
    let objects = submitted_objects(envelope).map_err(|e| e.to_string())?;
    if let Some(a) = objects.iter().find(|o| {
        o.kind == ObjectKind::Association
            && o.attr("associationType") == Some(ASSOC_UPDATE_AVAILABILITY_STATUS)
    }) {
        return Ok(Change::Availability {
            entry_uuid: a.attr("targetObject").unwrap_or_default().to_owned(),
            original: a
                .slot_value(SLOT_ORIGINAL_STATUS)
                .unwrap_or_default()
                .to_owned(),
            new: a.slot_value(SLOT_NEW_STATUS).unwrap_or_default().to_owned(),
        });
    }
    let Some(mut entry) = objects
        .into_iter()
        .find(|o| o.kind == ObjectKind::ExtrinsicObject)
    else {
        return Err("SubmitObjectsRequest sans association UpdateAvailabilityStatus ni nouvelle version d'entrée".into());
    };
    let lid = entry.attr("lid").unwrap_or_default().to_owned();
    entry.set_attr("status", STATUS_APPROVED);
    let doc = registry_document(entry.clone()).map_err(|e| e.to_string())?;
    Ok(Change::Visibility {
        lid,
        entry: Box::new(entry),
        masque_ps: doc.masked_to_professionals(),
        invisible_patient: doc.invisible_to_patient(),
        invisible_rl: doc.invisible_to_legal_representatives(),
    })
}
