//! TD3.3 updates of documents already in the DMP (IHE ITI-57 Update Document Set): the
//! `lcm:SubmitObjectsRequest` body of an availability change (TD3.3c delete, TD3.3d archive
//! and unarchive) or of a new metadata version (TD3.3a mask/unmask to professionals, TD3.3b
//! visibility to the patient and to legal representatives), built from the
//! [`RegistryDocument`] a TD3.1 search returned (dmp-interface.md §2.6).
//!
//! Both carry the same SubmissionSet as a TD2.1 submission (the acting user as author, with
//! their structure), written by the same code. Deliberate differences from the official
//! TD3.3c/TD3.3d requests: every attribute the ebRIM schema requires is written
//! (`classifiedObject`, `registryObject`), and the patientId has no CX.7 date.

use serde::{Deserialize, Serialize};

use crate::codes;
use crate::codes::system::TRE_A07;
use crate::error::{Error, Result};
use crate::model::Confidentiality;
use crate::xml::writer::XmlWriter;

use super::metadata::{check_entry_id, check_entry_uuid, Code, SubmissionSet};
use super::query::DocumentStatus;
use super::registry::RegistryDocument;
use super::request::{association, check_objects, coded, slot, submission_set_object, Ids};
use super::rim::{check_unique_ids, write_submit_objects, RimObject};
use super::vocabulary::*;

/// A change of a document's availability status (UpdateAvailabilityStatus association).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityChange {
    /// TD3.3d: Approved → Archived.
    Archive,
    /// TD3.3d: Archived → Approved (dmp-interface.md §2.6, inferred).
    Unarchive,
    /// TD3.3c: Approved or Archived → Deleted (a logical deletion).
    Delete,
}

impl AvailabilityChange {
    /// The new status for a document whose status is `current`, or why the change makes no
    /// sense for it.
    fn target(self, current: &DocumentStatus) -> Result<DocumentStatus> {
        use DocumentStatus::*;
        let refuse = |rule: &str| Err(Error::invalid("document.status", rule, current.name()));
        match (self, current) {
            (AvailabilityChange::Archive, Approved) => Ok(Archived),
            (AvailabilityChange::Archive, Archived) => refuse("the document is already archived"),
            (AvailabilityChange::Archive, _) => {
                refuse("only an approved (current) document can be archived")
            }
            (AvailabilityChange::Unarchive, Archived) => Ok(Approved),
            (AvailabilityChange::Unarchive, _) => {
                refuse("only an archived document can be unarchived")
            }
            (AvailabilityChange::Delete, Approved | Archived) => Ok(Deleted),
            (AvailabilityChange::Delete, Deleted) => refuse("the document is already deleted"),
            (AvailabilityChange::Delete, _) => {
                refuse("only an approved or archived document can be deleted")
            }
        }
    }
}

/// The visibility asked for (TD3.3a/b): each `Some` sets or clears one DMP flag
/// (`MASQUE_PS`, `INVISIBLE_PATIENT`, `INVISIBLE_REPRESENTANTS_LEGAUX`); `None` leaves it as
/// it is. The confidentiality level (N/R/V) and any other code are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visibility {
    /// Masked to professionals (`MASQUE_PS`).
    #[serde(default)]
    pub masked_to_professionals: Option<bool>,
    /// Hidden from the patient (`INVISIBLE_PATIENT`).
    #[serde(default)]
    pub invisible_to_patient: Option<bool>,
    /// Hidden from the patient's legal representatives (`INVISIBLE_REPRESENTANTS_LEGAUX`).
    #[serde(default)]
    pub invisible_to_legal_representatives: Option<bool>,
}

impl Visibility {
    /// Sets or clears the flags asked on `entry` (a DocumentEntry as the registry keeps it),
    /// in its confidentialityCode classifications, as a TD3.3 metadata update does: for a
    /// registry that changes an entry itself (the sandbox's stand-in for the usager masking
    /// a document in Mon espace santé). Errors as [`UpdateRequest::visibility`]: nothing
    /// asked, or nothing changed.
    pub fn apply_to(&self, entry: &mut RimObject) -> Result<()> {
        apply_visibility(entry, self)
    }

    fn flags(&self) -> [(&'static str, Option<bool>); 3] {
        [
            (Confidentiality::MASQUE_PS, self.masked_to_professionals),
            (
                Confidentiality::INVISIBLE_PATIENT,
                self.invisible_to_patient,
            ),
            (
                Confidentiality::INVISIBLE_REPRESENTANTS_LEGAUX,
                self.invisible_to_legal_representatives,
            ),
        ]
    }
}

/// What an update changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateChange {
    /// TD3.3c/d: the UpdateAvailabilityStatus association of `entry_uuid` from `original` to
    /// `new`.
    Availability {
        /// The registry entryUUID of the document.
        entry_uuid: String,
        /// Its current status (`OriginalStatus`).
        original: DocumentStatus,
        /// The status asked for (`NewStatus`).
        new: DocumentStatus,
    },
    /// TD3.3a/b: a new version of the DocumentEntry (same logicalId, new entryUUID) with a
    /// HasMember association carrying `PreviousVersion`. Its classifications and external
    /// identifiers get fresh symbolic ids when written.
    Metadata {
        /// The new ExtrinsicObject.
        entry: RimObject,
        /// The version it replaces (`VersionInfo/@versionName` of the current one).
        previous_version: String,
    },
}

/// One TD3.3 request: the submission set and the change. Same value, same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRequest {
    /// The SubmissionSet (see [`SubmissionSet::from_parts`]): same patient as the document.
    pub submission_set: SubmissionSet,
    /// The change.
    pub change: UpdateChange,
}

impl UpdateRequest {
    /// TD3.3c/d: archive, unarchive or delete `document` (as TD3.1 returned it).
    ///
    /// Errors ([`Error::Invalid`]): a change its current status makes meaningless
    /// (`document.status`: archive an archived document, delete a deleted one, unarchive an
    /// approved one, any change of a deprecated version or of an unknown status), an
    /// entryUUID that is not `urn:uuid:…` (`document.entry_uuid`), a document of another
    /// patient than the submission set's (`submission_set.patient_id`).
    pub fn availability(
        submission_set: SubmissionSet,
        document: &RegistryDocument,
        change: AvailabilityChange,
    ) -> Result<UpdateRequest> {
        check_entry_uuid("document.entry_uuid", &document.entry_uuid)?;
        same_patient(&submission_set, document)?;
        let new = change.target(&document.status)?;
        Ok(UpdateRequest {
            submission_set,
            change: UpdateChange::Availability {
                entry_uuid: document.entry_uuid.clone(),
                original: document.status.clone(),
                new,
            },
        })
    }

    /// TD3.3a/b: a new metadata version of `document` (as TD3.1 returned it) with the
    /// visibility flags of `visibility` applied, under the id `new_entry_uuid`
    /// (`urn:uuid:…` or a symbolic id such as `Document01`).
    ///
    /// The new ExtrinsicObject is the returned one, re-emitted from its raw object: same
    /// attributes (`lid` kept; `home` and registry-managed attributes of its parts left
    /// out), every slot (`repositoryUniqueId`, `hash`, `size`…), Name, Description,
    /// VersionInfo, every classification and external identifier (pointing at the new id),
    /// and the new confidentialityCode set: the flags turned off are removed, those turned
    /// on are added after the other confidentiality codes.
    ///
    /// Errors ([`Error::Invalid`]): a document that is not the approved current version
    /// (`document.status`), without a version (`document.version`), a `new_entry_uuid` that
    /// is malformed or the current one, a visibility that sets nothing or changes nothing
    /// (`visibility`), a document of another patient (`submission_set.patient_id`).
    pub fn visibility(
        submission_set: SubmissionSet,
        document: &RegistryDocument,
        visibility: &Visibility,
        new_entry_uuid: &str,
    ) -> Result<UpdateRequest> {
        check_entry_id("new_entry_uuid", new_entry_uuid)?;
        if new_entry_uuid == document.entry_uuid {
            return Err(Error::invalid(
                "new_entry_uuid",
                "must differ from the current entryUUID: each metadata version has its own",
                new_entry_uuid,
            ));
        }
        same_patient(&submission_set, document)?;
        if document.status != DocumentStatus::Approved {
            return Err(Error::invalid(
                "document.status",
                "only the approved current version gets a new metadata version (unarchive an \
                 archived document first)",
                document.status.name(),
            ));
        }
        let previous_version = document.version.clone().ok_or_else(|| {
            Error::invalid(
                "document.version",
                "the registry returned no version (VersionInfo/@versionName)",
                "",
            )
        })?;
        let mut entry = document.rim.clone();
        // ebRIM: a first version's logicalId is its id.
        let lid = document
            .logical_id
            .clone()
            .unwrap_or_else(|| document.entry_uuid.clone());
        entry.set_attr("id", new_entry_uuid);
        entry.set_attr("lid", lid);
        entry.remove_attr("home");
        for part in entry
            .classifications
            .iter_mut()
            .chain(entry.external_identifiers.iter_mut())
        {
            for registry_managed in ["lid", "home", "status"] {
                part.remove_attr(registry_managed);
            }
        }
        apply_visibility(&mut entry, visibility)?;
        Ok(UpdateRequest {
            submission_set,
            change: UpdateChange::Metadata {
                entry,
                previous_version,
            },
        })
    }

    /// The ebRIM objects of the request, in writing order: the SubmissionSet, the new entry
    /// (metadata update), the association. Checks the submission set and the ids.
    pub fn metadata(&self) -> Result<Vec<RimObject>> {
        let ss = &self.submission_set;
        ss.check()?;
        let mut ids = Ids::default();
        let package = submission_set_object(ss, &mut ids)?;
        let mut objects = Vec::with_capacity(3);
        let mut assoc = match &self.change {
            UpdateChange::Availability {
                entry_uuid,
                original,
                new,
            } => {
                check_entry_uuid("entry_uuid", entry_uuid)?;
                let mut a = association(
                    &mut ids,
                    ASSOC_UPDATE_AVAILABILITY_STATUS,
                    &ss.entry_uuid,
                    entry_uuid,
                );
                a.slots.push(slot(SLOT_ORIGINAL_STATUS, original.urn()));
                a.slots.push(slot(SLOT_NEW_STATUS, new.urn()));
                a
            }
            UpdateChange::Metadata {
                entry,
                previous_version,
            } => {
                let id = entry.id().to_owned();
                check_entry_id("entry.id", &id)?;
                let mut entry = entry.clone();
                for c in &mut entry.classifications {
                    c.set_attr("id", ids.cla());
                    c.set_attr("classifiedObject", id.as_str());
                }
                for e in &mut entry.external_identifiers {
                    e.set_attr("id", ids.ei());
                    e.set_attr("registryObject", id.as_str());
                }
                objects.push(entry);
                let mut a = association(&mut ids, ASSOC_HAS_MEMBER, &ss.entry_uuid, &id);
                a.slots.push(slot(
                    SLOT_SUBMISSION_SET_STATUS,
                    SUBMISSION_SET_STATUS_ORIGINAL,
                ));
                a.slots
                    .push(slot(SLOT_PREVIOUS_VERSION, previous_version.as_str()));
                a
            }
        };
        // As the official TD3.3c/TD3.3d requests write it.
        assoc
            .attributes
            .push(("objectType", ASSOCIATION_OBJECT_TYPE.to_owned()));
        check_objects(&[package.clone(), assoc.clone()])?;
        objects.insert(0, RimObject::from(&package));
        objects.push(RimObject::from(&assoc));
        check_unique_ids(&objects)?;
        Ok(objects)
    }

    /// The `lcm:SubmitObjectsRequest` element (declaring `lcm` and `rim`), UTF-8, without XML
    /// declaration, for the SOAP Body of a `urn:ihe:iti:2010:UpdateDocumentSet` request to
    /// the registry.
    pub fn to_xml(&self) -> Result<Vec<u8>> {
        let objects = self.metadata()?;
        let mut w = XmlWriter::new();
        write_submit_objects(
            &mut w,
            &[("xmlns:lcm", NS_LCM), ("xmlns:rim", NS_RIM)],
            &objects,
        )?;
        w.finish()
    }
}

fn same_patient(ss: &SubmissionSet, document: &RegistryDocument) -> Result<()> {
    let patient = document.patient_ins().map_err(|e| e.at("document"))?;
    if patient != ss.patient_id {
        return Err(Error::invalid(
            "submission_set.patient_id",
            format!("must be the document's patient ({})", patient.to_cx()),
            ss.patient_id.to_cx(),
        ));
    }
    Ok(())
}

/// Whether `c` is the confidentiality flag `code` (TRE_A07).
fn is_flag(c: &RimObject, code: &str) -> bool {
    c.attr("classificationScheme") == Some(DE_CONFIDENTIALITY_CODE)
        && c.attr("nodeRepresentation") == Some(code)
        && c.slot_value(SLOT_CODING_SCHEME) == Some(TRE_A07)
}

/// Sets and clears the DMP flags of `entry`'s confidentialityCode set.
fn apply_visibility(entry: &mut RimObject, visibility: &Visibility) -> Result<()> {
    let flags = visibility.flags();
    if flags.iter().all(|(_, want)| want.is_none()) {
        return Err(Error::invalid(
            "visibility",
            "must set at least one of masked_to_professionals, invisible_to_patient, \
             invisible_to_legal_representatives",
            "{}",
        ));
    }
    let mut changed = false;
    for (code, want) in flags {
        let Some(want) = want else { continue };
        let present = entry.classifications.iter().any(|c| is_flag(c, code));
        if present && !want {
            entry.classifications.retain(|c| !is_flag(c, code));
            changed = true;
        } else if want && !present {
            let concept = codes::confidentiality().find(code).ok_or_else(|| {
                Error::invalid(
                    "visibility",
                    "is not in JDV_J08 XdsConfidentialityCode",
                    code,
                )
            })?;
            let new = coded(
                &mut Ids::default(),
                DE_CONFIDENTIALITY_CODE,
                &Code::from(concept),
            )
            .to_rim(entry.id());
            let at = entry
                .classifications
                .iter()
                .rposition(|c| c.attr("classificationScheme") == Some(DE_CONFIDENTIALITY_CODE))
                .map_or(entry.classifications.len(), |i| i + 1);
            entry.classifications.insert(at, new);
            changed = true;
        }
    }
    if !changed {
        return Err(Error::invalid(
            "visibility",
            "changes nothing: the document already has this visibility",
            flags
                .iter()
                .filter_map(|(code, want)| want.map(|w| format!("{code}={w}")))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    Ok(())
}
