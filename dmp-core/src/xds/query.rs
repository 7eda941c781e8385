//! TD3.1 document search (IHE ITI-18 Registry Stored Query): the `query:AdhocQueryRequest`
//! body of the four stored queries the DMP consultation needs ([`StoredQuery`]).
//!
//! Layout and namespaces are those of the official request
//! `TD3.1-Recherche_de_document.request.xml` (`ResponseOption returnComposedObjects="true"`,
//! `AdhocQuery id=<stored query UUID>`, one `Slot` per parameter), with explicit `query:` and
//! `rim:` prefixes declared on the element. Parameter syntax (IHE ITI TF-2a §3.18.4.1.2.3.5,
//! dmp-interface.md §2.7): strings quoted `'…'`, lists `('a','b')`, codes `'code^^scheme'`,
//! times unquoted UTC `yyyyMMddHHmmss`, the patient as its CX without CX.7.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{Ins, Oid};
use crate::xml::writer::XmlWriter;

use super::metadata::{check_entry_uuid, xds_time};
use super::request::ObjectKind;
use super::rim::{RimObject, RimSlot};
use super::vocabulary::stored_query as sq;
use super::vocabulary::{
    NS_QUERY, NS_RIM, STATUS_APPROVED, STATUS_ARCHIVED, STATUS_DELETED, STATUS_DEPRECATED,
};

/// ebRIM `LongName`: the longest `Value` the schema accepts (rim.xsd).
const VALUE_MAX: usize = 256;

/// The availability status of a registry entry (`@status`): what a search asks for and
/// what the registry says. The DMP adds Archived and Deleted to ebRIM's Approved and
/// Deprecated (dmp-interface.md §2.6). JSON: `approved`, `deprecated`, `archived`,
/// `deleted`, or the URN itself for any other status (kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// The current version (`urn:oasis:names:tc:ebxml-regrep:StatusType:Approved`).
    Approved,
    /// A replaced version (`urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated`).
    Deprecated,
    /// Archived by its author (`urn:asip:ci-sis:2010:StatusType:Archived`).
    Archived,
    /// Logically deleted (`urn:asip:ci-sis:2010:StatusType:Deleted`).
    Deleted,
    /// Any other status URN, verbatim.
    Other(String),
}

impl DocumentStatus {
    /// The status URN.
    pub fn urn(&self) -> &str {
        match self {
            DocumentStatus::Approved => STATUS_APPROVED,
            DocumentStatus::Deprecated => STATUS_DEPRECATED,
            DocumentStatus::Archived => STATUS_ARCHIVED,
            DocumentStatus::Deleted => STATUS_DELETED,
            DocumentStatus::Other(urn) => urn,
        }
    }

    /// The status of a URN (an unknown one is kept as [`DocumentStatus::Other`]).
    pub fn from_urn(urn: &str) -> DocumentStatus {
        match urn {
            STATUS_APPROVED => DocumentStatus::Approved,
            STATUS_DEPRECATED => DocumentStatus::Deprecated,
            STATUS_ARCHIVED => DocumentStatus::Archived,
            STATUS_DELETED => DocumentStatus::Deleted,
            other => DocumentStatus::Other(other.to_owned()),
        }
    }

    /// The JSON name (`approved`…), or the URN for [`DocumentStatus::Other`].
    pub fn name(&self) -> &str {
        match self {
            DocumentStatus::Approved => "approved",
            DocumentStatus::Deprecated => "deprecated",
            DocumentStatus::Archived => "archived",
            DocumentStatus::Deleted => "deleted",
            DocumentStatus::Other(urn) => urn,
        }
    }

    /// The status of a JSON name or of a URN.
    pub fn from_name(name: &str) -> DocumentStatus {
        match name {
            "approved" => DocumentStatus::Approved,
            "deprecated" => DocumentStatus::Deprecated,
            "archived" => DocumentStatus::Archived,
            "deleted" => DocumentStatus::Deleted,
            urn => DocumentStatus::from_urn(urn),
        }
    }
}

impl Serialize for DocumentStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for DocumentStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(DocumentStatus::from_name(&s))
    }
}

/// A coded value to search for: code and coding scheme, written `'code^^scheme'` (the
/// ITI-18 form of a coded parameter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeFilter {
    /// The code (`nodeRepresentation` in the metadata).
    pub code: String,
    /// The coding scheme (an OID, as in the `codingScheme` slot).
    pub scheme: String,
}

impl CodeFilter {
    /// A filter on `code` of `scheme`.
    pub fn new(code: impl Into<String>, scheme: impl Into<String>) -> CodeFilter {
        CodeFilter {
            code: code.into(),
            scheme: scheme.into(),
        }
    }

    fn render(&self, field: &str) -> Result<String> {
        let code = value_text(&format!("{field}.code"), &self.code)?;
        let scheme = value_text(&format!("{field}.scheme"), &self.scheme)?;
        for (part, v) in [("code", code), ("scheme", scheme)] {
            if v.contains('^') {
                return Err(Error::invalid(
                    format!("{field}.{part}"),
                    "must not contain '^' (it separates code and scheme)",
                    v,
                ));
            }
        }
        Ok(format!("'{code}^^{scheme}'"))
    }
}

fn default_statuses() -> Vec<DocumentStatus> {
    vec![DocumentStatus::Approved]
}

/// FindDocuments: a patient's entries matching every given filter (each list is an OR of
/// its values; empty lists and `None` times filter nothing). The default statuses are
/// `[approved]`, as in the official request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindDocuments {
    /// The patient (`$XDSDocumentEntryPatientId`).
    pub patient: Ins,
    /// Statuses (`$XDSDocumentEntryStatus`), at least one.
    #[serde(default = "default_statuses")]
    pub statuses: Vec<DocumentStatus>,
    /// classCode (`$XDSDocumentEntryClassCode`).
    #[serde(default)]
    pub class_codes: Vec<CodeFilter>,
    /// typeCode (`$XDSDocumentEntryTypeCode`).
    #[serde(default)]
    pub type_codes: Vec<CodeFilter>,
    /// formatCode (`$XDSDocumentEntryFormatCode`).
    #[serde(default)]
    pub format_codes: Vec<CodeFilter>,
    /// practiceSettingCode (`$XDSDocumentEntryPracticeSettingCode`).
    #[serde(default)]
    pub practice_setting_codes: Vec<CodeFilter>,
    /// healthcareFacilityTypeCode (`$XDSDocumentEntryHealthcareFacilityTypeCode`).
    #[serde(default)]
    pub healthcare_facility_type_codes: Vec<CodeFilter>,
    /// eventCodeList (`$XDSDocumentEntryEventCodeList`).
    #[serde(default)]
    pub event_codes: Vec<CodeFilter>,
    /// confidentialityCode (`$XDSDocumentEntryConfidentialityCode`).
    #[serde(default)]
    pub confidentiality_codes: Vec<CodeFilter>,
    /// creationTime at or after.
    #[serde(default)]
    pub creation_time_from: Option<DateTime<Utc>>,
    /// creationTime before.
    #[serde(default)]
    pub creation_time_to: Option<DateTime<Utc>>,
    /// serviceStartTime at or after.
    #[serde(default)]
    pub service_start_time_from: Option<DateTime<Utc>>,
    /// serviceStartTime before.
    #[serde(default)]
    pub service_start_time_to: Option<DateTime<Utc>>,
    /// serviceStopTime at or after.
    #[serde(default)]
    pub service_stop_time_from: Option<DateTime<Utc>>,
    /// serviceStopTime before.
    #[serde(default)]
    pub service_stop_time_to: Option<DateTime<Utc>>,
    /// authorPerson (`$XDSDocumentEntryAuthorPerson`): XCNs, `%` and `_` as wildcards.
    #[serde(default)]
    pub author_persons: Vec<String>,
}

impl FindDocuments {
    /// The approved entries of `patient`, no other filter (the official request).
    pub fn new(patient: Ins) -> FindDocuments {
        FindDocuments {
            patient,
            statuses: default_statuses(),
            class_codes: Vec::new(),
            type_codes: Vec::new(),
            format_codes: Vec::new(),
            practice_setting_codes: Vec::new(),
            healthcare_facility_type_codes: Vec::new(),
            event_codes: Vec::new(),
            confidentiality_codes: Vec::new(),
            creation_time_from: None,
            creation_time_to: None,
            service_start_time_from: None,
            service_start_time_to: None,
            service_stop_time_from: None,
            service_stop_time_to: None,
            author_persons: Vec::new(),
        }
    }

    fn slots(&self) -> Result<Vec<RimSlot>> {
        let mut slots = vec![
            RimSlot::new(sq::DE_PATIENT_ID, vec![patient(&self.patient)]),
            RimSlot::new(sq::DE_STATUS, statuses("statuses", &self.statuses)?),
        ];
        codes(
            &mut slots,
            sq::DE_CLASS_CODE,
            "class_codes",
            &self.class_codes,
        )?;
        codes(&mut slots, sq::DE_TYPE_CODE, "type_codes", &self.type_codes)?;
        codes(
            &mut slots,
            sq::DE_PRACTICE_SETTING_CODE,
            "practice_setting_codes",
            &self.practice_setting_codes,
        )?;
        let ranges = [
            (
                (sq::DE_CREATION_TIME_FROM, "creation_time_from"),
                (sq::DE_CREATION_TIME_TO, "creation_time_to"),
                self.creation_time_from,
                self.creation_time_to,
            ),
            (
                (sq::DE_SERVICE_START_TIME_FROM, "service_start_time_from"),
                (sq::DE_SERVICE_START_TIME_TO, "service_start_time_to"),
                self.service_start_time_from,
                self.service_start_time_to,
            ),
            (
                (sq::DE_SERVICE_STOP_TIME_FROM, "service_stop_time_from"),
                (sq::DE_SERVICE_STOP_TIME_TO, "service_stop_time_to"),
                self.service_stop_time_from,
                self.service_stop_time_to,
            ),
        ];
        for (from, to, t_from, t_to) in ranges {
            time_range(&mut slots, from, to, t_from, t_to)?;
        }
        codes(
            &mut slots,
            sq::DE_HEALTHCARE_FACILITY_TYPE_CODE,
            "healthcare_facility_type_codes",
            &self.healthcare_facility_type_codes,
        )?;
        codes(
            &mut slots,
            sq::DE_EVENT_CODE_LIST,
            "event_codes",
            &self.event_codes,
        )?;
        codes(
            &mut slots,
            sq::DE_CONFIDENTIALITY_CODE,
            "confidentiality_codes",
            &self.confidentiality_codes,
        )?;
        if !self.author_persons.is_empty() {
            let items = self
                .author_persons
                .iter()
                .enumerate()
                .map(|(i, a)| quoted(&format!("author_persons[{i}]"), a))
                .collect::<Result<Vec<_>>>()?;
            slots.push(RimSlot::new(
                sq::DE_AUTHOR_PERSON,
                list("author_persons", &items)?,
            ));
        }
        codes(
            &mut slots,
            sq::DE_FORMAT_CODE,
            "format_codes",
            &self.format_codes,
        )?;
        Ok(slots)
    }
}

/// FindSubmissionSets: a patient's submission sets, optionally by submission time (the
/// DMP's "search by submission date", followed by GetSubmissionSetAndContents,
/// dmp-interface.md §2.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindSubmissionSets {
    /// The patient (`$XDSSubmissionSetPatientId`).
    pub patient: Ins,
    /// submissionTime at or after.
    #[serde(default)]
    pub submission_time_from: Option<DateTime<Utc>>,
    /// submissionTime before.
    #[serde(default)]
    pub submission_time_to: Option<DateTime<Utc>>,
    /// Statuses (`$XDSSubmissionSetStatus`), at least one; default `[approved]`.
    #[serde(default = "default_statuses")]
    pub statuses: Vec<DocumentStatus>,
}

/// Which entries GetDocuments returns: by uniqueId (the document id, as in the CDA) or by
/// registry entryUUID (`urn:uuid:…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentRef {
    /// `$XDSDocumentEntryUniqueId`: uniqueIds (an OID, or `root^extension`).
    UniqueIds(Vec<String>),
    /// `$XDSDocumentEntryEntryUUID`: registry entryUUIDs.
    EntryUuids(Vec<String>),
}

/// Which submission set GetSubmissionSetAndContents returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionSetRef {
    /// `$XDSSubmissionSetUniqueId`: its uniqueId (an OID).
    UniqueId(String),
    /// `$XDSSubmissionSetEntryUUID`: its registry entryUUID.
    EntryUuid(String),
}

/// What the registry returns for each object found (`ResponseOption/@returnType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnType {
    /// The whole objects (metadata): `LeafClass`.
    #[default]
    LeafClass,
    /// Only their ids: `ObjectRef`.
    ObjectRef,
}

impl ReturnType {
    /// The `returnType` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnType::LeafClass => "LeafClass",
            ReturnType::ObjectRef => "ObjectRef",
        }
    }
}

/// One ITI-18 stored query. JSON: `{"query": "find_documents", "patient": …}`,
/// `{"query": "get_documents", "by": {"unique_ids": […]}}`, …
///
/// GetDocuments and GetSubmissionSetAndContents take no patient (IHE ITI-18: the ids are
/// enough); they take the optional `$homeCommunityId` (`urn:oid:…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
// One query is built per request and never stored in bulk: boxing FindDocuments would only
// make it harder to write.
#[allow(clippy::large_enum_variant)]
pub enum StoredQuery {
    /// FindDocuments (`urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d`).
    FindDocuments(FindDocuments),
    /// GetDocuments (`urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4`).
    GetDocuments {
        /// The entries, by uniqueId or entryUUID.
        by: DocumentRef,
        /// `$homeCommunityId`, `urn:oid:…`, if any.
        #[serde(default)]
        home_community_id: Option<String>,
    },
    /// FindSubmissionSets (`urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9`).
    FindSubmissionSets(FindSubmissionSets),
    /// GetSubmissionSetAndContents (`urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83`).
    GetSubmissionSetAndContents {
        /// The submission set, by uniqueId or entryUUID.
        by: SubmissionSetRef,
        /// `$homeCommunityId`, `urn:oid:…`, if any.
        #[serde(default)]
        home_community_id: Option<String>,
    },
}

impl StoredQuery {
    /// The stored query id (`AdhocQuery/@id`).
    pub fn id(&self) -> &'static str {
        match self {
            StoredQuery::FindDocuments(_) => sq::FIND_DOCUMENTS,
            StoredQuery::GetDocuments { .. } => sq::GET_DOCUMENTS,
            StoredQuery::FindSubmissionSets(_) => sq::FIND_SUBMISSION_SETS,
            StoredQuery::GetSubmissionSetAndContents { .. } => sq::GET_SUBMISSION_SET_AND_CONTENTS,
        }
    }

    /// The parameters, as slots, after checking them.
    fn slots(&self) -> Result<Vec<RimSlot>> {
        match self {
            StoredQuery::FindDocuments(f) => f.slots(),
            StoredQuery::GetDocuments {
                by,
                home_community_id,
            } => {
                let (name, field, ids) = match by {
                    DocumentRef::UniqueIds(ids) => (sq::DE_UNIQUE_ID, "by.unique_ids", ids),
                    DocumentRef::EntryUuids(ids) => (sq::DE_ENTRY_UUID, "by.entry_uuids", ids),
                };
                let items = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let f = format!("{field}[{i}]");
                        if name == sq::DE_ENTRY_UUID {
                            check_entry_uuid(&f, id)?;
                        }
                        quoted(&f, id)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut slots = vec![RimSlot::new(name, list(field, &items)?)];
                home(&mut slots, home_community_id)?;
                Ok(slots)
            }
            StoredQuery::FindSubmissionSets(f) => {
                let mut slots = vec![RimSlot::new(sq::SS_PATIENT_ID, vec![patient(&f.patient)])];
                time_range(
                    &mut slots,
                    (sq::SS_SUBMISSION_TIME_FROM, "submission_time_from"),
                    (sq::SS_SUBMISSION_TIME_TO, "submission_time_to"),
                    f.submission_time_from,
                    f.submission_time_to,
                )?;
                slots.push(RimSlot::new(
                    sq::SS_STATUS,
                    statuses("statuses", &f.statuses)?,
                ));
                Ok(slots)
            }
            StoredQuery::GetSubmissionSetAndContents {
                by,
                home_community_id,
            } => {
                let slot = match by {
                    SubmissionSetRef::UniqueId(id) => {
                        RimSlot::new(sq::SS_UNIQUE_ID, vec![quoted("by.unique_id", id)?])
                    }
                    SubmissionSetRef::EntryUuid(id) => {
                        check_entry_uuid("by.entry_uuid", id)?;
                        RimSlot::new(sq::SS_ENTRY_UUID, vec![quoted("by.entry_uuid", id)?])
                    }
                };
                let mut slots = vec![slot];
                home(&mut slots, home_community_id)?;
                Ok(slots)
            }
        }
    }

    /// The `query:AdhocQueryRequest` element, UTF-8, without XML declaration, to go into the
    /// SOAP Body of a `urn:ihe:iti:2007:RegistryStoredQuery` request. Same query, same
    /// bytes.
    ///
    /// Errors ([`Error::Invalid`], naming the JSON field): an empty list of ids or of
    /// statuses, a value that is empty or contains a quote `'` (the parameter syntax has no
    /// escape the DMP is known to accept), a code or scheme containing `^`, an entryUUID not
    /// `urn:uuid:<lower-case UUID>`, a `from` time after its `to`, a `home_community_id` not
    /// `urn:oid:<OID>`, one value longer than the 256 characters of an ebRIM `Value`. Long
    /// lists are split over several `Value`s (ITI-18 allows it).
    ///
    /// ```
    /// use dmp_core::ids::Ins;
    /// use dmp_core::xds::{FindDocuments, ReturnType, StoredQuery};
    /// let ins = Ins::from_cx("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH").unwrap();
    /// let xml = StoredQuery::FindDocuments(FindDocuments::new(ins))
    ///     .to_xml(ReturnType::LeafClass)
    ///     .unwrap();
    /// let xml = String::from_utf8(xml).unwrap();
    /// assert!(xml.contains("<rim:Value>'207058575627097^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH'</rim:Value>"));
    /// assert!(xml.contains("<rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value>"));
    /// ```
    pub fn to_xml(&self, return_type: ReturnType) -> Result<Vec<u8>> {
        let mut query = RimObject::new(
            ObjectKind::AdhocQuery,
            vec![("id".into(), self.id().to_owned())],
        );
        query.slots = self.slots()?;
        let mut w = XmlWriter::new();
        w.elem(
            "query:AdhocQueryRequest",
            &[("xmlns:query", NS_QUERY), ("xmlns:rim", NS_RIM)],
            |w| {
                w.empty(
                    "query:ResponseOption",
                    &[
                        ("returnComposedObjects", "true"),
                        ("returnType", return_type.as_str()),
                    ],
                )?;
                query.write(w)
            },
        )?;
        w.finish()
    }
}

/// A parameter text: not blank, no quote, only characters XML allows.
fn value_text<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty", value));
    }
    if value.contains('\'') {
        return Err(Error::invalid(
            field,
            "must not contain a quote ' (stored query values are quoted)",
            value,
        ));
    }
    crate::xml::writer::check_chars(field, value)?;
    Ok(value)
}

/// `'value'`.
fn quoted(field: &str, value: &str) -> Result<String> {
    Ok(format!("'{}'", value_text(field, value)?))
}

/// `'<INS CX>'` (no CX.7 date, dmp-interface.md §7 item 15).
fn patient(ins: &Ins) -> String {
    format!("'{}'", ins.to_cx())
}

/// A list `('a','b')` of already quoted items, split over as many `Value`s as the ebRIM
/// length allows; an empty list is refused.
fn list(field: &str, items: &[String]) -> Result<Vec<String>> {
    if items.is_empty() {
        return Err(Error::invalid(field, "must hold at least one value", "[]"));
    }
    let mut values = Vec::new();
    let mut current = String::new();
    for item in items {
        // `(` + item + `)` must fit alone.
        if item.chars().count() + 2 > VALUE_MAX {
            return Err(Error::invalid(
                field,
                format!("each value must be at most {} characters", VALUE_MAX - 4),
                item,
            ));
        }
        if !current.is_empty() && current.chars().count() + item.chars().count() + 2 > VALUE_MAX {
            current.push(')');
            values.push(std::mem::take(&mut current));
        }
        current.push(if current.is_empty() { '(' } else { ',' });
        current.push_str(item);
    }
    current.push(')');
    values.push(current);
    Ok(values)
}

fn statuses(field: &str, statuses: &[DocumentStatus]) -> Result<Vec<String>> {
    let items = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| quoted(&format!("{field}[{i}]"), s.urn()))
        .collect::<Result<Vec<_>>>()?;
    list(field, &items)
}

/// Adds the slot of a code list, when not empty.
fn codes(
    slots: &mut Vec<RimSlot>,
    name: &'static str,
    field: &str,
    codes: &[CodeFilter],
) -> Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    let items = codes
        .iter()
        .enumerate()
        .map(|(i, c)| c.render(&format!("{field}[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    slots.push(RimSlot::new(name, list(field, &items)?));
    Ok(())
}

/// Adds the `From`/`To` slots of a time range; refuses `from` after `to`.
fn time_range(
    slots: &mut Vec<RimSlot>,
    (from_name, from_field): (&'static str, &str),
    (to_name, to_field): (&'static str, &str),
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<()> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(Error::invalid(
                to_field,
                format!("must not be before {from_field} ({})", f.to_rfc3339()),
                t.to_rfc3339(),
            ));
        }
    }
    for (name, field, t) in [(from_name, from_field, from), (to_name, to_field, to)] {
        if let Some(t) = t {
            slots.push(RimSlot::new(name, vec![xds_time(field, &t)?]));
        }
    }
    Ok(())
}

/// Adds `$homeCommunityId` when given (`urn:oid:<OID>`).
fn home(slots: &mut Vec<RimSlot>, home: &Option<String>) -> Result<()> {
    let Some(h) = home else { return Ok(()) };
    let field = "home_community_id";
    match h.strip_prefix("urn:oid:").map(Oid::new) {
        Some(Ok(_)) => {
            slots.push(RimSlot::new(sq::HOME_COMMUNITY_ID, vec![quoted(field, h)?]));
            Ok(())
        }
        _ => Err(Error::invalid(field, "must be urn:oid:<OID>", h)),
    }
}
