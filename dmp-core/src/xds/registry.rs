//! [`QueryResponse`]: the registry's answer to a TD3.1 search (IHE ITI-18
//! `query:AdhocQueryResponse`), read once with the hardened XML reader.
//!
//! Each `ExtrinsicObject` becomes a [`RegistryDocument`]: every metadata the registry
//! returns, typed, plus the raw object ([`RimObject`]) so that a TD3.3 metadata update can
//! re-emit the entry faithfully. Unknown statuses and codes are kept verbatim.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::codes::system::{HL7_CONFIDENTIALITY, TRE_A07};
use crate::error::{Error, Result};
use crate::ids::Ins;
use crate::model::{Confidentiality, ConfidentialityLevel};
use crate::xml::reader::{self, Element, Limits};

use super::metadata::parse_xds_time;
use super::query::DocumentStatus;
use super::request::ObjectKind;
use super::response::{read_errors, read_status, RegistryError, ResponseStatus};
use super::rim::{RimObject, RimSlot};
use super::vocabulary::*;

const SOURCE: &str = "AdhocQueryResponse";

/// Limits of the reader for a query response: the defaults, but room for 10 000 entries and
/// more (an official entry is about 10 KB and 100 elements).
pub const QUERY_RESPONSE_LIMITS: Limits = Limits {
    max_input_bytes: 512 << 20,
    max_elements: 5_000_000,
    ..Limits::DEFAULT
};

/// A coded metadata value as the registry returns it: `nodeRepresentation`, the
/// `codingScheme` slot and the `Name` (empty strings when absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CodedValue {
    /// The code.
    pub code: String,
    /// The coding scheme (an OID).
    pub scheme: String,
    /// The display name.
    pub display: String,
}

impl CodedValue {
    pub(crate) fn of(c: &RimObject) -> CodedValue {
        CodedValue {
            code: c.attr("nodeRepresentation").unwrap_or_default().to_owned(),
            scheme: c
                .slot_value(SLOT_CODING_SCHEME)
                .unwrap_or_default()
                .to_owned(),
            display: c.name_text().unwrap_or_default().to_owned(),
        }
    }

    /// Whether this is `code` of `scheme`.
    pub fn is(&self, code: &str, scheme: &str) -> bool {
        self.code == code && self.scheme == scheme
    }

    /// What a confidentialityCode means, in words (the HL7 levels N/R/V and the DMP's
    /// TRE_A07 visibility flags); `None` for any other code.
    pub fn confidentiality_meaning(&self) -> Option<&'static str> {
        if self.scheme == HL7_CONFIDENTIALITY {
            return match ConfidentialityLevel::from_code(&self.code)? {
                ConfidentialityLevel::N => {
                    Some("normal: visible to the professionals the access rules allow")
                }
                ConfidentialityLevel::R => Some("restricted (HL7 R)"),
                ConfidentialityLevel::V => Some("very restricted (HL7 V)"),
            };
        }
        if self.scheme != TRE_A07 {
            return None;
        }
        match self.code.as_str() {
            Confidentiality::MASQUE_PS => Some(
                "masked to professionals: only its author and the patient see it \
                 (break-glass and emergency access excepted when the patient allows it)",
            ),
            Confidentiality::INVISIBLE_PATIENT => Some(
                "not visible to the patient, until a professional has informed them and \
                 makes it visible",
            ),
            Confidentiality::INVISIBLE_REPRESENTANTS_LEGAUX => {
                Some("not visible to the legal representatives of the patient (a minor)")
            }
            _ => None,
        }
    }
}

/// An author classification of an entry or submission set, as returned: authorPerson
/// (XCN), authorInstitution (XONs), authorRole, authorSpecialty, authorTelecommunication.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RegistryAuthor {
    /// authorPerson, if any.
    pub person: Option<String>,
    /// authorInstitution values.
    pub institutions: Vec<String>,
    /// authorRole values.
    pub roles: Vec<String>,
    /// authorSpecialty values.
    pub specialties: Vec<String>,
    /// authorTelecommunication values.
    pub telecom: Vec<String>,
}

impl RegistryAuthor {
    fn of(c: &RimObject) -> RegistryAuthor {
        let values = |name| c.slot(name).iter().map(|v| v.trim().to_owned()).collect();
        RegistryAuthor {
            person: c.slot_value(SLOT_AUTHOR_PERSON).map(str::to_owned),
            institutions: values(SLOT_AUTHOR_INSTITUTION),
            roles: values(SLOT_AUTHOR_ROLE),
            specialties: values(SLOT_AUTHOR_SPECIALTY),
            telecom: values(SLOT_AUTHOR_TELECOMMUNICATION),
        }
    }
}

/// One document entry (`ExtrinsicObject`) as the registry returned it: every metadata,
/// typed, and the raw object. Times are kept as written (`yyyyMMddHHmmss`, UTC); see
/// [`parse_xds_time`] and the `*_utc` methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryDocument {
    /// entryUUID (`@id`): what TD3.3 updates and RPLC name.
    pub entry_uuid: String,
    /// logicalId (`@lid`): the same for every version of the document.
    pub logical_id: Option<String>,
    /// `VersionInfo/@versionName`.
    pub version: Option<String>,
    /// `@status`.
    pub status: DocumentStatus,
    /// uniqueId: what TD3.2 retrieves.
    pub unique_id: String,
    /// patientId (CX, as written: may carry a CX.7 date).
    pub patient_id: String,
    /// repositoryUniqueId: the repository TD3.2 asks.
    pub repository_unique_id: Option<String>,
    /// hash (SHA-1, hex).
    pub hash: Option<String>,
    /// size in bytes.
    pub size: Option<u64>,
    /// `@mimeType`.
    pub mime_type: Option<String>,
    /// classCode.
    pub class_code: Option<CodedValue>,
    /// typeCode.
    pub type_code: Option<CodedValue>,
    /// formatCode.
    pub format_code: Option<CodedValue>,
    /// practiceSettingCode.
    pub practice_setting_code: Option<CodedValue>,
    /// healthcareFacilityTypeCode.
    pub healthcare_facility_type_code: Option<CodedValue>,
    /// eventCodeList.
    pub event_codes: Vec<CodedValue>,
    /// confidentialityCode values (JSON: with a `meaning` each).
    #[serde(serialize_with = "confidentiality_json")]
    pub confidentiality: Vec<CodedValue>,
    /// Name.
    pub title: Option<String>,
    /// Description.
    pub comments: Option<String>,
    /// creationTime, as written.
    pub creation_time: Option<String>,
    /// serviceStartTime, as written.
    pub service_start_time: Option<String>,
    /// serviceStopTime, as written.
    pub service_stop_time: Option<String>,
    /// languageCode.
    pub language_code: Option<String>,
    /// legalAuthenticator (XCN).
    pub legal_authenticator: Option<String>,
    /// sourcePatientId (CX).
    pub source_patient_id: Option<String>,
    /// sourcePatientInfo values (`PID-5|…`…).
    pub source_patient_info: Vec<String>,
    /// The authors.
    pub authors: Vec<RegistryAuthor>,
    /// `@home` (homeCommunityId), if any.
    pub home_community_id: Option<String>,
    /// The whole `ExtrinsicObject`, for a faithful re-emission (not in JSON).
    #[serde(skip)]
    pub rim: RimObject,
}

fn confidentiality_json<S: serde::Serializer>(
    codes: &[CodedValue],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct WithMeaning<'a> {
        #[serde(flatten)]
        code: &'a CodedValue,
        meaning: Option<&'static str>,
    }
    s.collect_seq(codes.iter().map(|code| WithMeaning {
        code,
        meaning: code.confidentiality_meaning(),
    }))
}

impl RegistryDocument {
    pub(super) fn from_rim(rim: RimObject, line: usize) -> Result<RegistryDocument> {
        let id = required(&rim, "id", "ExtrinsicObject", line)?;
        let bad = |what: String| Error::data(SOURCE, line, format!("ExtrinsicObject {id}: {what}"));
        let unique_id = rim
            .external_identifier(DE_UNIQUE_ID)
            .ok_or_else(|| bad("no uniqueId external identifier".into()))?
            .to_owned();
        let patient_id = rim
            .external_identifier(DE_PATIENT_ID)
            .ok_or_else(|| bad("no patientId external identifier".into()))?
            .to_owned();
        let status = rim
            .attr("status")
            .map(DocumentStatus::from_urn)
            .ok_or_else(|| bad("no status".into()))?;
        let size = match rim.slot_value(SLOT_SIZE) {
            None => None,
            Some(s) => Some(
                s.parse::<u64>()
                    .map_err(|_| bad(format!("size \"{s}\" is not a number of bytes")))?,
            ),
        };
        let text = |name: &str| rim.slot_value(name).map(str::to_owned);
        let coded = |scheme: &str| rim.classified(scheme).next().map(CodedValue::of);
        let all_coded = |scheme: &str| rim.classified(scheme).map(CodedValue::of).collect();
        Ok(RegistryDocument {
            entry_uuid: id.clone(),
            logical_id: rim.attr("lid").map(str::to_owned),
            version: rim.version_name().map(str::to_owned),
            status,
            unique_id,
            patient_id,
            repository_unique_id: text(SLOT_REPOSITORY_UNIQUE_ID),
            hash: text(SLOT_HASH),
            size,
            mime_type: rim.attr("mimeType").map(str::to_owned),
            class_code: coded(DE_CLASS_CODE),
            type_code: coded(DE_TYPE_CODE),
            format_code: coded(DE_FORMAT_CODE),
            practice_setting_code: coded(DE_PRACTICE_SETTING_CODE),
            healthcare_facility_type_code: coded(DE_HEALTHCARE_FACILITY_TYPE_CODE),
            event_codes: all_coded(DE_EVENT_CODE),
            confidentiality: all_coded(DE_CONFIDENTIALITY_CODE),
            title: rim.name_text().map(str::to_owned),
            comments: rim.description_text().map(str::to_owned),
            creation_time: text(SLOT_CREATION_TIME),
            service_start_time: text(SLOT_SERVICE_START_TIME),
            service_stop_time: text(SLOT_SERVICE_STOP_TIME),
            language_code: text(SLOT_LANGUAGE_CODE),
            legal_authenticator: text(SLOT_LEGAL_AUTHENTICATOR),
            source_patient_id: text(SLOT_SOURCE_PATIENT_ID),
            source_patient_info: rim.slot(SLOT_SOURCE_PATIENT_INFO).to_vec(),
            authors: rim.classified(DE_AUTHOR).map(RegistryAuthor::of).collect(),
            home_community_id: rim.attr("home").map(str::to_owned),
            rim,
        })
    }

    fn has_flag(&self, code: &str) -> bool {
        self.confidentiality.iter().any(|c| c.is(code, TRE_A07))
    }

    /// Masked to professionals (confidentialityCode `MASQUE_PS` of 1.2.250.1.213.1.1.4.13).
    pub fn masked_to_professionals(&self) -> bool {
        self.has_flag(Confidentiality::MASQUE_PS)
    }

    /// Not visible to the patient (`INVISIBLE_PATIENT`).
    pub fn invisible_to_patient(&self) -> bool {
        self.has_flag(Confidentiality::INVISIBLE_PATIENT)
    }

    /// Not visible to the patient's legal representatives (`INVISIBLE_REPRESENTANTS_LEGAUX`).
    pub fn invisible_to_legal_representatives(&self) -> bool {
        self.has_flag(Confidentiality::INVISIBLE_REPRESENTANTS_LEGAUX)
    }

    /// The patient as an [`Ins`] (the CX.7 date, if any, is ignored); an error when the
    /// patientId is not an INS.
    pub fn patient_ins(&self) -> Result<Ins> {
        Ins::from_cx(&self.patient_id).map_err(|e| rename(e, "patient_id"))
    }

    /// creationTime in UTC, if present; an error when it is not an XDS time.
    pub fn creation_time_utc(&self) -> Result<Option<DateTime<Utc>>> {
        time(&self.creation_time, "creation_time")
    }

    /// serviceStartTime in UTC, if present.
    pub fn service_start_time_utc(&self) -> Result<Option<DateTime<Utc>>> {
        time(&self.service_start_time, "service_start_time")
    }

    /// serviceStopTime in UTC, if present.
    pub fn service_stop_time_utc(&self) -> Result<Option<DateTime<Utc>>> {
        time(&self.service_stop_time, "service_stop_time")
    }
}

fn rename(e: Error, field: &str) -> Error {
    match e {
        Error::Invalid(mut inv) => {
            inv.field = field.to_owned();
            Error::Invalid(inv)
        }
        other => other,
    }
}

fn time(t: &Option<String>, field: &str) -> Result<Option<DateTime<Utc>>> {
    t.as_deref()
        .map(|t| parse_xds_time(t).map_err(|e| rename(e, field)))
        .transpose()
}

/// A submission set (`RegistryPackage`) as the registry returned it (FindSubmissionSets,
/// GetSubmissionSetAndContents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrySubmissionSet {
    /// entryUUID (`@id`).
    pub entry_uuid: String,
    /// `@status`, if written.
    pub status: Option<DocumentStatus>,
    /// uniqueId.
    pub unique_id: String,
    /// sourceId (the sending software's OID), if any.
    pub source_id: Option<String>,
    /// patientId (CX).
    pub patient_id: String,
    /// submissionTime, as written.
    pub submission_time: Option<String>,
    /// Name.
    pub title: Option<String>,
    /// Description.
    pub comments: Option<String>,
    /// The authors.
    pub authors: Vec<RegistryAuthor>,
    /// contentTypeCode.
    pub content_type_code: Option<CodedValue>,
}

impl RegistrySubmissionSet {
    fn from_rim(rim: &RimObject, line: usize) -> Result<RegistrySubmissionSet> {
        let id = required(rim, "id", "RegistryPackage", line)?;
        let ext = |scheme: &str, what: &str| {
            rim.external_identifier(scheme)
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::data(
                        SOURCE,
                        line,
                        format!("RegistryPackage {id}: no {what} external identifier"),
                    )
                })
        };
        Ok(RegistrySubmissionSet {
            unique_id: ext(SS_UNIQUE_ID, "uniqueId")?,
            patient_id: ext(SS_PATIENT_ID, "patientId")?,
            entry_uuid: id,
            status: rim.attr("status").map(DocumentStatus::from_urn),
            source_id: rim.external_identifier(SS_SOURCE_ID).map(str::to_owned),
            submission_time: rim.slot_value(SLOT_SUBMISSION_TIME).map(str::to_owned),
            title: rim.name_text().map(str::to_owned),
            comments: rim.description_text().map(str::to_owned),
            authors: rim.classified(SS_AUTHOR).map(RegistryAuthor::of).collect(),
            content_type_code: rim
                .classified(SS_CONTENT_TYPE_CODE)
                .next()
                .map(CodedValue::of),
        })
    }
}

/// An `Association` as returned (HasMember, RPLC, signs…), with its slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryAssociation {
    /// `@id`.
    pub id: String,
    /// `@associationType`, verbatim.
    pub association_type: String,
    /// `@sourceObject`.
    pub source_object: String,
    /// `@targetObject`.
    pub target_object: String,
    /// `@status`, if written.
    pub status: Option<DocumentStatus>,
    /// Every slot, in order (`SubmissionSetStatus`…).
    pub slots: Vec<RimSlot>,
}

impl RegistryAssociation {
    fn from_rim(rim: RimObject, line: usize) -> Result<RegistryAssociation> {
        let req = |name| required(&rim, name, "Association", line);
        Ok(RegistryAssociation {
            id: req("id")?,
            association_type: req("associationType")?,
            source_object: req("sourceObject")?,
            target_object: req("targetObject")?,
            status: rim.attr("status").map(DocumentStatus::from_urn),
            slots: rim.slots,
        })
    }
}

/// A required attribute, non-empty.
fn required(rim: &RimObject, name: &str, what: &str, line: usize) -> Result<String> {
    match rim.attr(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.to_owned()),
        _ => Err(Error::data(
            SOURCE,
            line,
            format!("{what} without the required {name}"),
        )),
    }
}

/// The answer to a TD3.1 search: status, counts, the objects found and the errors, in
/// document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryResponse {
    /// The status.
    pub status: ResponseStatus,
    /// `@status` as written.
    pub status_urn: String,
    /// `@totalResultCount`, if written.
    pub total_result_count: Option<u64>,
    /// `@startIndex`, if written.
    pub start_index: Option<u64>,
    /// The document entries (LeafClass).
    pub documents: Vec<RegistryDocument>,
    /// The submission sets (LeafClass).
    pub submission_sets: Vec<RegistrySubmissionSet>,
    /// The associations (LeafClass).
    pub associations: Vec<RegistryAssociation>,
    /// The ids of an ObjectRef answer.
    pub object_refs: Vec<String>,
    /// Every `RegistryError` (errors and warnings), verbatim.
    pub errors: Vec<RegistryError>,
}

impl QueryResponse {
    /// Reads the first `query:AdhocQueryResponse` in `xml`: a whole SOAP envelope or the
    /// bare element. One pass of the hardened reader ([`QUERY_RESPONSE_LIMITS`]), then one
    /// pass over the objects: linear in the size of the response.
    ///
    /// Errors ([`Error::Data`], source `xml` or `AdhocQueryResponse`, with the line): what
    /// the reader refuses; no AdhocQueryResponse; an unknown response status; a bad
    /// `totalResultCount`/`startIndex`; a `RegistryError` without code or context; an
    /// object without its required id (or association attributes); two objects with the
    /// same id; an entry without uniqueId, patientId or status, or with a `size` that is not
    /// a number. Unknown statuses and codes inside entries are kept verbatim.
    ///
    /// ```
    /// use dmp_core::xds::{QueryResponse, ResponseStatus};
    /// let xml = br#"<query:AdhocQueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
    ///     xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
    ///     status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success" totalResultCount="1">
    ///   <rim:RegistryObjectList><rim:ObjectRef id="urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"/></rim:RegistryObjectList>
    /// </query:AdhocQueryResponse>"#;
    /// let r = QueryResponse::parse(xml).unwrap();
    /// assert_eq!(r.status, ResponseStatus::Success);
    /// assert_eq!(r.object_refs, ["urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"]);
    /// ```
    pub fn parse(xml: &[u8]) -> Result<QueryResponse> {
        QueryResponse::parse_with_limits(xml, &QUERY_RESPONSE_LIMITS)
    }

    /// [`QueryResponse::parse`] with other reader limits.
    pub fn parse_with_limits(xml: &[u8], limits: &Limits) -> Result<QueryResponse> {
        let doc = reader::parse(xml, limits)?;
        let Some(r) = doc
            .elements()
            .find(|e| e.is(NS_QUERY, "AdhocQueryResponse"))
        else {
            return Err(Error::data(
                SOURCE,
                0,
                format!("no AdhocQueryResponse element in the namespace {NS_QUERY}"),
            ));
        };
        let (status, status_urn) = read_status(SOURCE, r)?;
        let count = |name: &str| -> Result<Option<u64>> {
            r.attr(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        Error::data(
                            SOURCE,
                            r.line(),
                            format!("{name} \"{v}\" is not a non-negative integer"),
                        )
                    })
                })
                .transpose()
        };
        let mut out = QueryResponse {
            status,
            status_urn,
            total_result_count: count("totalResultCount")?,
            start_index: count("startIndex")?,
            documents: Vec::new(),
            submission_sets: Vec::new(),
            associations: Vec::new(),
            object_refs: Vec::new(),
            errors: Vec::new(),
        };
        for c in r.children() {
            if c.is(NS_RS, "RegistryErrorList") {
                out.errors.extend(read_errors(SOURCE, c)?);
            } else if c.is(NS_RIM, "RegistryObjectList") {
                out.read_objects(c)?;
            }
        }
        Ok(out)
    }

    fn read_objects(&mut self, list: Element<'_>) -> Result<()> {
        let mut ids: HashSet<&str> = HashSet::new();
        for o in list.children() {
            if o.namespace() != Some(NS_RIM) {
                continue;
            }
            let line = o.line();
            if let Some(id) = o.attr("id") {
                if !ids.insert(id) {
                    return Err(Error::data(
                        SOURCE,
                        line,
                        format!("two objects have the id {id}"),
                    ));
                }
            }
            match o.local_name() {
                "ExtrinsicObject" => self.documents.push(RegistryDocument::from_rim(
                    RimObject::read(o, ObjectKind::ExtrinsicObject),
                    line,
                )?),
                "RegistryPackage" => self.submission_sets.push(RegistrySubmissionSet::from_rim(
                    &RimObject::read(o, ObjectKind::RegistryPackage),
                    line,
                )?),
                "Association" => self.associations.push(RegistryAssociation::from_rim(
                    RimObject::read(o, ObjectKind::Association),
                    line,
                )?),
                "ObjectRef" => match o.attr("id") {
                    Some(id) if !id.trim().is_empty() => self.object_refs.push(id.to_owned()),
                    _ => {
                        return Err(Error::data(
                            SOURCE,
                            line,
                            "ObjectRef without the required id",
                        ))
                    }
                },
                // Classifications on their own (the SubmissionSet node of a package) and
                // other ebRIM objects carry nothing the DMP consultation uses.
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether the search succeeded as a whole.
    pub fn is_success(&self) -> bool {
        self.status == ResponseStatus::Success
    }

    /// The document whose entryUUID is `entry_uuid`.
    pub fn document(&self, entry_uuid: &str) -> Option<&RegistryDocument> {
        self.documents.iter().find(|d| d.entry_uuid == entry_uuid)
    }
}
