//! TD3.1, search (ITI-18 stored queries): FindDocuments (patient, status), GetDocuments (by
//! uniqueId or entryUUID), answered as `query:AdhocQueryResponse` with the stored entries
//! (status, logical id and version as the registry keeps them), filtered by what the caller
//! may see ([`super::visibility`]). An unknown patient is `XDSUnknownPatientId`.

use dmp_core::ids::Ins;
use dmp_core::xds::answer::{query_response_xml, submitted_objects};
use dmp_core::xds::vocabulary::NS_RIM;
use dmp_core::xds::{ObjectKind, RegistryError, RimObject};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;

use super::{registry_error, slot_values, visibility};
use crate::dispatch::{allowed, rights_fault, Context, Outcome};
use crate::soap_answer::{self, SoapFault};
use crate::store::{self, StoredDocument};

const ANSWER_ACTION: &str = "urn:ihe:iti:2007:RegistryStoredQueryResponse";
const FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";

/// The status URN of a stored status.
pub(crate) fn status_urn(status: &str) -> &'static str {
    use dmp_core::xds::vocabulary::*;
    match status {
        "deprecated" => STATUS_DEPRECATED,
        "archived" => STATUS_ARCHIVED,
        "deleted" => STATUS_DELETED,
        _ => STATUS_APPROVED,
    }
}

/// The entry of a stored document as the registry answers it now.
pub(crate) fn current_entry(d: &StoredDocument) -> Option<RimObject> {
    let mut rim = submitted_objects(&d.entry_xml).ok()?.into_iter().next()?;
    rim.set_attr("status", status_urn(&d.row.status));
    rim.set_attr("lid", d.row.lid.as_str());
    rim.version_info = Some(vec![("versionName".into(), d.row.version.to_string())]);
    Some(rim)
}

pub(crate) fn run(ctx: &Context<'_>) -> Outcome {
    let query = match read(ctx.envelope) {
        Ok(q) => q,
        Err(e) => return super::fault(ctx, SoapFault::sender(e), ""),
    };
    let ins = ctx.caller.ins();
    let (row, label) = if query.id == GET_DOCUMENTS {
        ("TD3.1", "Rechercher la référence d'un document")
    } else {
        ("TD3.1", "Rechercher les métadonnées")
    };
    if !allowed(ctx, row, Some(label)) {
        return super::fault(ctx, rights_fault(ctx, "TD3.1"), &ins);
    }
    let answer = |objects: &[RimObject], errors: &[RegistryError]| {
        let body = query_response_xml(objects, errors).unwrap_or_default();
        soap_answer::plain(ANSWER_ACTION, ctx.message_id, &body)
    };
    let patient = query
        .patient
        .as_ref()
        .map(|p| p.matricule().as_str().to_owned())
        .unwrap_or(ins.clone());
    let found = ctx.checker.store.transaction(|tx| {
        Ok::<_, rusqlite::Error>((
            store::patient(tx, &patient)?,
            store::stored_documents(tx, &patient)?,
        ))
    });
    let (known, docs) = match found {
        Ok(v) => v,
        Err(e) => {
            return super::fault(
                ctx,
                SoapFault::receiver(format!("Erreur interne : {e}")),
                &patient,
            )
        }
    };
    if known.is_none() {
        let e = registry_error(
            "XDSUnknownPatientId",
            format!("Patient inconnu : aucun DMP pour l'INS {patient}"),
        );
        return Outcome::refused(answer(&[], &[e]), "XDSUnknownPatientId", &patient);
    }
    let objects: Vec<RimObject> = docs
        .iter()
        .filter(|d| visibility::hidden(ctx, &d.row).is_none())
        .filter(|d| query.matches(d))
        .filter_map(current_entry)
        .collect();
    let objects = if query.object_refs {
        objects
            .iter()
            .map(|o| {
                RimObject::new(
                    ObjectKind::ObjectRef,
                    vec![("id".into(), o.id().to_owned())],
                )
            })
            .collect()
    } else {
        objects
    };
    Outcome::ok(answer(&objects, &[]), &patient)
}

/// A stored query as the sandbox reads it.
struct Query {
    id: String,
    patient: Option<Ins>,
    statuses: Vec<String>,
    unique_ids: Vec<String>,
    entry_uuids: Vec<String>,
    object_refs: bool,
}

impl Query {
    fn matches(&self, d: &StoredDocument) -> bool {
        let status = status_urn(&d.row.status);
        match self.id.as_str() {
            GET_DOCUMENTS => {
                self.unique_ids.contains(&d.row.unique_id)
                    || self.entry_uuids.contains(&d.row.entry_uuid)
            }
            _ => self.statuses.is_empty() || self.statuses.iter().any(|s| s == status),
        }
    }
}

fn read(envelope: &[u8]) -> Result<Query, String> {
    let tree = Tree::parse(envelope, &Limits::default()).map_err(|e| e.to_string())?;
    let q = tree
        .elements()
        .find(|e| e.is(NS_RIM, "AdhocQuery"))
        .ok_or("AdhocQueryRequest sans rim:AdhocQuery")?;
    let id = q.attr("id").unwrap_or_default().to_owned();
    if id != FIND_DOCUMENTS && id != GET_DOCUMENTS {
        return Err(format!(
            "Requête stockée non prise en charge par le bac à sable : {id} (FindDocuments, \
             GetDocuments)"
        ));
    }
    let slot = |name: &str| -> Vec<String> {
        q.children()
            .filter(|s| s.is(NS_RIM, "Slot") && s.attr("name") == Some(name))
            .flat_map(|s| {
                s.descendants_or_self()
                    .filter(|v| v.is(NS_RIM, "Value"))
                    .collect::<Vec<_>>()
            })
            .flat_map(|v| slot_values(&v.text()))
            .collect()
    };
    let patient = match slot("$XDSDocumentEntryPatientId").first() {
        Some(cx) => {
            Some(Ins::from_cx(cx).map_err(|e| format!("$XDSDocumentEntryPatientId {cx} : {e}"))?)
        }
        None => None,
    };
    let object_refs = tree
        .elements()
        .find(|e| e.local_name() == "ResponseOption")
        .and_then(|r| r.attr("returnType"))
        == Some("ObjectRef");
    Ok(Query {
        id,
        patient,
        statuses: slot("$XDSDocumentEntryStatus"),
        unique_ids: slot("$XDSDocumentEntryUniqueId"),
        entry_uuids: slot("$XDSDocumentEntryEntryUUID"),
        object_refs,
    })
}
