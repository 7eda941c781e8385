//! Reading a CDA R2 document back: [`read`] parses it with the hardened XML reader into a
//! lenient [`RawHeader`] (what the XML shows, as strings) and the N1 body, if any; then
//! [`ReadDocument::to_header`] converts the raw header into the validated [`CdaHeader`], with
//! errors that name the field of [`CdaHeader`] (e.g. `authors[0].person.idnat`), the rule and
//! the value found in the XML.
//!
//! See [`read`] and [`ReadDocument::to_header`].

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use super::b64::decode_base64;
use super::header::{
    Author, CdaHeader, CdaOrganization, CdaPatient, CdaPerson, Content, Encounter,
    LegalAuthenticator, MediaType, ServiceEvent,
};
use crate::error::{Error, Result};
use crate::ids::{oid, Finess, IdNatPs, Ins, InsSystem, Oid};
use crate::model::{BirthDate, CodeInsee, ConfidentialityLevel, DocumentKind, Ipp, Sex, Traits};
use crate::xml::reader::{self as xml, Element, Limits};

/// The CDA namespace.
pub const HL7_NS: &str = "urn:hl7-org:v3";

/// TRE_R66 (ESSMS categories): the code system of the facility code translation that
/// [`ReadDocument::to_header`] takes as the structure's category.
const CATEGORY_SYSTEM: &str = "1.2.250.1.213.1.6.1.8";

const SOURCE: &str = "cda";

/// An `II` (instance identifier) as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawId {
    /// `@root`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// `@extension`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// `@nullFlavor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<String>,
}

impl RawId {
    /// This id as an INS, when its root is one of the four INS OIDs and its extension a valid
    /// matricule (the legacy INS-C and anything else give `None`).
    pub fn ins(&self) -> Option<Ins> {
        Ins::parse(self.extension.as_deref()?, self.root.as_deref()?).ok()
    }
}

/// A coded value (`CE`/`CD`/`CS`) as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawCode {
    /// `@code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `@codeSystem`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_system: Option<String>,
    /// `@displayName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `@nullFlavor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<String>,
    /// `translation` children (one level).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<RawCode>,
}

/// A time (`TS`) as written, and as a date-time when it has at least minutes and a UTC
/// offset (`YYYYMMDDhhmm[ss[.f]]±hhmm`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawTime {
    /// `@value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `@nullFlavor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<String>,
    /// `@value` parsed, when it is a date-time with an offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parsed: Option<DateTime<FixedOffset>>,
}

/// An interval (`IVL_TS`) as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawInterval {
    /// `low`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<RawTime>,
    /// `high`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<RawTime>,
    /// `@value` (a single point, rare in headers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `@nullFlavor` (unknown dates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<String>,
}

/// One part of a name (`family`, `given`) with its qualifier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawNamePart {
    /// The text, as written.
    pub value: String,
    /// `@qualifier` (`BR` birth, `CL` used, `SP` spouse…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
}

/// A person name (`PN`) as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawName {
    /// `family` parts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub family: Vec<RawNamePart>,
    /// `given` parts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<RawNamePart>,
    /// `prefix` texts (civilité).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    /// `suffix` texts (titre).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suffix: Vec<String>,
}

/// An organisation (`representedOrganization`, `representedCustodianOrganization`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawOrganization {
    /// `id`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<RawId>,
    /// `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `standardIndustryClassCode` (practice setting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_industry_class_code: Option<RawCode>,
}

/// An `assignedAuthoringDevice`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawDevice {
    /// `manufacturerModelName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer_model_name: Option<String>,
    /// `softwareName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_name: Option<String>,
}

/// An `assignedAuthor` / `assignedEntity`: who, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawEntity {
    /// `id`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<RawId>,
    /// `code` (JDV_J01 specialty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<RawCode>,
    /// `assignedPerson/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<RawName>,
    /// `assignedAuthoringDevice`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<RawDevice>,
    /// `representedOrganization`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<RawOrganization>,
}

/// An `author`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawAuthor {
    /// `time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<RawTime>,
    /// `functionCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_code: Option<RawCode>,
    /// `assignedAuthor`.
    #[serde(flatten)]
    pub assigned: RawEntity,
}

/// The `legalAuthenticator`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawLegalAuthenticator {
    /// `time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<RawTime>,
    /// `signatureCode/@code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_code: Option<String>,
    /// `assignedEntity`.
    #[serde(flatten)]
    pub assigned: RawEntity,
}

/// A `documentationOf/serviceEvent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawServiceEvent {
    /// `code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<RawCode>,
    /// `effectiveTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_time: Option<RawInterval>,
    /// `performer/assignedEntity` (the first performer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer: Option<RawEntity>,
}

/// The `componentOf/encompassingEncounter`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawEncounter {
    /// `code` (encounter type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<RawCode>,
    /// `effectiveTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_time: Option<RawInterval>,
    /// `location/healthCareFacility/code` (sector), with its translations (category).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_code: Option<RawCode>,
}

/// A `relatedDocument`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawRelatedDocument {
    /// `@typeCode` (`RPLC`, `XFRM`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    /// `parentDocument/id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<RawId>,
}

/// The `recordTarget/patientRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawPatient {
    /// `id`s, in document order (the INS first in a CI-SIS document).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<RawId>,
    /// `patient/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<RawName>,
    /// `patient/administrativeGenderCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<RawCode>,
    /// `patient/birthTime/@value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_time: Option<String>,
    /// `patient/birthplace/place/addr/county` (INSEE code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthplace_county: Option<String>,
}

/// What the document has as body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RawBody {
    /// No `component` body.
    #[default]
    Missing,
    /// `nonXMLBody` (N1).
    NonXml {
        /// `text/@mediaType`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media_type: Option<String>,
        /// `text/@representation` (`B64`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        representation: Option<String>,
    },
    /// `structuredBody` (N3).
    Structured,
}

/// The header of a CDA as its XML shows it: lenient (strings and options), so that any
/// well-formed CDA reads. [`ReadDocument::to_header`] validates it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawHeader {
    /// `templateId`s (roots and extensions), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub template_ids: Vec<RawId>,
    /// `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<RawId>,
    /// `code` (document type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<RawCode>,
    /// `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `effectiveTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_time: Option<RawTime>,
    /// `confidentialityCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidentiality_code: Option<RawCode>,
    /// `languageCode/@code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// `setId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_id: Option<RawId>,
    /// `versionNumber/@value`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_number: Option<String>,
    /// `relatedDocument`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_documents: Vec<RawRelatedDocument>,
    /// `recordTarget/patientRole`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<RawPatient>,
    /// `author`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<RawAuthor>,
    /// `custodian/assignedCustodian/representedCustodianOrganization`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custodian: Option<RawOrganization>,
    /// `legalAuthenticator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_authenticator: Option<RawLegalAuthenticator>,
    /// `documentationOf/serviceEvent`s (the first is the main event).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_events: Vec<RawServiceEvent>,
    /// `componentOf/encompassingEncounter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<RawEncounter>,
    /// The body kind.
    pub body: RawBody,
}

/// A CDA as read: the raw header and, for an N1 body, the decoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadDocument {
    /// What the header shows.
    pub header: RawHeader,
    /// The N1 body (`nonXMLBody`), decoded; `None` for a structured or missing body.
    pub content: Option<Content>,
}

/// Reads a CDA R2 document with the default [`Limits`].
///
/// It accepts any well-formed CDA (official examples with test identifiers included): it
/// only fails on XML errors ([`Error::Data`] from `"xml"`), on a document without
/// `ClinicalDocument` in namespace `urn:hl7-org:v3` (it may be wrapped, e.g. in a
/// signature), and on an N1 body it cannot decode: unknown media type, bad base64,
/// compression ([`Error::Data`] from `"cda"`). Base64 may contain ASCII whitespace anywhere.
pub fn read(xml: &[u8]) -> Result<ReadDocument> {
    read_with_limits(xml, &Limits::default())
}

/// Reads a CDA R2 document within `limits`.
pub fn read_with_limits(xml: &[u8], limits: &Limits) -> Result<ReadDocument> {
    let doc = xml::parse(xml, limits)?;
    let cda = doc
        .elements()
        .find(|e| e.is(HL7_NS, "ClinicalDocument"))
        .ok_or_else(|| {
            Error::data(
                SOURCE,
                doc.root().line(),
                format!(
                    "no ClinicalDocument element in namespace {HL7_NS} (root is <{}>)",
                    doc.root().local_name()
                ),
            )
        })?;
    let header = raw_header(cda);
    let content = match cda.path(HL7_NS, &["component", "nonXMLBody", "text"]) {
        Some(text) => Some(decode_body(text)?),
        None => None,
    };
    Ok(ReadDocument { header, content })
}

// ---------------------------------------------------------------------------------------------
// XML → RawHeader

fn ch<'d>(e: Element<'d>, local: &str) -> Option<Element<'d>> {
    e.child(HL7_NS, local)
}

fn chs<'d>(e: Element<'d>, local: &'static str) -> impl Iterator<Item = Element<'d>> {
    e.children_named(HL7_NS, local)
}

fn attr(e: Element<'_>, name: &str) -> Option<String> {
    e.attr(name).map(str::to_owned)
}

fn text_of(e: Option<Element<'_>>) -> Option<String> {
    e.map(|e| e.text().to_owned())
}

pub(crate) fn raw_id(e: Element<'_>) -> RawId {
    RawId {
        root: attr(e, "root"),
        extension: attr(e, "extension"),
        null_flavor: attr(e, "nullFlavor"),
    }
}

fn raw_code_flat(e: Element<'_>) -> RawCode {
    RawCode {
        code: attr(e, "code"),
        code_system: attr(e, "codeSystem"),
        display_name: attr(e, "displayName"),
        null_flavor: attr(e, "nullFlavor"),
        translations: Vec::new(),
    }
}

pub(crate) fn raw_code(e: Element<'_>) -> RawCode {
    RawCode {
        translations: chs(e, "translation").map(raw_code_flat).collect(),
        ..raw_code_flat(e)
    }
}

pub(crate) fn raw_time(e: Element<'_>) -> RawTime {
    let value = attr(e, "value");
    RawTime {
        parsed: value.as_deref().and_then(parse_ts),
        value,
        null_flavor: attr(e, "nullFlavor"),
    }
}

pub(crate) fn raw_interval(e: Element<'_>) -> RawInterval {
    RawInterval {
        low: ch(e, "low").map(raw_time),
        high: ch(e, "high").map(raw_time),
        value: attr(e, "value"),
        null_flavor: attr(e, "nullFlavor"),
    }
}

pub(crate) fn raw_name(e: Element<'_>) -> RawName {
    let parts = |local: &'static str| {
        chs(e, local)
            .map(|p| RawNamePart {
                value: p.text().to_owned(),
                qualifier: attr(p, "qualifier"),
            })
            .collect()
    };
    RawName {
        family: parts("family"),
        given: parts("given"),
        prefix: chs(e, "prefix").map(|p| p.text().to_owned()).collect(),
        suffix: chs(e, "suffix").map(|p| p.text().to_owned()).collect(),
    }
}

fn raw_org(e: Element<'_>) -> RawOrganization {
    RawOrganization {
        ids: chs(e, "id").map(raw_id).collect(),
        name: text_of(ch(e, "name")),
        standard_industry_class_code: ch(e, "standardIndustryClassCode").map(raw_code),
    }
}

fn raw_entity(e: Element<'_>) -> RawEntity {
    RawEntity {
        ids: chs(e, "id").map(raw_id).collect(),
        code: ch(e, "code").map(raw_code),
        person: e.path(HL7_NS, &["assignedPerson", "name"]).map(raw_name),
        device: ch(e, "assignedAuthoringDevice").map(|d| RawDevice {
            manufacturer_model_name: text_of(ch(d, "manufacturerModelName")),
            software_name: text_of(ch(d, "softwareName")),
        }),
        organization: ch(e, "representedOrganization").map(raw_org),
    }
}

fn raw_header(cda: Element<'_>) -> RawHeader {
    let patient = cda
        .path(HL7_NS, &["recordTarget", "patientRole"])
        .map(|role| {
            let p = ch(role, "patient");
            RawPatient {
                ids: chs(role, "id").map(raw_id).collect(),
                name: p.and_then(|p| ch(p, "name")).map(raw_name),
                gender: p
                    .and_then(|p| ch(p, "administrativeGenderCode"))
                    .map(raw_code),
                birth_time: p
                    .and_then(|p| ch(p, "birthTime"))
                    .and_then(|b| attr(b, "value")),
                birthplace_county: text_of(
                    p.and_then(|p| p.path(HL7_NS, &["birthplace", "place", "addr", "county"])),
                ),
            }
        });
    let body = match ch(cda, "component") {
        Some(c) => {
            if let Some(n) = ch(c, "nonXMLBody") {
                let text = ch(n, "text");
                RawBody::NonXml {
                    media_type: text.and_then(|t| attr(t, "mediaType")),
                    representation: text.and_then(|t| attr(t, "representation")),
                }
            } else if ch(c, "structuredBody").is_some() {
                RawBody::Structured
            } else {
                RawBody::Missing
            }
        }
        None => RawBody::Missing,
    };
    RawHeader {
        template_ids: chs(cda, "templateId").map(raw_id).collect(),
        id: ch(cda, "id").map(raw_id),
        code: ch(cda, "code").map(raw_code),
        title: text_of(ch(cda, "title")),
        effective_time: ch(cda, "effectiveTime").map(raw_time),
        confidentiality_code: ch(cda, "confidentialityCode").map(raw_code),
        language_code: ch(cda, "languageCode").and_then(|l| attr(l, "code")),
        set_id: ch(cda, "setId").map(raw_id),
        version_number: ch(cda, "versionNumber").and_then(|v| attr(v, "value")),
        related_documents: chs(cda, "relatedDocument")
            .map(|r| RawRelatedDocument {
                type_code: attr(r, "typeCode"),
                parent_id: r.path(HL7_NS, &["parentDocument", "id"]).map(raw_id),
            })
            .collect(),
        patient,
        authors: chs(cda, "author")
            .map(|a| RawAuthor {
                time: ch(a, "time").map(raw_time),
                function_code: ch(a, "functionCode").map(raw_code),
                assigned: ch(a, "assignedAuthor").map(raw_entity).unwrap_or_default(),
            })
            .collect(),
        custodian: cda
            .path(
                HL7_NS,
                &[
                    "custodian",
                    "assignedCustodian",
                    "representedCustodianOrganization",
                ],
            )
            .map(raw_org),
        legal_authenticator: ch(cda, "legalAuthenticator").map(|l| RawLegalAuthenticator {
            time: ch(l, "time").map(raw_time),
            signature_code: ch(l, "signatureCode").and_then(|s| attr(s, "code")),
            assigned: ch(l, "assignedEntity").map(raw_entity).unwrap_or_default(),
        }),
        service_events: chs(cda, "documentationOf")
            .filter_map(|d| ch(d, "serviceEvent"))
            .map(|s| RawServiceEvent {
                code: ch(s, "code").map(raw_code),
                effective_time: ch(s, "effectiveTime").map(raw_interval),
                performer: s
                    .path(HL7_NS, &["performer", "assignedEntity"])
                    .map(raw_entity),
            })
            .collect(),
        encounter: cda
            .path(HL7_NS, &["componentOf", "encompassingEncounter"])
            .map(|e| RawEncounter {
                code: ch(e, "code").map(raw_code),
                effective_time: ch(e, "effectiveTime").map(raw_interval),
                facility_code: e
                    .path(HL7_NS, &["location", "healthCareFacility", "code"])
                    .map(raw_code),
            }),
        body,
    }
}

/// Parses an HL7 TS to the minute at least, with a UTC offset:
/// `YYYYMMDDhhmm±hhmm`, `YYYYMMDDhhmmss±hhmm`, `YYYYMMDDhhmmss.f…±hhmm`.
pub(crate) fn parse_ts(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    let split = s.find(['+', '-'])?;
    let (main, off) = s.split_at(split);
    let (digits, frac) = match main.split_once('.') {
        Some((d, f)) => (d, Some(f)),
        None => (main, None),
    };
    let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !(digits.len() == 12 || digits.len() == 14) || !all_digits(digits) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|p| p.parse::<u32>().ok());
    let nanos = match frac {
        None => 0,
        Some(f) if digits.len() == 14 && all_digits(f) && f.len() <= 9 => {
            let v: u32 = f.parse().ok()?;
            v * 10u32.pow(9 - u32::try_from(f.len()).ok()?)
        }
        Some(_) => return None,
    };
    let sec = if digits.len() == 14 { num(12..14)? } else { 0 };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(4..6)?, num(6..8)?)?;
    let naive = date.and_hms_nano_opt(num(8..10)?, num(10..12)?, sec, nanos)?;
    let (sign, hm) = off.split_at(1);
    if hm.len() != 4 || !all_digits(hm) {
        return None;
    }
    let oh: i32 = hm.get(0..2)?.parse().ok()?;
    let om: i32 = hm.get(2..4)?.parse().ok()?;
    if om >= 60 {
        return None;
    }
    let secs = (oh * 3600 + om * 60) * if sign == "-" { -1 } else { 1 };
    FixedOffset::east_opt(secs)?
        .from_local_datetime(&naive)
        .single()
}

// ---------------------------------------------------------------------------------------------
// Body

fn decode_body(text: Element<'_>) -> Result<Content> {
    let at = |msg: String| Error::data(SOURCE, text.line(), msg);
    let mime = text.attr("mediaType").unwrap_or_default().trim();
    let media_type = MediaType::from_mime(mime).ok_or_else(|| {
        at(format!(
            "nonXMLBody/text/@mediaType {mime:?} is not one the CI-SIS allows ({})",
            MediaType::ALL.map(MediaType::mime).join(", ")
        ))
    })?;
    if let Some(c) = text.attr("compression") {
        return Err(at(format!(
            "nonXMLBody/text/@compression {c:?}: compressed bodies are not supported"
        )));
    }
    let data = match text.attr("representation").map(str::trim) {
        Some("B64") => {
            decode_base64(text.text()).map_err(|m| at(format!("nonXMLBody/text is {m}")))?
        }
        Some("TXT") | None => text.text().as_bytes().to_vec(),
        Some(other) => {
            return Err(at(format!(
                "nonXMLBody/text/@representation {other:?}: expected B64"
            )))
        }
    };
    Ok(Content { media_type, data })
}

// ---------------------------------------------------------------------------------------------
// RawHeader → CdaHeader

/// Rewrites a validation error of a nested parser to name `field` and the value as found in
/// the XML; the inner field, when it says more than the path, goes into the rule.
fn reframe(e: Error, field: &str, value: &str) -> Error {
    match e {
        Error::Invalid(inv) => {
            let last = field.rsplit(['.', '[']).next().unwrap_or(field);
            let rule = if inv.field.is_empty() || inv.field == last {
                inv.rule
            } else {
                format!("{}: {}", inv.field, inv.rule)
            };
            Error::invalid(field, rule, value)
        }
        other => other,
    }
}

fn missing(field: &str, what: &str) -> Error {
    Error::invalid(field, format!("required: {what}"), "")
}

fn clean(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn time_of(t: Option<&RawTime>, field: &str, what: &str) -> Result<DateTime<FixedOffset>> {
    match t {
        Some(t) => match (&t.parsed, &t.value) {
            (Some(p), _) => Ok(*p),
            (None, Some(v)) => Err(Error::invalid(
                field,
                "must be a date-time to the minute at least with a UTC offset \
                 (YYYYMMDDhhmm[ss]±hhmm)",
                v,
            )),
            (None, None) => Err(missing(field, what)),
        },
        None => Err(missing(field, what)),
    }
}

/// An optional time: absent or with a nullFlavor gives `None`; a value must parse.
fn opt_time(t: Option<&RawTime>, field: &str) -> Result<Option<DateTime<FixedOffset>>> {
    match t {
        Some(t) if t.value.is_some() => time_of(Some(t), field, "").map(Some),
        _ => Ok(None),
    }
}

fn plain_oid(id: Option<&RawId>, field: &str, what: &str) -> Result<Oid> {
    let id = id.ok_or_else(|| missing(field, what))?;
    let root = clean(id.root.as_ref()).ok_or_else(|| missing(field, &format!("{what} @root")))?;
    if let Some(ext) = clean(id.extension.as_ref()) {
        return Err(Error::invalid(
            field,
            "the DMP needs a plain OID in @root, without @extension",
            format!("{root} / {ext}"),
        ));
    }
    Oid::new(root).map_err(|e| reframe(e, field, root))
}

fn idnat_of(ids: &[RawId], field: &str) -> Result<IdNatPs> {
    let ext = ids
        .iter()
        .find(|i| i.root.as_deref().map(str::trim) == Some(oid::PS_IDNAT))
        .and_then(|i| clean(i.extension.as_ref()))
        .ok_or_else(|| {
            missing(
                field,
                &format!(
                    "an id with root {} (PS_IdNat) and an extension",
                    oid::PS_IDNAT
                ),
            )
        })?;
    ext.parse::<IdNatPs>().map_err(|e| reframe(e, field, ext))
}

fn person_of(e: &RawEntity, path: &str) -> Result<CdaPerson> {
    let idnat = idnat_of(&e.ids, &format!("{path}.idnat"))?;
    let name = e
        .person
        .as_ref()
        .ok_or_else(|| missing(&format!("{path}.family_name"), "assignedPerson/name"))?;
    let family_name = name
        .family
        .first()
        .and_then(|p| clean(Some(&p.value)))
        .ok_or_else(|| missing(&format!("{path}.family_name"), "name/family"))?;
    let given_name = name
        .given
        .first()
        .and_then(|p| clean(Some(&p.value)))
        .ok_or_else(|| missing(&format!("{path}.given_name"), "name/given"))?;
    let specialty = e
        .code
        .as_ref()
        .and_then(|c| clean(c.code.as_ref()))
        .ok_or_else(|| missing(&format!("{path}.specialty"), "code (JDV_J01 specialty)"))?;
    Ok(CdaPerson {
        idnat,
        family_name: family_name.to_owned(),
        given_name: given_name.to_owned(),
        specialty: specialty.to_owned(),
    })
}

fn is_ins_root(id: &RawId) -> bool {
    id.root
        .as_deref()
        .is_some_and(|r| InsSystem::from_oid(r.trim()).is_some())
}

fn patient_of(p: Option<&RawPatient>) -> Result<CdaPatient> {
    let p = p.ok_or_else(|| missing("patient", "recordTarget/patientRole"))?;
    let ins_at = p.ids.iter().position(is_ins_root).ok_or_else(|| {
        let roots: Vec<&str> = p.ids.iter().filter_map(|i| i.root.as_deref()).collect();
        Error::invalid(
            "patient.ins",
            "required: a patientRole/id whose root is an INS OID (1.2.250.1.213.1.4.8, .9, .10 \
             or .11)",
            roots.join(", "),
        )
    })?;
    let ins_id = &p.ids[ins_at];
    let matricule = clean(ins_id.extension.as_ref())
        .ok_or_else(|| missing("patient.ins", "the INS matricule in @extension"))?;
    let root = ins_id.root.as_deref().unwrap_or_default().trim();
    let ins = Ins::parse(matricule, root).map_err(|e| reframe(e, "patient.ins", matricule))?;
    let ipp = match p.ids.get(ins_at + 1) {
        None => None,
        Some(id) => {
            let authority = clean(id.root.as_ref())
                .ok_or_else(|| missing("patient.ipp.authority", "@root of the local id"))?;
            let local = clean(id.extension.as_ref())
                .ok_or_else(|| missing("patient.ipp.id", "@extension of the local id"))?;
            Some(Ipp {
                id: local.to_owned(),
                authority: Oid::new(authority)
                    .map_err(|e| reframe(e, "patient.ipp.authority", authority))?,
            })
        }
    };
    let traits = traits_of(p)?;
    Ok(CdaPatient { ins, traits, ipp })
}

fn traits_of(p: &RawPatient) -> Result<Traits> {
    const T: &str = "patient.traits";
    let name = p
        .name
        .as_ref()
        .ok_or_else(|| missing(&format!("{T}.birth_family_name"), "patient/name"))?;
    // A qualifier is a set of codes (`BR CL` is both); `None` asks for no qualifier.
    let has = |x: &RawNamePart, q: Option<&str>| {
        let mut codes = x
            .qualifier
            .as_deref()
            .unwrap_or_default()
            .split_whitespace();
        match q {
            Some(q) => codes.any(|c| c == q),
            None => codes.next().is_none(),
        }
    };
    let with = |parts: &[RawNamePart], q: Option<&str>| -> Option<String> {
        parts
            .iter()
            .find(|x| has(x, q))
            .and_then(|x| clean(Some(&x.value)))
            .map(str::to_owned)
    };
    let birth_family_name = with(&name.family, Some("BR")).ok_or_else(|| {
        missing(
            &format!("{T}.birth_family_name"),
            "name/family with qualifier BR",
        )
    })?;
    let first_given_name = with(&name.given, Some("BR")).ok_or_else(|| {
        missing(
            &format!("{T}.first_given_name"),
            "name/given with qualifier BR",
        )
    })?;
    let birth_given_names: Vec<String> = name
        .given
        .iter()
        .filter(|g| has(g, None))
        .flat_map(|g| g.value.split_whitespace())
        .map(str::to_owned)
        .collect();
    if birth_given_names.is_empty() {
        return Err(missing(
            &format!("{T}.birth_given_names"),
            "name/given without qualifier (every birth first name)",
        ));
    }
    let used_family_name = with(&name.family, Some("CL")).filter(|n| *n != birth_family_name);
    let used_given_name = with(&name.given, Some("CL")).filter(|n| *n != first_given_name);
    let gender = p
        .gender
        .as_ref()
        .and_then(|g| clean(g.code.as_ref()))
        .ok_or_else(|| missing(&format!("{T}.sex"), "administrativeGenderCode/@code"))?;
    let sex = match gender {
        "M" => Sex::M,
        "F" => Sex::F,
        "UN" => Sex::U,
        other => {
            return Err(Error::invalid(
                format!("{T}.sex"),
                "administrativeGenderCode must be M, F or UN (JDV_J143)",
                other,
            ))
        }
    };
    let birth = clean(p.birth_time.as_ref())
        .ok_or_else(|| missing(&format!("{T}.birth_date"), "birthTime/@value"))?;
    let date_part = match birth.get(..8) {
        Some(d) if birth.len() > 8 && d.bytes().all(|b| b.is_ascii_digit()) => d,
        _ => birth,
    };
    let birth_date: BirthDate = date_part
        .parse()
        .map_err(|e| reframe(e, &format!("{T}.birth_date"), birth))?;
    let birthplace_insee = match clean(p.birthplace_county.as_ref()) {
        Some(c) => Some(
            c.parse::<CodeInsee>()
                .map_err(|e| reframe(e, &format!("{T}.birthplace_insee"), c))?,
        ),
        None => None,
    };
    Ok(Traits {
        birth_family_name,
        birth_given_names,
        first_given_name,
        used_family_name,
        used_given_name,
        sex,
        birth_date,
        birthplace_insee,
    })
}

fn author_of(a: &RawAuthor, i: usize) -> Result<Author> {
    let at = format!("authors[{i}]");
    let time = time_of(a.time.as_ref(), &format!("{at}.time"), "author/time")?;
    let e = &a.assigned;
    if let Some(d) = &e.device {
        let id = idnat_of(&e.ids, &format!("{at}.id"))?;
        let name = |v: &Option<String>, f: &str, what: &str| {
            clean(v.as_ref())
                .map(str::to_owned)
                .ok_or_else(|| missing(&format!("{at}.{f}"), what))
        };
        return Ok(Author::Device {
            id,
            manufacturer_model_name: name(
                &d.manufacturer_model_name,
                "manufacturer_model_name",
                "assignedAuthoringDevice/manufacturerModelName",
            )?,
            software_name: name(
                &d.software_name,
                "software_name",
                "assignedAuthoringDevice/softwareName",
            )?,
            time,
        });
    }
    let person = person_of(e, &format!("{at}.person"))?;
    let function_code = a
        .function_code
        .as_ref()
        .and_then(|f| clean(f.code.as_ref()))
        .map(str::to_owned);
    Ok(Author::Person {
        person,
        time,
        function_code,
    })
}

fn organization_of(h: &RawHeader) -> Result<CdaOrganization> {
    const S: &str = "structure";
    let custodian = h
        .custodian
        .as_ref()
        .ok_or_else(|| missing(&format!("{S}.finess"), "custodian"))?;
    let struct_id = custodian
        .ids
        .iter()
        .find(|i| i.root.as_deref().map(str::trim) == Some(oid::STRUCT_IDNAT))
        .and_then(|i| clean(i.extension.as_ref()))
        .ok_or_else(|| {
            missing(
                &format!("{S}.finess"),
                &format!(
                    "a custodian id with root {} (Struct_IdNat)",
                    oid::STRUCT_IDNAT
                ),
            )
        })?;
    let finess = match struct_id.strip_prefix('1') {
        Some(f) => f
            .parse::<Finess>()
            .map_err(|e| reframe(e, &format!("{S}.finess"), struct_id))?,
        None => {
            return Err(Error::invalid(
                format!("{S}.finess"),
                "the custodian Struct_IdNat must be 1 + FINESS",
                struct_id,
            ))
        }
    };
    let orgs = || {
        h.authors
            .iter()
            .filter_map(|a| a.assigned.organization.as_ref())
    };
    let name = clean(custodian.name.as_ref())
        .or_else(|| orgs().find_map(|o| clean(o.name.as_ref())))
        .ok_or_else(|| missing(&format!("{S}.name"), "custodian name"))?
        .to_owned();
    let facility = h
        .encounter
        .as_ref()
        .and_then(|e| e.facility_code.as_ref())
        .ok_or_else(|| {
            missing(
                &format!("{S}.sector"),
                "encompassingEncounter/location/healthCareFacility/code",
            )
        })?;
    let sector = clean(facility.code.as_ref())
        .ok_or_else(|| missing(&format!("{S}.sector"), "healthCareFacility/code/@code"))?
        .to_owned();
    let category = facility
        .translations
        .iter()
        .find(|t| t.code_system.as_deref().map(str::trim) == Some(CATEGORY_SYSTEM))
        .and_then(|t| clean(t.code.as_ref()))
        .map(str::to_owned);
    fn sic(o: Option<&RawOrganization>) -> Option<&str> {
        o.and_then(|o| o.standard_industry_class_code.as_ref())
            .and_then(|c| clean(c.code.as_ref()))
    }
    let practice_setting = sic(h
        .service_events
        .first()
        .and_then(|s| s.performer.as_ref())
        .and_then(|p| p.organization.as_ref()))
    .or_else(|| {
        sic(h
            .legal_authenticator
            .as_ref()
            .and_then(|l| l.assigned.organization.as_ref()))
    })
    .or_else(|| orgs().find_map(|o| sic(Some(o))))
    .ok_or_else(|| {
        missing(
            &format!("{S}.practice_setting"),
            "performer/assignedEntity/representedOrganization/standardIndustryClassCode",
        )
    })?
    .to_owned();
    Ok(CdaOrganization {
        name,
        finess,
        sector,
        category,
        practice_setting,
    })
}

impl ReadDocument {
    /// Converts the raw header into the validated [`CdaHeader`], then runs
    /// [`CdaHeader::validate`]. Errors name the field of [`CdaHeader`] (e.g.
    /// `authors[0].person.idnat`), the rule, and the value as found in the XML.
    ///
    /// # Normalisations
    ///
    /// A built header reads back as itself (`to_header(read(build(h))) == h`) when `h` follows
    /// these conventions, which `to_header` applies to what it reads:
    /// - text values (names, title, codes, identifiers) are trimmed of surrounding whitespace;
    /// - the INS is the first patient id whose root is an INS OID; the IPP is the id right
    ///   after it, if any (authority = root, id = extension);
    /// - birth first names are the `given` without qualifier, each split on whitespace (a
    ///   qualifier is a set: `BR CL` counts as both);
    ///   `given@BR` is the first birth first name; `family@CL` / `given@CL` are the used names,
    ///   kept only when they differ from the birth family name / first birth first name;
    /// - a `birthTime` with a time of day keeps its date part (`YYYYMMDD`);
    /// - `service_event.performer` is `None` when the performer is the first person author (same
    ///   [`CdaPerson`], or, when the performer lacks data a [`CdaPerson`] needs, same
    ///   identifier), and also when the performer is not a person (no `assignedPerson`);
    /// - the structure is the custodian (id `1`+FINESS, name, falling back on the first author's
    ///   organisation name), with the encounter's `healthCareFacility/code` as sector, its
    ///   `translation` in TRE_R66 (`1.2.250.1.213.1.6.1.8`) as category, and the main performer's
    ///   `standardIndustryClassCode` as practice setting (falling back on the legal
    ///   authenticator's, then the authors' organisation); other organisations are not compared;
    /// - encounter dates with a `nullFlavor` are absent.
    pub fn to_header(&self) -> Result<CdaHeader> {
        self.header.to_header()
    }
}

impl RawHeader {
    /// See [`ReadDocument::to_header`].
    pub fn to_header(&self) -> Result<CdaHeader> {
        let h = self;
        let code = h
            .code
            .as_ref()
            .and_then(|c| clean(c.code.as_ref()))
            .ok_or_else(|| missing("kind", "ClinicalDocument/code/@code"))?;
        let kind = DocumentKind::from_type_code(code).ok_or_else(|| {
            Error::invalid(
                "kind",
                "type code is not one of the ESSMS document kinds",
                code,
            )
        })?;
        if let (Some(sys), Ok(concept)) = (
            h.code.as_ref().and_then(|c| clean(c.code_system.as_ref())),
            kind.type_concept(),
        ) {
            if sys != concept.system {
                return Err(Error::invalid(
                    "kind",
                    format!("type code {code} belongs to code system {}", concept.system),
                    sys,
                ));
            }
        }
        let id = plain_oid(h.id.as_ref(), "id", "ClinicalDocument/id")?;
        let set_id = plain_oid(h.set_id.as_ref(), "set_id", "setId")?;
        let version = clean(h.version_number.as_ref())
            .ok_or_else(|| missing("version_number", "versionNumber/@value"))?;
        let version_number = version
            .parse::<u32>()
            .map_err(|_| Error::invalid("version_number", "must be a positive integer", version))?;
        let replaces = match h.related_documents.as_slice() {
            [] => None,
            [r] => {
                let t = clean(r.type_code.as_ref()).unwrap_or_default();
                if t != "RPLC" {
                    return Err(Error::invalid(
                        "replaces",
                        "relatedDocument/@typeCode must be RPLC (replacement)",
                        t,
                    ));
                }
                Some(plain_oid(
                    r.parent_id.as_ref(),
                    "replaces",
                    "relatedDocument/parentDocument/id",
                )?)
            }
            more => {
                return Err(Error::invalid(
                    "replaces",
                    "at most one relatedDocument",
                    more.len().to_string(),
                ))
            }
        };
        let title = clean(h.title.as_ref())
            .ok_or_else(|| missing("title", "title"))?
            .to_owned();
        let effective_time = time_of(h.effective_time.as_ref(), "effective_time", "effectiveTime")?;
        let confidentiality = match h
            .confidentiality_code
            .as_ref()
            .and_then(|c| clean(c.code.as_ref()))
        {
            Some("N") => ConfidentialityLevel::N,
            Some("R") => ConfidentialityLevel::R,
            Some("V") => ConfidentialityLevel::V,
            Some(other) => {
                return Err(Error::invalid(
                    "confidentiality",
                    "confidentialityCode must be N, R or V",
                    other,
                ))
            }
            None => return Err(missing("confidentiality", "confidentialityCode/@code")),
        };
        let patient = patient_of(h.patient.as_ref())?;
        let authors = h
            .authors
            .iter()
            .enumerate()
            .map(|(i, a)| author_of(a, i))
            .collect::<Result<Vec<_>>>()?;
        let structure = organization_of(h)?;
        let la = h
            .legal_authenticator
            .as_ref()
            .ok_or_else(|| missing("legal_authenticator", "legalAuthenticator"))?;
        let legal_authenticator = LegalAuthenticator {
            person: person_of(&la.assigned, "legal_authenticator.person")?,
            time: time_of(
                la.time.as_ref(),
                "legal_authenticator.time",
                "legalAuthenticator/time",
            )?,
        };
        let first_person = authors.iter().find_map(|a| match a {
            Author::Person { person, .. } => Some(person),
            Author::Device { .. } => None,
        });
        let se = h
            .service_events
            .first()
            .ok_or_else(|| missing("service_event", "documentationOf/serviceEvent"))?;
        let se_time = se.effective_time.as_ref();
        let start = time_of(
            se_time.and_then(|t| t.low.as_ref()),
            "service_event.start",
            "serviceEvent/effectiveTime/low",
        )?;
        let stop = opt_time(se_time.and_then(|t| t.high.as_ref()), "service_event.stop")?;
        let performer = match &se.performer {
            Some(p) if p.person.is_some() => match person_of(p, "service_event.performer") {
                Ok(person) if Some(&person) == first_person => None,
                Ok(person) => Some(person),
                Err(e) => {
                    let same_id = idnat_of(&p.ids, "service_event.performer.idnat")
                        .ok()
                        .zip(first_person)
                        .is_some_and(|(id, a)| id == a.idnat);
                    if same_id {
                        None
                    } else {
                        return Err(e);
                    }
                }
            },
            _ => None,
        };
        let encounter = match h.encounter.as_ref().and_then(|e| e.effective_time.as_ref()) {
            Some(t) => Encounter {
                start: opt_time(t.low.as_ref(), "encounter.start")?,
                stop: opt_time(t.high.as_ref(), "encounter.stop")?,
            },
            None => Encounter::default(),
        };
        let header = CdaHeader {
            kind,
            id,
            set_id,
            version_number,
            replaces,
            title,
            effective_time,
            confidentiality,
            patient,
            authors,
            structure,
            legal_authenticator,
            service_event: ServiceEvent {
                start,
                stop,
                performer,
            },
            encounter,
        };
        header.validate()?;
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let t = parse_ts("20210401134745+0100").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-04-01T13:47:45+01:00");
        assert_eq!(
            parse_ts("202101040735-0230").unwrap().to_rfc3339(),
            "2021-01-04T07:35:00-02:30"
        );
        assert_eq!(
            parse_ts("20210401134745.25+0000").unwrap().to_rfc3339(),
            "2021-04-01T13:47:45.250+00:00"
        );
        for bad in [
            "20200701134745",
            "20190221",
            "20190221+0100",
            "2021040113474+0100",
            "20211301134745+0100",
            "20210401134745+01",
            "20210401134745+0160",
            "20210401134745+2400",
            "20210401134760+0100",
            "2021040113474a+0100",
            "20210401134745.+0100",
            "20210401 34745+0100",
            "+",
            "",
            "é",
        ] {
            assert_eq!(parse_ts(bad), None, "{bad}");
        }
    }

    #[test]
    fn reframe_keeps_rule_and_names_path() {
        let e = "801234534765".parse::<IdNatPs>().unwrap_err();
        let e = reframe(e, "authors[0].person.idnat", "801234534765");
        let inv = e.as_invalid().unwrap();
        assert_eq!(inv.field, "authors[0].person.idnat");
        assert_eq!(inv.value, "801234534765");
        assert!(inv.rule.contains("rpps"), "{}", inv.rule);
    }
}
