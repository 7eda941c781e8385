//! TD3.2, consultation of documents (ITI-43, MTOM answer even for faults): each asked
//! uniqueId, if the caller may see it, comes back as a part; an entryUUID sent as uniqueId
//! or a document not visible is `XDSDocumentUniqueIdError`.

use dmp_core::soap::mtom::Part;
use dmp_core::xds::answer::write_registry_response;
use dmp_core::xds::vocabulary::{NS_RS, NS_XDSB, STATUS_PARTIAL_SUCCESS};
use dmp_core::xds::RegistryError;
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xml::writer::XmlWriter;

use super::{registry_error, visibility};
use crate::dispatch::{allowed, rights_fault, Context, Outcome};
use crate::soap_answer::{self, xop_include, SoapFault};
use crate::store;

const ANSWER_ACTION: &str = "urn:ihe:iti:2007:RetrieveDocumentSetResponse";
/// The DMP repository's uniqueId (official TD3.2 response).
pub(crate) const REPOSITORY_UNIQUE_ID: &str = "1.2.250.1.213.4.1.1.1.2";

pub(crate) fn run(ctx: &Context<'_>) -> Outcome {
    let ins = ctx.caller.ins();
    let mtom_fault = |f: SoapFault| {
        Outcome::refused(
            soap_answer::mtom_fault(&f, ctx.message_id),
            "SOAP Fault",
            &ins,
        )
    };
    if !allowed(ctx, "TD3.2", Some("Documents non masqués aux PS")) {
        return mtom_fault(rights_fault(ctx, "TD3.2"));
    }
    let asked = match read(ctx.envelope) {
        Ok(a) => a,
        Err(e) => return mtom_fault(SoapFault::sender(e)),
    };
    let mut found = Vec::new();
    let mut errors: Vec<RegistryError> = Vec::new();
    for unique_id in &asked {
        let doc = ctx
            .checker
            .store
            .transaction(|tx| store::stored_document(tx, unique_id));
        match doc {
            Ok(Some(d))
                if d.row.unique_id == *unique_id
                    && d.row.ins == ins
                    && visibility::hidden(ctx, &d.row).is_none() =>
            {
                found.push(d)
            }
            Ok(_) => errors.push(registry_error(
                "XDSDocumentUniqueIdError",
                format!("Document {unique_id} introuvable ou non consultable"),
            )),
            Err(e) => return mtom_fault(SoapFault::receiver(format!("Erreur interne : {e}"))),
        }
    }
    let cids: Vec<String> = found
        .iter()
        .enumerate()
        .map(|(i, _)| format!("{}-{}@urn:ihe:iti:xds-b:2007", uuid::Uuid::new_v4(), i + 2))
        .collect();
    let mut w = XmlWriter::new();
    let _ = w.elem(
        "xdsb:RetrieveDocumentSetResponse",
        &[("xmlns:rs", NS_RS), ("xmlns:xdsb", NS_XDSB)],
        |w| {
            if errors.is_empty() || found.is_empty() {
                write_registry_response(w, &[], &errors)?;
            } else {
                w.elem(
                    "rs:RegistryResponse",
                    &[("status", STATUS_PARTIAL_SUCCESS)],
                    |w| {
                        w.elem("rs:RegistryErrorList", &[], |w| {
                            errors.iter().try_for_each(|e| {
                                w.empty(
                                    "rs:RegistryError",
                                    &[
                                        ("codeContext", e.code_context.as_str()),
                                        ("errorCode", e.error_code.as_str()),
                                        ("severity", e.severity.as_str()),
                                    ],
                                )
                            })
                        })
                    },
                )?;
            }
            for (d, cid) in found.iter().zip(&cids) {
                w.elem("xdsb:DocumentResponse", &[], |w| {
                    w.leaf("xdsb:RepositoryUniqueId", &[], REPOSITORY_UNIQUE_ID)?;
                    w.leaf("xdsb:DocumentUniqueId", &[], &d.row.unique_id)?;
                    w.leaf("xdsb:mimeType", &[], "text/xml")?;
                    w.elem("xdsb:Document", &[], |w| xop_include(w, cid))
                })?;
            }
            Ok(())
        },
    );
    let body = w.finish().unwrap_or_default();
    let parts: Vec<Part<'_>> = found
        .iter()
        .zip(&cids)
        .map(|(d, cid)| Part::new(cid.clone(), "text/xml", d.cda.as_slice()))
        .collect();
    let answer = soap_answer::mtom_answer(ANSWER_ACTION, ctx.message_id, &body, &parts, 200);
    match errors.first() {
        None => Outcome::ok(answer, &ins),
        Some(e) => Outcome::refused(answer, &e.error_code, &ins),
    }
}

/// The `DocumentUniqueId`s asked for.
fn read(envelope: &[u8]) -> Result<Vec<String>, String> {
    let tree = Tree::parse(envelope, &Limits::default()).map_err(|e| e.to_string())?;
    let ids: Vec<String> = tree
        .elements()
        .filter(|e| e.is(NS_XDSB, "DocumentUniqueId"))
        .map(|e| e.text().trim().to_owned())
        .collect();
    if ids.is_empty() {
        return Err("RetrieveDocumentSetRequest sans DocumentUniqueId".into());
    }
    Ok(ids)
}
