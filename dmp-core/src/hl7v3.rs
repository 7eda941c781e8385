//! HL7 v3 patient services of the DMP (service `patients`): TD0.2, test of existence of a DMP
//! and of the professional's authorisation, and TD1.3a, reading its administrative data. Both
//! are the query `PRPA_IN201307UV02` ([`PatientQuery::to_xml`], told apart by their
//! `reasonCode`) answered by `PRPA_IN201308UV02` ([`PatientStatus::parse`]).
//!
//! # The query
//!
//! The body of the official TD0.2 request, with every id an input. Identifier roots: the
//! official request names the sender device `1.3.6.1.4.1.48364` (the LPS's OID), its message
//! id root `1.3.6.1.4.1.48364.1.1` and its query id root `1.3.6.1.4.1.48364.2`; we take the
//! LPS OID ([`PatientQuery::sender`]) and derive the two others the same way
//! (`<sender>.1.1`, `<sender>.2`), so that one OID identifies the software. Differences from
//! the official request: no `xsi:nil` `attentionLine` nor `dataSource` (optional elements that
//! say nothing), the default namespace only (the official request also binds `urn:` to it).
//!
//! # The answer (what is inferred, dmp-interface.md §5 "TD0.2 response content")
//!
//! - **No DMP**: HL7 v3 query responses say `queryAck/queryResponseCode` `OK` (data found) or
//!   `NF` (nothing found), and an `NF` answer carries no `registrationEvent`. We read "no DMP"
//!   as `NF` or no patient ([`PatientStatus::exists`] false); the Dehempe client, which ran
//!   against the DMP test platform, reads `NF` as "the DMP does not exist" too. `AE`/`QE` (or
//!   an acknowledgement other than `AA`/`CA`) is an error of the DMP ([`PatientStatus::error`]).
//! - **Closed DMP**: the patient's `statusCode` is `terminated`, as the official TD1.4 (close)
//!   request and response write it; it still exists. The closure date, cause and reason
//!   (ANS EEDS IG, TD0.2 output) are read where the HL7 v3 model puts them: the patient's
//!   `effectiveTime` (`high`, else `@value`), and the `controlActProcess/reasonOf/
//!   detectedIssueEvent` `code` (cause, code system `1.2.250.1.213.4.1.2.4`, as in the TD1.4
//!   request: `FERMETURE_DEMANDE_PATIENT`) and `text` (reason). Not seen in a sample.
//! - **Flags**: every `attentionLine` (`AUTORISATION`, `STATUT_MT`…) and every
//!   `administrativeObservation` (`COMPTE_INTERNET_OUVERT`, `RATTACHEMENT_ENS`, TD1.3a's
//!   `OPPOSITION_BRIS_DE_GLACE` and `OPPOSITION_ACCES_URGENCE`…) is kept verbatim in
//!   [`PatientStatus::attention_lines`] and [`PatientStatus::observations`]; the known ones
//!   are also typed. `AUTORISATION` values besides `VALIDE` (`EXPIRE`, `INTERDIT`,
//!   `NON_EXISTE`) come from a public DMP client (MagicEAI), not from a sample. The DMP
//!   writes an unqualified `xsi:type="CV"`/`"BL"` (no HL7 prefix): the type is kept as
//!   written and the value read from `@code`/`@value` whatever the type says.
//!
//! Integration tests: hl7v3.

use chrono::{DateTime, Utc};

use crate::cda::{raw_code, raw_id, raw_interval, raw_name, RawCode, RawId, RawName, HL7_NS};
use crate::error::{DmpError, DmpErrorDetail, Error, Result};
use crate::ids::{Ins, Oid};
use crate::xds::xds_time;
use crate::xml::reader::{self, Element, Limits};
use crate::xml::writer::{check_chars, XmlWriter};

const SOURCE: &str = "PRPA_IN201308UV02";

/// `interactionId/@root` of HL7 v3 interactions (official TD0.2 request).
pub const INTERACTION_ID_ROOT: &str = "2.16.840.1.113883.1.6";
/// Interaction of the query (TD0.2, TD1.3a).
pub const QUERY_INTERACTION: &str = "PRPA_IN201307UV02";
/// Interaction of the answer.
pub const RESPONSE_INTERACTION: &str = "PRPA_IN201308UV02";
/// Code system of the `reasonCode`s of the DMP patient services (official TD0.2 request).
pub const REASON_CODE_SYSTEM: &str = "1.2.250.1.213.1.1.4.11";
/// `device/id/@root` of the DMP (receiver of the query, sender of the answer).
pub const DMP_DEVICE_ID: &str = "1.2.250.1.213.4.1.1.1";
/// `device/softwareName` of the DMP (official TD0.2 request).
pub const DMP_SOFTWARE_NAME: &str = "DMP";
/// `queryResponseCode` of an answer that found the patient's DMP.
pub const QUERY_RESPONSE_FOUND: &str = "OK";
/// `queryResponseCode` of an answer that found no DMP.
pub const QUERY_RESPONSE_NOT_FOUND: &str = "NF";
/// Patient `statusCode` of a closed DMP (official TD1.4 request and response).
pub const STATUS_TERMINATED: &str = "terminated";
/// `attentionLine` key: the professional's authorisation on the DMP (code system
/// `1.2.250.1.213.4.1.2.6.1`, values `1.2.250.1.213.4.1.2.6.2`; official TD0.2 response).
pub const KEY_AUTORISATION: &str = "AUTORISATION";
/// `attentionLine` key: whether the professional is the patient's médecin traitant DMP (BL).
pub const KEY_STATUT_MT: &str = "STATUT_MT";
/// Observation: the patient's internet account is open (BL, official TD0.2 response).
pub const OBS_COMPTE_INTERNET_OUVERT: &str = "COMPTE_INTERNET_OUVERT";
/// Observation: the DMP is attached to Mon espace santé (BL, official TD0.2 response).
pub const OBS_RATTACHEMENT_ENS: &str = "RATTACHEMENT_ENS";
/// Observation: the patient refuses bris-de-glace access (BL, official TD1.3a response).
pub const OBS_OPPOSITION_BRIS_DE_GLACE: &str = "OPPOSITION_BRIS_DE_GLACE";
/// Observation: the patient refuses emergency (centre 15) access (BL, official TD1.3a response).
pub const OBS_OPPOSITION_ACCES_URGENCE: &str = "OPPOSITION_ACCES_URGENCE";

/// Longest software name we write (the `softwareName` is an HL7 `SC`; the DMP shows it).
const SOFTWARE_NAME_MAX: usize = 100;

/// Why the DMP is queried: the `reasonCode` of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryReason {
    /// TD0.2 `TEST_EXST`: does the DMP exist, is the professional authorised.
    TestExistence,
    /// TD1.3a `CNSLT_DATA`: the administrative data of the DMP (opposition flags included).
    AdministrativeData,
}

impl QueryReason {
    /// The `reasonCode/@code`.
    pub fn code(self) -> &'static str {
        match self {
            QueryReason::TestExistence => "TEST_EXST",
            QueryReason::AdministrativeData => "CNSLT_DATA",
        }
    }

    /// The `reasonCode/@displayName`, as the official requests write it.
    pub fn display_name(self) -> &'static str {
        match self {
            QueryReason::TestExistence => "Test d'existence de dossier",
            QueryReason::AdministrativeData => "Consultation des données de gestion de dossier",
        }
    }
}

/// HL7 `processingCode`: which kind of system the message is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingCode {
    /// `P`: production (the official C# kit).
    Production,
    /// `D`: debugging (the official TD0.2 request).
    Debugging,
    /// `T`: training.
    Training,
}

impl ProcessingCode {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            ProcessingCode::Production => "P",
            ProcessingCode::Debugging => "D",
            ProcessingCode::Training => "T",
        }
    }
}

/// A TD0.2 / TD1.3a query for one patient's DMP. Every id and the time are inputs: the same
/// value gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PatientQuery {
    /// The patient's INS (from INSi).
    pub ins: Ins,
    /// TD0.2 or TD1.3a.
    pub reason: QueryReason,
    /// The message id: a UUID, the `extension` of `id` (the answer's acknowledgement names it).
    pub message_id: String,
    /// The query id: a UUID, the `extension` of `queryId` (the answer's `queryAck` names it).
    pub query_id: String,
    /// The OID of the software (LPS): the sender device id, and the root of the message and
    /// query ids ([`message_id_root`](Self::message_id_root),
    /// [`query_id_root`](Self::query_id_root)). At most 60 characters.
    pub sender: Oid,
    /// The sender device's `softwareName`.
    pub software_name: String,
    /// `creationTime`, written in UTC `yyyyMMddHHmmss`.
    pub creation_time: DateTime<Utc>,
    /// `processingCode`.
    pub processing_code: ProcessingCode,
}

impl PatientQuery {
    /// `<sender>.1.1`: the root of the message id (as the official request: sender
    /// `1.3.6.1.4.1.48364`, message id root `1.3.6.1.4.1.48364.1.1`).
    pub fn message_id_root(&self) -> Result<Oid> {
        self.sender
            .child(1)
            .and_then(|o| o.child(1))
            .map_err(|e| e.renamed("sender"))
    }

    /// `<sender>.2`: the root of the query id (official request: `1.3.6.1.4.1.48364.2`).
    pub fn query_id_root(&self) -> Result<Oid> {
        self.sender.child(2).map_err(|e| e.renamed("sender"))
    }

    /// The `PRPA_IN201307UV02` element for the SOAP Body (no XML declaration; it declares its
    /// default namespace). Errors name the field: `message_id`/`query_id` not a hyphenated
    /// UUID, `sender` too long to derive the id roots, `software_name` empty, padded, longer
    /// than 100 characters or holding characters XML forbids, `creation_time` out of range.
    ///
    /// ```
    /// use dmp_core::hl7v3::{PatientQuery, ProcessingCode, QueryReason};
    /// use dmp_core::ids::Ins;
    /// let q = PatientQuery {
    ///     ins: Ins::parse("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
    ///     reason: QueryReason::TestExistence,
    ///     message_id: "1633a409-3d61-4869-aed8-74d92ae20272".into(),
    ///     query_id: "87d5fd8f-72b2-43bf-938c-0402bf850d25".into(),
    ///     sender: "1.3.6.1.4.1.48364".parse().unwrap(),
    ///     software_name: "LPS GIE-SV".into(),
    ///     creation_time: "2021-05-19T17:45:07Z".parse().unwrap(),
    ///     processing_code: ProcessingCode::Debugging,
    /// };
    /// let xml = String::from_utf8(q.to_xml().unwrap()).unwrap();
    /// assert!(xml.contains(r#"<reasonCode code="TEST_EXST" codeSystem="1.2.250.1.213.1.1.4.11""#));
    /// assert!(xml.contains(r#"<value root="1.2.250.1.213.1.4.10" extension="207058575627097"/>"#));
    /// ```
    pub fn to_xml(&self) -> Result<Vec<u8>> {
        check_uuid("message_id", &self.message_id)?;
        check_uuid("query_id", &self.query_id)?;
        check_software_name(&self.software_name)?;
        let message_root = self.message_id_root()?;
        let query_root = self.query_id_root()?;
        let time = xds_time("creation_time", &self.creation_time)?;
        let reason = self.reason;
        let mut w = XmlWriter::new();
        w.elem(
            "PRPA_IN201307UV02",
            &[("xmlns", HL7_NS), ("ITSVersion", "XML_1.0")],
            |w| {
                w.empty(
                    "id",
                    &[
                        ("root", message_root.as_str()),
                        ("extension", &self.message_id),
                    ],
                )?;
                w.empty("creationTime", &[("value", &time)])?;
                w.empty(
                    "interactionId",
                    &[
                        ("root", INTERACTION_ID_ROOT),
                        ("extension", QUERY_INTERACTION),
                    ],
                )?;
                w.empty("processingCode", &[("code", self.processing_code.code())])?;
                // T: current processing; AL: always acknowledge (official request).
                w.empty("processingModeCode", &[("code", "T")])?;
                w.empty("acceptAckCode", &[("code", "AL")])?;
                device(w, "receiver", "RCV", DMP_DEVICE_ID, DMP_SOFTWARE_NAME)?;
                device(
                    w,
                    "sender",
                    "SND",
                    self.sender.as_str(),
                    &self.software_name,
                )?;
                w.elem(
                    "controlActProcess",
                    &[("classCode", "CACT"), ("moodCode", "EVN")],
                    |w| {
                        w.empty(
                            "reasonCode",
                            &[
                                ("code", reason.code()),
                                ("codeSystem", REASON_CODE_SYSTEM),
                                ("displayName", reason.display_name()),
                            ],
                        )?;
                        w.elem("queryByParameter", &[], |w| {
                            w.empty(
                                "queryId",
                                &[("root", query_root.as_str()), ("extension", &self.query_id)],
                            )?;
                            w.empty("statusCode", &[("code", "new")])?;
                            w.elem("parameterList", &[], |w| {
                                w.elem("patientIdentifier", &[], |w| {
                                    w.empty(
                                        "value",
                                        &[
                                            ("root", self.ins.oid()),
                                            ("extension", self.ins.matricule().as_str()),
                                        ],
                                    )?;
                                    w.leaf("semanticsText", &[], "Patient.id")
                                })
                            })
                        })
                    },
                )
            },
        )?;
        w.finish()
    }
}

fn device(
    w: &mut XmlWriter,
    role: &'static str,
    type_code: &str,
    id: &str,
    software_name: &str,
) -> Result<()> {
    w.elem(role, &[("typeCode", type_code)], |w| {
        w.elem(
            "device",
            &[("classCode", "DEV"), ("determinerCode", "INSTANCE")],
            |w| {
                w.empty("id", &[("root", id)])?;
                w.leaf("softwareName", &[], software_name)
            },
        )
    })
}

/// A hyphenated UUID (any case), as the official requests' message and query ids.
fn check_uuid(field: &str, id: &str) -> Result<()> {
    if id.len() == 36 && uuid::Uuid::try_parse(id).is_ok() {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        "must be a UUID in hyphenated form (8-4-4-4-12 hexadecimal digits)",
        id,
    ))
}

fn check_software_name(name: &str) -> Result<()> {
    const FIELD: &str = "software_name";
    if name.trim().is_empty() || name.trim() != name {
        return Err(Error::invalid(
            FIELD,
            "must not be empty nor start or end with whitespace",
            name,
        ));
    }
    if name.chars().count() > SOFTWARE_NAME_MAX {
        return Err(Error::invalid(
            FIELD,
            format!("must be at most {SOFTWARE_NAME_MAX} characters"),
            name,
        ));
    }
    check_chars(FIELD, name)
}

// ---------------------------------------------------------------------------------------------
// The answer.

open_code_enum! {
    /// HL7 `AcknowledgementType`: did the DMP accept the message (any other code counts as
    /// not accepted).
    pub enum AckType {
        /// `AA`: application accept.
        ApplicationAccept = "AA",
        /// `AE`: application error.
        ApplicationError = "AE",
        /// `AR`: application reject.
        ApplicationReject = "AR",
        /// `CA`: commit accept.
        CommitAccept = "CA",
        /// `CE`: commit error.
        CommitError = "CE",
        /// `CR`: commit reject.
        CommitReject = "CR",
    }
}

impl AckType {
    /// `AA` or `CA`.
    pub fn is_accept(&self) -> bool {
        matches!(self, AckType::ApplicationAccept | AckType::CommitAccept)
    }
}

/// One `acknowledgementDetail`, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AckDetail {
    /// `@typeCode` (`E` error, `W` warning, `I` information).
    pub type_code: Option<String>,
    /// `code`.
    pub code: Option<RawCode>,
    /// `text`.
    pub text: Option<String>,
    /// `location`s.
    pub locations: Vec<String>,
}

/// The message's `acknowledgement`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ack {
    /// `@typeCode`.
    pub type_code: AckType,
    /// `targetMessage/id`: the id of our query.
    pub target_message: Option<RawId>,
    /// Every `acknowledgementDetail`, in order.
    pub details: Vec<AckDetail>,
}

open_code_enum! {
    /// The professional's authorisation on the DMP (`attentionLine AUTORISATION`).
    pub enum AuthorizationStatus {
        /// `VALIDE`: authorised.
        Valide = "VALIDE",
        /// `EXPIRE`: the authorisation has expired.
        Expire = "EXPIRE",
        /// `INTERDIT`: the patient has blocked this professional.
        Interdit = "INTERDIT",
        /// `NON_EXISTE`: no authorisation.
        NonExiste = "NON_EXISTE",
    }
}

/// One flag of the answer (an `attentionLine`, an `administrativeObservation`), verbatim, so
/// that flags this library does not know are never lost.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Flag {
    /// `keyWordText/@code` or `code/@code` (empty when absent).
    pub code: String,
    /// Its `@codeSystem`.
    pub code_system: Option<String>,
    /// Its `@displayName`.
    pub display_name: Option<String>,
    /// `value/@xsi:type` as written (`CV`, `BL`).
    pub value_type: Option<String>,
    /// `value/@value` (a `BL`: `true`/`false`).
    pub value: Option<String>,
    /// `value/@code` (a `CV`: `VALIDE`).
    pub value_code: Option<String>,
    /// `value/@codeSystem`.
    pub value_code_system: Option<String>,
}

impl Flag {
    /// `value/@value` as a boolean, when it is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value.as_deref().map(str::trim) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        }
    }

    fn read(code: Option<Element<'_>>, value: Option<Element<'_>>) -> Flag {
        let a =
            |e: Option<Element<'_>>, name: &str| e.and_then(|e| e.attr(name)).map(str::to_owned);
        let value_type = value.and_then(|v| {
            v.attributes()
                .find(|(n, _)| n.rsplit_once(':').is_some_and(|(_, l)| l == "type"))
                .map(|(_, t)| t.to_owned())
        });
        Flag {
            code: a(code, "code")
                .or_else(|| code.map(|c| c.text().trim().to_owned()))
                .unwrap_or_default(),
            code_system: a(code, "codeSystem"),
            display_name: a(code, "displayName"),
            value_type,
            value: a(value, "value"),
            value_code: a(value, "code"),
            value_code_system: a(value, "codeSystem"),
        }
    }
}

/// How and why a closed DMP was closed (see the [module documentation](self): inferred).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Closure {
    /// The closure date as written (HL7 `TS`), from the patient's `effectiveTime`.
    pub date: Option<String>,
    /// The cause (`FERMETURE_DEMANDE_PATIENT`…), from `reasonOf/detectedIssueEvent/code`.
    pub cause: Option<RawCode>,
    /// The reason in words, from `reasonOf/detectedIssueEvent/text`.
    pub reason: Option<String>,
}

/// A `telecom` of the patient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Telecom {
    /// `@value` (`tel:…`, `mailto:…`).
    pub value: Option<String>,
    /// `@use` (`MC` mobile, `HP` home…).
    pub use_code: Option<String>,
}

/// The DMP's answer to TD0.2 / TD1.3a: whether the DMP exists, is closed, what the
/// professional may do, the patient as the DMP knows them, and every flag verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatientStatus {
    /// The acknowledgement of our query.
    pub acknowledgement: Ack,
    /// `queryAck/queryResponseCode` (`OK`, `NF`, `AE`, `QE`), verbatim.
    pub query_response_code: Option<String>,
    /// `controlActProcess/reasonCode/@code` (`TEST_EXST`, `CNSLT_DATA`).
    pub reason_code: Option<String>,
    /// Whether the patient has a DMP (closed ones included): the query was accepted, the
    /// answer carries the patient and its `queryResponseCode` is not `NF`.
    pub exists: bool,
    /// The patient's `statusCode` (`active`, `terminated`), verbatim.
    pub status_code: Option<String>,
    /// Set when the DMP is closed (`statusCode` `terminated`).
    pub closed: Option<Closure>,
    /// `AUTORISATION`: the professional's authorisation.
    pub authorization: Option<AuthorizationStatus>,
    /// `STATUT_MT`: whether the professional is the patient's médecin traitant DMP.
    pub medecin_traitant: Option<bool>,
    /// `COMPTE_INTERNET_OUVERT`.
    pub internet_account_open: Option<bool>,
    /// `RATTACHEMENT_ENS`: the DMP is attached to Mon espace santé.
    pub attached_to_mon_espace_sante: Option<bool>,
    /// `OPPOSITION_BRIS_DE_GLACE` (TD1.3a).
    pub opposition_bris_de_glace: Option<bool>,
    /// `OPPOSITION_ACCES_URGENCE` (TD1.3a).
    pub opposition_acces_urgence: Option<bool>,
    /// The patient's `id`s (INS, legacy INS-C…), in order.
    pub patient_ids: Vec<RawId>,
    /// `patientPerson/name`s.
    pub names: Vec<RawName>,
    /// `administrativeGenderCode/@code`.
    pub gender: Option<String>,
    /// `birthTime/@value` as written (`19070525`).
    pub birth_date: Option<String>,
    /// `patientPerson/telecom`s.
    pub telecoms: Vec<Telecom>,
    /// Every `attentionLine` with a key, in order.
    pub attention_lines: Vec<Flag>,
    /// Every `patient/subjectOf/administrativeObservation`, in order.
    pub observations: Vec<Flag>,
}

impl PatientStatus {
    /// Reads the `PRPA_IN201308UV02` of `xml`: a whole SOAP envelope or the bare element.
    ///
    /// Errors ([`Error::Data`], source `PRPA_IN201308UV02` or `xml`): input the hardened reader
    /// refuses, no `PRPA_IN201308UV02` in the HL7 v3 namespace, no `acknowledgement` or one
    /// without `typeCode`. Anything else is read leniently and kept verbatim.
    pub fn parse(xml: &[u8]) -> Result<PatientStatus> {
        let doc = reader::parse(xml, &Limits::default())?;
        let msg = doc
            .elements()
            .find(|e| e.is(HL7_NS, RESPONSE_INTERACTION))
            .ok_or_else(|| {
                Error::data(
                    SOURCE,
                    0,
                    format!("no {RESPONSE_INTERACTION} element in the namespace {HL7_NS}"),
                )
            })?;
        let acknowledgement = read_ack(msg)?;
        let cap = ch(msg, "controlActProcess");
        let query_response_code = cap
            .and_then(|c| c.path(HL7_NS, &["queryAck", "queryResponseCode"]))
            .and_then(|e| e.attr("code"))
            .map(str::to_owned);
        let patient = cap.and_then(|c| {
            c.path(
                HL7_NS,
                &["subject", "registrationEvent", "subject1", "patient"],
            )
        });
        let person = patient.and_then(|p| ch(p, "patientPerson"));
        let attention_lines: Vec<Flag> = msg
            .children_named(HL7_NS, "attentionLine")
            .filter_map(|l| {
                let (k, v) = (ch(l, "keyWordText"), ch(l, "value"));
                (k.is_some() || v.is_some()).then(|| Flag::read(k, v))
            })
            .collect();
        let observations: Vec<Flag> = patient
            .into_iter()
            .flat_map(|p| p.children_named(HL7_NS, "subjectOf"))
            .filter_map(|s| ch(s, "administrativeObservation"))
            .map(|o| Flag::read(ch(o, "code"), ch(o, "value")))
            .collect();
        let status_code = patient
            .and_then(|p| ch(p, "statusCode"))
            .and_then(|s| s.attr("code"))
            .map(str::to_owned);
        let closed = (status_code.as_deref() == Some(STATUS_TERMINATED)).then(|| {
            let issue = cap.and_then(|c| c.path(HL7_NS, &["reasonOf", "detectedIssueEvent"]));
            let time = patient
                .and_then(|p| ch(p, "effectiveTime"))
                .map(raw_interval);
            Closure {
                date: time.and_then(|t| t.high.and_then(|h| h.value).or(t.value)),
                cause: issue.and_then(|i| ch(i, "code")).map(raw_code),
                reason: issue
                    .and_then(|i| ch(i, "text"))
                    .map(|t| t.text().trim().to_owned()),
            }
        });
        let flag = |list: &[Flag], key: &str| list.iter().find(|f| f.code == key).cloned();
        let bool_of = |list: &[Flag], key: &str| flag(list, key).and_then(|f| f.as_bool());
        let exists = acknowledgement.type_code.is_accept()
            && patient.is_some()
            && query_response_code.as_deref() != Some(QUERY_RESPONSE_NOT_FOUND);
        Ok(PatientStatus {
            query_response_code,
            reason_code: cap
                .and_then(|c| ch(c, "reasonCode"))
                .and_then(|r| r.attr("code"))
                .map(str::to_owned),
            exists,
            status_code,
            closed,
            authorization: flag(&attention_lines, KEY_AUTORISATION)
                .and_then(|f| f.value_code)
                .map(|c| AuthorizationStatus::from_code(&c)),
            medecin_traitant: bool_of(&attention_lines, KEY_STATUT_MT),
            internet_account_open: bool_of(&observations, OBS_COMPTE_INTERNET_OUVERT),
            attached_to_mon_espace_sante: bool_of(&observations, OBS_RATTACHEMENT_ENS),
            opposition_bris_de_glace: bool_of(&observations, OBS_OPPOSITION_BRIS_DE_GLACE),
            opposition_acces_urgence: bool_of(&observations, OBS_OPPOSITION_ACCES_URGENCE),
            patient_ids: patient
                .map(|p| chs(p, "id").map(raw_id).collect())
                .unwrap_or_default(),
            names: person
                .map(|p| chs(p, "name").map(raw_name).collect())
                .unwrap_or_default(),
            gender: person
                .and_then(|p| ch(p, "administrativeGenderCode"))
                .and_then(|g| g.attr("code"))
                .map(str::to_owned),
            birth_date: person
                .and_then(|p| ch(p, "birthTime"))
                .and_then(|b| b.attr("value"))
                .map(str::to_owned),
            telecoms: person
                .map(|p| {
                    chs(p, "telecom")
                        .map(|t| Telecom {
                            value: t.attr("value").map(str::to_owned),
                            use_code: t.attr("use").map(str::to_owned),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            acknowledgement,
            attention_lines,
            observations,
        })
    }

    /// The patient's INS: the first `id` whose root is an INS OID and whose extension is a
    /// valid matricule (the legacy INS-C is skipped).
    pub fn ins(&self) -> Option<Ins> {
        self.patient_ids.iter().find_map(RawId::ins)
    }

    /// The DMP's error, when it did not accept the query (`acknowledgement` other than
    /// `AA`/`CA`) or answered `queryResponseCode` `AE` or `QE`: the codes and texts verbatim.
    /// `NF` (no DMP) is an answer, not an error.
    pub fn error(&self) -> Option<DmpError> {
        let code = if !self.acknowledgement.type_code.is_accept() {
            self.acknowledgement.type_code.code()
        } else {
            match self.query_response_code.as_deref() {
                Some(c @ ("AE" | "QE")) => c,
                _ => return None,
            }
        };
        Some(DmpError {
            source: SOURCE.to_owned(),
            code: code.to_owned(),
            details: self
                .acknowledgement
                .details
                .iter()
                .map(|d| DmpErrorDetail {
                    code: d.code.as_ref().and_then(|c| c.code.clone()),
                    text: d.text.clone(),
                })
                .collect(),
        })
    }
}

fn ch<'d>(e: Element<'d>, local: &str) -> Option<Element<'d>> {
    e.child(HL7_NS, local)
}

fn chs<'d>(e: Element<'d>, local: &'static str) -> impl Iterator<Item = Element<'d>> {
    e.children_named(HL7_NS, local)
}

fn read_ack(msg: Element<'_>) -> Result<Ack> {
    let ack = ch(msg, "acknowledgement").ok_or_else(|| {
        Error::data(
            SOURCE,
            msg.line(),
            format!("{RESPONSE_INTERACTION} has no acknowledgement"),
        )
    })?;
    let type_code = ack
        .attr("typeCode")
        .ok_or_else(|| Error::data(SOURCE, ack.line(), "acknowledgement without typeCode"))?;
    Ok(Ack {
        type_code: AckType::from_code(type_code.trim()),
        target_message: ack.path(HL7_NS, &["targetMessage", "id"]).map(raw_id),
        details: chs(ack, "acknowledgementDetail")
            .map(|d| AckDetail {
                type_code: d.attr("typeCode").map(str::to_owned),
                code: ch(d, "code").map(raw_code),
                text: ch(d, "text").map(|t| t.text().trim().to_owned()),
                locations: chs(d, "location")
                    .map(|l| l.text().trim().to_owned())
                    .collect(),
            })
            .collect(),
    })
}
