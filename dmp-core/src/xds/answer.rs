//! The registry's side of XDS.b, for a local DMP (the sandbox): read the ebRIM objects a
//! client submits (TD2.1 metadata, ITI-57 updates) and write the answers the DMP gives
//! (`rs:RegistryResponse`, `query:AdhocQueryResponse`) with the one ebRIM writer of the
//! crate, so that what the sandbox answers is read back by [`super::QueryResponse::parse`]
//! exactly as a real answer.

use crate::error::{Error, Result};
use crate::xml::reader;
use crate::xml::writer::XmlWriter;

use super::registry::RegistryDocument;
use super::registry::QUERY_RESPONSE_LIMITS;
use super::request::ObjectKind;
use super::response::RegistryError;
use super::rim::{write_submit_objects, RimObject};
use super::vocabulary::{NS_LCM, NS_RIM, NS_RS, STATUS_FAILURE, STATUS_SUCCESS};

const SOURCE: &str = "SubmitObjectsRequest";

/// The query namespace (ebRS 3.0).
const NS_QUERY: &str = super::vocabulary::NS_QUERY;

/// Reads the objects of the first `rim:RegistryObjectList` of an `lcm:SubmitObjectsRequest`
/// in `xml` (a whole SOAP envelope, a `ProvideAndRegisterDocumentSetRequest`, or the bare
/// element): ExtrinsicObjects, RegistryPackages, Associations and stand-alone
/// Classifications, in document order. Other elements are skipped.
///
/// Errors: what the hardened reader refuses; no SubmitObjectsRequest or no
/// RegistryObjectList in it; two objects with the same id.
pub fn submitted_objects(xml: &[u8]) -> Result<Vec<RimObject>> {
    let doc = reader::parse(xml, &QUERY_RESPONSE_LIMITS)?;
    let Some(list) = doc
        .elements()
        .find(|e| e.is(NS_LCM, "SubmitObjectsRequest"))
        .and_then(|s| s.child(NS_RIM, "RegistryObjectList"))
    else {
        return Err(Error::data(
            SOURCE,
            0,
            "no lcm:SubmitObjectsRequest holding a rim:RegistryObjectList",
        ));
    };
    let mut out = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for e in list.children() {
        if e.namespace() != Some(NS_RIM) {
            continue;
        }
        let kind = match e.local_name() {
            "ExtrinsicObject" => ObjectKind::ExtrinsicObject,
            "RegistryPackage" => ObjectKind::RegistryPackage,
            "Association" => ObjectKind::Association,
            "Classification" => ObjectKind::Classification,
            _ => continue,
        };
        if let Some(id) = e.attr("id") {
            if !ids.insert(id) {
                return Err(Error::data(
                    SOURCE,
                    e.line(),
                    format!("two objects have the id {id}"),
                ));
            }
        }
        out.push(RimObject::read(e, kind));
    }
    Ok(out)
}

/// Writes `objects` as a bare `lcm:SubmitObjectsRequest` (namespaces declared on it): how a
/// registry keeps an entry to re-read it later with [`submitted_objects`].
pub fn submit_objects_xml(objects: &[RimObject]) -> Result<Vec<u8>> {
    let mut w = XmlWriter::new();
    write_submit_objects(
        &mut w,
        &[("xmlns:lcm", NS_LCM), ("xmlns:rim", NS_RIM)],
        objects,
    )?;
    w.finish()
}

/// Writes an `rs:RegistryResponse`: `Success` without errors, else `Failure` with one
/// `rs:RegistryError` per error (the DMP's TD2.1 and TD3.3 answers).
pub fn registry_response_xml(errors: &[RegistryError]) -> Result<Vec<u8>> {
    let mut w = XmlWriter::new();
    write_registry_response(&mut w, &[("xmlns:rs", NS_RS)], errors)?;
    w.finish()
}

/// Writes a `query:AdhocQueryResponse` holding `objects` (LeafClass) and `errors`
/// (`Failure` when there is one error, `Success` otherwise; the DMP's TD3.1 answer).
pub fn query_response_xml(objects: &[RimObject], errors: &[RegistryError]) -> Result<Vec<u8>> {
    let status = if errors.is_empty() {
        STATUS_SUCCESS
    } else {
        STATUS_FAILURE
    };
    let mut w = XmlWriter::new();
    w.elem(
        "query:AdhocQueryResponse",
        &[
            ("xmlns:query", NS_QUERY),
            ("xmlns:rim", NS_RIM),
            ("xmlns:rs", NS_RS),
            ("status", status),
        ],
        |w| {
            if !errors.is_empty() {
                write_errors(w, errors)?;
            }
            w.elem("rim:RegistryObjectList", &[], |w| {
                objects.iter().try_for_each(|o| o.write(w))
            })
        },
    )?;
    w.finish()
}

/// Writes `rs:RegistryResponse` with the given namespace declarations (the caller's
/// envelope may declare `rs` already).
pub fn write_registry_response(
    w: &mut XmlWriter,
    namespaces: &[(&'static str, &str)],
    errors: &[RegistryError],
) -> Result<()> {
    let status = if errors.is_empty() {
        STATUS_SUCCESS
    } else {
        STATUS_FAILURE
    };
    let mut attrs: Vec<(&'static str, &str)> = namespaces.to_vec();
    attrs.push(("status", status));
    if errors.is_empty() {
        return w.empty("rs:RegistryResponse", &attrs);
    }
    w.elem("rs:RegistryResponse", &attrs, |w| write_errors(w, errors))
}

fn write_errors(w: &mut XmlWriter, errors: &[RegistryError]) -> Result<()> {
    w.elem("rs:RegistryErrorList", &[], |w| {
        errors.iter().try_for_each(|e| {
            let mut attrs = vec![
                ("codeContext", e.code_context.as_str()),
                ("errorCode", e.error_code.as_str()),
                ("severity", e.severity.as_str()),
            ];
            if let Some(l) = &e.location {
                attrs.push(("location", l.as_str()));
            }
            w.empty("rs:RegistryError", &attrs)
        })
    })
}

/// The typed view of a document entry (an `ExtrinsicObject` read by
/// [`submitted_objects`]), as a client reads it from a TD3.1 answer: one reading of the
/// metadata for both sides. Errors: no uniqueId, patientId or status.
pub fn registry_document(rim: RimObject) -> Result<RegistryDocument> {
    RegistryDocument::from_rim(rim, 0)
}
