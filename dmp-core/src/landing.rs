//! Did a write land? A TD2.1 or a TD3.3 whose answer was lost (timeout, reset after sending)
//! must not be sent blindly again: the registry is asked first. [`Probe::of_request`] reads
//! what the built request would change; [`Probe::query`] is the TD3.1 reference search
//! (GetDocuments) that shows it; [`Probe::landed`] reads that search's answer.
//!
//! - TD2.1: every document (not the XAdES signature entry) is registered under its uniqueId
//!   for the request's patient.
//! - TD3.3 availability change (archive, unarchive, delete): the entry has the new status; a
//!   deleted entry may also be absent from the answer (the DMP does not return deleted
//!   documents).
//! - TD3.3 new metadata version (mask, visibility): the approved version of the uniqueId has
//!   exactly the confidentiality codes of the request.

use std::collections::BTreeSet;

use crate::consult::Response;
use crate::error::{Error, Result};
use crate::ids::Ins;
use crate::soap::{self, action, mtom};
use crate::xds::vocabulary::{
    signature, ASSOC_UPDATE_AVAILABILITY_STATUS, DE_CLASS_CODE, DE_CONFIDENTIALITY_CODE,
    DE_OBJECT_TYPE, DE_PATIENT_ID, DE_UNIQUE_ID, NS_RIM, SLOT_NEW_STATUS, SS_PATIENT_ID,
};
use crate::xds::CodedValue;
use crate::xds::{DocumentRef, DocumentStatus, ObjectKind, RimObject, StoredQuery};
use crate::xml::reader;
use crate::xml::reader::Limits;

const FIELD: &str = "request";

/// What a write request changes in the registry, and how to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `TD2.1` or `TD3.3`.
    pub transaction: &'static str,
    /// The usager of the request.
    pub patient: Ins,
    /// The documents and what is expected of each.
    pub targets: Vec<Target>,
}

/// One document the request changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// How the document is found: a uniqueId (TD2.1, metadata update) or an entryUUID
    /// (availability change).
    pub by: DocumentKey,
    /// What the registry shows once the request landed.
    pub expect: Expectation,
}

/// How a target document is found in a TD3.1 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentKey {
    /// Its uniqueId.
    UniqueId(String),
    /// Its entryUUID.
    EntryUuid(String),
}

/// What the registry shows once the request landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// The document is registered (any status but Deprecated).
    Registered,
    /// The entry has this status (Deleted: or is absent).
    Status(DocumentStatus),
    /// The approved version has exactly these confidentiality codes (code, scheme).
    Confidentiality(BTreeSet<(String, String)>),
}

impl Probe {
    /// Reads a built TD2.1 (MTOM message) or TD3.3 (HTTP message or bare envelope).
    pub fn of_request(message: &[u8]) -> Result<Probe> {
        let envelope: Vec<u8> = match mtom::read_message(message)? {
            mtom::Message::Multipart(m) => m.root.bytes.into_owned(),
            mtom::Message::Xml(x) => x.to_vec(),
        };
        let info = soap::parse_envelope(&envelope)?;
        let act = info.action.unwrap_or_default();
        let tree = reader::parse(&envelope, &Limits::default())?;
        let objects = |local: &str, kind: ObjectKind| -> Vec<RimObject> {
            tree.elements()
                .filter(|e| e.is(NS_RIM, local))
                .map(|e| RimObject::read(e, kind))
                .collect()
        };
        let entries: Vec<RimObject> = objects("ExtrinsicObject", ObjectKind::ExtrinsicObject)
            .into_iter()
            .filter(|o| o.attr("objectType") == Some(DE_OBJECT_TYPE))
            .collect();
        match act.as_str() {
            action::PROVIDE_AND_REGISTER => {
                let documents: Vec<&RimObject> = entries
                    .iter()
                    .filter(|o| {
                        o.classified(DE_CLASS_CODE)
                            .all(|c| c.attr("nodeRepresentation") != Some(signature::CLASS.0))
                    })
                    .collect();
                let first = documents.first().ok_or_else(|| {
                    Error::invalid(FIELD, "the TD2.1 request holds no document entry", "")
                })?;
                let patient = patient_of(first, DE_PATIENT_ID)?;
                let targets = documents
                    .iter()
                    .map(|d| {
                        Ok(Target {
                            by: DocumentKey::UniqueId(unique_id(d)?),
                            expect: Expectation::Registered,
                        })
                    })
                    .collect::<Result<_>>()?;
                Ok(Probe {
                    transaction: "TD2.1",
                    patient,
                    targets,
                })
            }
            action::UPDATE_DOCUMENT_SET => {
                let packages = objects("RegistryPackage", ObjectKind::RegistryPackage);
                let package = packages.first().ok_or_else(|| {
                    Error::invalid(FIELD, "the TD3.3 request holds no submission set", "")
                })?;
                let patient = patient_of(package, SS_PATIENT_ID)?;
                let change = objects("Association", ObjectKind::Association)
                    .into_iter()
                    .find(|a| a.attr("associationType") == Some(ASSOC_UPDATE_AVAILABILITY_STATUS));
                let targets = match (change, entries.as_slice()) {
                    (Some(a), []) => {
                        let entry = a.attr("targetObject").unwrap_or_default().to_owned();
                        let new = a.slot_value(SLOT_NEW_STATUS).ok_or_else(|| {
                            Error::invalid(FIELD, "the status change has no NewStatus", &entry)
                        })?;
                        vec![Target {
                            by: DocumentKey::EntryUuid(entry),
                            expect: Expectation::Status(DocumentStatus::from_urn(new)),
                        }]
                    }
                    (None, [entry]) => vec![Target {
                        by: DocumentKey::UniqueId(unique_id(entry)?),
                        expect: Expectation::Confidentiality(confidentiality(
                            entry
                                .classified(DE_CONFIDENTIALITY_CODE)
                                .map(CodedValue::of)
                                .collect::<Vec<_>>()
                                .iter(),
                        )),
                    }],
                    _ => {
                        return Err(Error::invalid(
                            FIELD,
                            "a TD3.3 request changes either one status or one metadata version",
                            "",
                        ))
                    }
                };
                Ok(Probe {
                    transaction: "TD3.3",
                    patient,
                    targets,
                })
            }
            other => Err(Error::invalid(
                FIELD,
                "only a TD2.1 or a TD3.3 request changes the DMP and needs a landing check",
                if other.is_empty() {
                    "no wsa:Action"
                } else {
                    other
                },
            )),
        }
    }

    /// The TD3.1 reference search (GetDocuments) that shows the targets.
    pub fn query(&self) -> StoredQuery {
        let uids: Vec<String> = self.keys(|k| match k {
            DocumentKey::UniqueId(u) => Some(u),
            DocumentKey::EntryUuid(_) => None,
        });
        let by = if uids.is_empty() {
            DocumentRef::EntryUuids(self.keys(|k| match k {
                DocumentKey::EntryUuid(u) => Some(u),
                DocumentKey::UniqueId(_) => None,
            }))
        } else {
            DocumentRef::UniqueIds(uids)
        };
        StoredQuery::GetDocuments {
            by,
            home_community_id: None,
        }
    }

    fn keys(&self, pick: impl Fn(&DocumentKey) -> Option<&String>) -> Vec<String> {
        self.targets
            .iter()
            .filter_map(|t| pick(&t.by))
            .cloned()
            .collect()
    }

    /// Whether the request landed, from the answer of [`Probe::query`]. An answer that is
    /// not a successful TD3.1, or that shows some targets done and others not, is an error
    /// (the state cannot be told: do not resend).
    pub fn landed(&self, answer: &Response) -> Result<bool> {
        let Response::Search(r) = answer else {
            return Err(Error::invalid(
                "answer",
                "the landing check needs a TD3.1 answer",
                answer.transaction(),
            ));
        };
        if let Some(e) = answer.error() {
            return Err(Error::invalid(
                "answer",
                format!("the landing search was refused: {}", e.code),
                "TD3.1",
            ));
        }
        let mut done = 0;
        for t in &self.targets {
            let found: Vec<_> = r
                .documents
                .iter()
                .filter(|d| match &t.by {
                    DocumentKey::UniqueId(u) => &d.unique_id == u,
                    DocumentKey::EntryUuid(u) => &d.entry_uuid == u,
                })
                .filter(|d| d.patient_ins().map(|p| p == self.patient).unwrap_or(false))
                .collect();
            let ok = match &t.expect {
                Expectation::Registered => {
                    found.iter().any(|d| d.status != DocumentStatus::Deprecated)
                }
                Expectation::Status(DocumentStatus::Deleted) => {
                    found.is_empty() || found.iter().all(|d| d.status == DocumentStatus::Deleted)
                }
                Expectation::Status(s) => found.iter().any(|d| &d.status == s),
                Expectation::Confidentiality(codes) => found.iter().any(|d| {
                    d.status == DocumentStatus::Approved
                        && &confidentiality(d.confidentiality.iter()) == codes
                }),
            };
            done += usize::from(ok);
        }
        match done {
            0 => Ok(false),
            n if n == self.targets.len() => Ok(true),
            n => Err(Error::invalid(
                "answer",
                format!(
                    "{n} of the {} documents of the request are in the registry: the \
                     request's outcome cannot be told",
                    self.targets.len()
                ),
                self.transaction,
            )),
        }
    }
}

fn confidentiality<'a>(codes: impl Iterator<Item = &'a CodedValue>) -> BTreeSet<(String, String)> {
    codes.map(|c| (c.code.clone(), c.scheme.clone())).collect()
}

fn unique_id(entry: &RimObject) -> Result<String> {
    entry
        .external_identifier(DE_UNIQUE_ID)
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(FIELD, "a document entry has no uniqueId", entry.id()))
}

fn patient_of(object: &RimObject, scheme: &str) -> Result<Ins> {
    let cx = object
        .external_identifier(scheme)
        .ok_or_else(|| Error::invalid(FIELD, "no patientId", object.id()))?;
    Ins::from_cx(cx)
}
