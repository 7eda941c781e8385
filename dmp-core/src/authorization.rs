//! The DMP's proprietary authorisation services (not the habilitation matrix, which is
//! [`crate::habilitation`]):
//!
//! - TD0.3, update of the professional's authorisation on a DMP ([`set_authorization_xml`],
//!   service `habilitations`), answered by a [`ServiceStatus`];
//! - TD0.4, list of the DMPs the professional is authorised on ([`PatientListQuery`], service
//!   `patientsSpecific`), answered by [`AuthorizedPatients`];
//! - TD1.6, professionals authorised or blocked on a DMP ([`list_authorization_by_patient_xml`],
//!   service `habilitations`), answered by [`AuthorizedProfessionals`].
//!
//! Element names and enumerations are those of the schemas embedded in `Habilitations.wsdl`
//! and `PatientsSpecific.wsdl` (DMP WSDL annex v2.01.04) and of the official TD0.3, TD0.4 and
//! TD1.6 messages. Every answer carries `output/status`: `DMPOk`, or anything else, which is
//! an error of the DMP ([`ServiceStatus::error`], codes and texts verbatim). Dates of the
//! answers are kept as written (`yyyyMMddHHmmss`; the services do not say their time zone).
//!
//! Integration tests: authorization.

use chrono::{DateTime, Utc};

use crate::cda::RawId;
use crate::error::{DmpError, DmpErrorDetail, Error, Result};
use crate::ids::Ins;
use crate::xds::xds_time;
use crate::xml::reader::{self, Element, Limits};
use crate::xml::writer::XmlWriter;

/// Namespace of the habilitations service: TD0.3, TD1.6 (`Habilitations.wsdl`).
pub const NS_HABILITATIONS: &str = "urn:si-dmp-habilitations";
/// Namespace of the patient-specific service: TD0.4 (`PatientsSpecific.wsdl`).
pub const NS_PATIENTS: &str = "urn:si-dmp-patients";
/// `output/status` of a request the DMP carried out (official TD0.3, TD0.4, TD1.6 answers).
pub const STATUS_OK: &str = "DMPOk";
/// `roleType` of `Habilitations.wsdl`: the médecin traitant DMP.
pub const ROLE_MEDECIN_TRAITANT: &str = "MEDECIN_TRAITANT";

/// TD0.3: what to change in the professional's authorisation on the patient's DMP
/// (`setAuthorization/action` and `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationAction {
    /// `AJOUT`: declare oneself authorised.
    Add,
    /// `SUPPRESSION`: remove one's authorisation.
    Remove,
    /// `SUPPRESSION` with role `MEDECIN_TRAITANT`: stop being the médecin traitant DMP, keeping
    /// the authorisation (the role/action pairing is inferred from the schema and a public
    /// DMP client; the official example only shows `AJOUT`).
    RemoveAsMedecinTraitant,
}

impl AuthorizationAction {
    /// `action` (`actionType`: `AJOUT`, `SUPPRESSION`).
    pub fn action(self) -> &'static str {
        match self {
            AuthorizationAction::Add => "AJOUT",
            AuthorizationAction::Remove | AuthorizationAction::RemoveAsMedecinTraitant => {
                "SUPPRESSION"
            }
        }
    }

    /// `role` (`roleType`), if any.
    pub fn role(self) -> Option<&'static str> {
        match self {
            AuthorizationAction::RemoveAsMedecinTraitant => Some(ROLE_MEDECIN_TRAITANT),
            AuthorizationAction::Add | AuthorizationAction::Remove => None,
        }
    }
}

/// The `setAuthorization` element of TD0.3 for the SOAP Body (it declares its default
/// namespace, no XML declaration).
///
/// ```
/// use dmp_core::authorization::{set_authorization_xml, AuthorizationAction};
/// let xml = set_authorization_xml(AuthorizationAction::Add).unwrap();
/// assert_eq!(
///     String::from_utf8(xml).unwrap(),
///     "<setAuthorization xmlns=\"urn:si-dmp-habilitations\">\n  <action>AJOUT</action>\n</setAuthorization>\n"
/// );
/// ```
pub fn set_authorization_xml(action: AuthorizationAction) -> Result<Vec<u8>> {
    let mut w = XmlWriter::new();
    w.elem("setAuthorization", &[("xmlns", NS_HABILITATIONS)], |w| {
        w.leaf("action", &[], action.action())?;
        match action.role() {
            Some(role) => w.leaf("role", &[], role),
            None => Ok(()),
        }
    })?;
    w.finish()
}

/// TD1.6: which professionals to list (`modeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListMode {
    /// `ACTIVE`: the authorised ones.
    Active,
    /// `INTERDITE`: the ones the patient has blocked.
    Interdite,
    /// `TOUTE`: both (the official example).
    Toute,
}

impl ListMode {
    /// The `modeType` value.
    pub fn code(self) -> &'static str {
        match self {
            ListMode::Active => "ACTIVE",
            ListMode::Interdite => "INTERDITE",
            ListMode::Toute => "TOUTE",
        }
    }
}

/// The `listAuthorizationByPatient` element of TD1.6 for the SOAP Body.
pub fn list_authorization_by_patient_xml(mode: ListMode) -> Result<Vec<u8>> {
    let mut w = XmlWriter::new();
    w.elem(
        "listAuthorizationByPatient",
        &[("xmlns", NS_HABILITATIONS)],
        |w| w.leaf("mode", &[], mode.code()),
    )?;
    w.finish()
}

/// TD0.4: which date [`PatientListQuery::start_date`] applies to (`dateTypeEnum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateType {
    /// `LASTDOC`: DMPs with a document added since the date (the official example).
    LastDoc,
    /// `LASTAUTORIZATION` (sic): DMPs whose authorisation was given since the date; with an
    /// establishment certificate only this one (dmp-interface.md §6).
    LastAuthorization,
}

impl DateType {
    /// The `dateTypeEnum` value, spelt as the WSDL spells it.
    pub fn code(self) -> &'static str {
        match self {
            DateType::LastDoc => "LASTDOC",
            DateType::LastAuthorization => "LASTAUTORIZATION",
        }
    }
}

/// TD0.4: the DMPs the professional is authorised on, changed since a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PatientListQuery {
    /// `startDate`, written in UTC `yyyyMMddHHmmss`.
    pub start_date: DateTime<Utc>,
    /// `dateType`.
    pub date_type: DateType,
}

impl PatientListQuery {
    /// The `patientList` element for the SOAP Body (it declares its default namespace).
    pub fn to_xml(&self) -> Result<Vec<u8>> {
        let start = xds_time("start_date", &self.start_date)?;
        let mut w = XmlWriter::new();
        w.elem("patientList", &[("xmlns", NS_PATIENTS)], |w| {
            w.leaf("startDate", &[], &start)?;
            w.leaf("dateType", &[], self.date_type.code())
        })?;
        w.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Answers.

/// `output/status` and `output/context` of an answer, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceStatus {
    /// The answer's element (`setAuthorizationResponse`, `patientListResponse`…).
    pub response: String,
    /// `status`: `DMPOk` or the DMP's error code.
    pub status: String,
    /// `context`: the DMP's explanation (for example "Autorisation déjà présente aucune action
    /// effectuée"), when not empty.
    pub context: Option<String>,
}

impl ServiceStatus {
    /// Reads the answer to TD0.3 (`setAuthorizationResponse`), in a SOAP envelope or bare.
    ///
    /// Errors ([`Error::Data`]): input the hardened reader refuses, no such element in the
    /// habilitations namespace, no `output/status`.
    pub fn parse(xml: &[u8]) -> Result<ServiceStatus> {
        let doc = reader::parse(xml, &Limits::default())?;
        let (_, status) = output(&doc, NS_HABILITATIONS, "setAuthorizationResponse")?;
        Ok(status)
    }

    /// Whether the DMP carried the request out (`DMPOk`).
    pub fn is_ok(&self) -> bool {
        self.status == STATUS_OK
    }

    /// The DMP's error when the status is not `DMPOk`: the status and the context verbatim.
    pub fn error(&self) -> Option<DmpError> {
        (!self.is_ok()).then(|| DmpError {
            source: self.response.clone(),
            code: self.status.clone(),
            details: self
                .context
                .iter()
                .map(|c| DmpErrorDetail {
                    code: None,
                    text: Some(c.clone()),
                })
                .collect(),
        })
    }
}

/// One DMP of the TD0.4 answer (`patientlistData`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorizedPatient {
    /// `patientIdentifier`s: `nationalIdType` as root, `nationalId` as extension (the INS and
    /// the legacy INS-C).
    pub ids: Vec<RawId>,
    /// `lastName`.
    pub last_name: Option<String>,
    /// `patronymicalName` (birth name).
    pub patronymical_name: Option<String>,
    /// `firstName`.
    pub first_name: Option<String>,
    /// `civility`.
    pub civility: Option<String>,
    /// `dateOfBirth` as written (`yyyyMMdd`).
    pub birth_date: Option<String>,
    /// `MT`: the professional is the patient's médecin traitant DMP.
    pub medecin_traitant: bool,
    /// `message`, as the DMP gives it (meaning not documented).
    pub message: bool,
    /// `lastAccessDate` as written.
    pub last_access_date: Option<String>,
    /// `lastUpdateDate` as written.
    pub last_update_date: Option<String>,
    /// `lastAddDate` as written (last document added).
    pub last_add_date: Option<String>,
}

impl AuthorizedPatient {
    /// The patient's INS: the first id that is one (the legacy INS-C is skipped).
    pub fn ins(&self) -> Option<Ins> {
        self.ids.iter().find_map(RawId::ins)
    }
}

/// The answer to TD0.4: the status and the DMPs, in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorizedPatients {
    /// `output/status`, `output/context`.
    pub status: ServiceStatus,
    /// Every `patientlistData`.
    pub patients: Vec<AuthorizedPatient>,
}

impl AuthorizedPatients {
    /// Reads `patientListResponse`, in a SOAP envelope or bare.
    ///
    /// Errors ([`Error::Data`]): input the hardened reader refuses, no such element, no
    /// `output/status`, a `patientlistData` whose `MT` or `message` is missing or not an
    /// `xs:boolean`.
    pub fn parse(xml: &[u8]) -> Result<AuthorizedPatients> {
        let doc = reader::parse(xml, &Limits::default())?;
        let (out, status) = output(&doc, NS_PATIENTS, "patientListResponse")?;
        let patients = out
            .children_named(NS_PATIENTS, "patientlistData")
            .map(|p| {
                let t = |local: &str| text(p, NS_PATIENTS, local);
                Ok(AuthorizedPatient {
                    ids: p
                        .children_named(NS_PATIENTS, "patientIdentifier")
                        .map(|i| RawId {
                            root: text(i, NS_PATIENTS, "nationalIdType"),
                            extension: text(i, NS_PATIENTS, "nationalId"),
                            null_flavor: None,
                        })
                        .collect(),
                    last_name: t("lastName"),
                    patronymical_name: t("patronymicalName"),
                    first_name: t("firstName"),
                    civility: t("civility"),
                    birth_date: t("dateOfBirth"),
                    medecin_traitant: boolean(p, "MT")?,
                    message: boolean(p, "message")?,
                    last_access_date: t("lastAccessDate"),
                    last_update_date: t("lastUpdateDate"),
                    last_add_date: t("lastAddDate"),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AuthorizedPatients { status, patients })
    }

    /// The DMP's error, when the status is not `DMPOk`.
    pub fn error(&self) -> Option<DmpError> {
        self.status.error()
    }
}

open_code_enum! {
    /// A professional's authorisation mode in the TD1.6 answer (`modeType`).
    pub enum AuthorizationMode {
        /// `ACTIVE`: authorised.
        Active = "ACTIVE",
        /// `INTERDITE`: blocked by the patient.
        Interdite = "INTERDITE",
    }
}

/// One professional of the TD1.6 answer (`listOfAuthorizationByPatient`), verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorizedProfessional {
    /// `nationalId` (PS IdNat, `8`+RPPS…).
    pub national_id: Option<String>,
    /// `nationalIdType` (`1.2.250.1.71.4.2.1`).
    pub national_id_type: Option<String>,
    /// `firstName`.
    pub first_name: Option<String>,
    /// `lastName`.
    pub last_name: Option<String>,
    /// `codeSpeciality`s (`G15_10/SM26`), in order.
    pub speciality_codes: Vec<String>,
    /// `libSpeciality`s, in order.
    pub speciality_labels: Vec<String>,
    /// `startOfAuthorization` as written.
    pub start_of_authorization: Option<String>,
    /// `lastActionDate` as written.
    pub last_action_date: Option<String>,
    /// `mode`.
    pub mode: Option<AuthorizationMode>,
    /// `specificRight`s (`MEDECIN_TRAITANT`), verbatim.
    pub specific_rights: Vec<String>,
}

/// The answer to TD1.6: the status and the professionals, in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorizedProfessionals {
    /// `output/status`, `output/context`.
    pub status: ServiceStatus,
    /// Every `listOfAuthorizationByPatient`.
    pub professionals: Vec<AuthorizedProfessional>,
}

impl AuthorizedProfessionals {
    /// Reads `listAuthorizationByPatientResponse`, in a SOAP envelope or bare.
    ///
    /// Errors ([`Error::Data`]): input the hardened reader refuses, no such element, no
    /// `output/status`.
    pub fn parse(xml: &[u8]) -> Result<AuthorizedProfessionals> {
        let doc = reader::parse(xml, &Limits::default())?;
        let (out, status) = output(&doc, NS_HABILITATIONS, "listAuthorizationByPatientResponse")?;
        let ns = NS_HABILITATIONS;
        let professionals = out
            .children_named(ns, "listOfAuthorizationByPatient")
            .map(|p| {
                let t = |local: &str| text(p, ns, local);
                let all = |local: &'static str| {
                    p.children_named(ns, local)
                        .map(|e| e.text().trim().to_owned())
                        .collect()
                };
                AuthorizedProfessional {
                    national_id: t("nationalId"),
                    national_id_type: t("nationalIdType"),
                    first_name: t("firstName"),
                    last_name: t("lastName"),
                    speciality_codes: all("codeSpeciality"),
                    speciality_labels: all("libSpeciality"),
                    start_of_authorization: t("startOfAuthorization"),
                    last_action_date: t("lastActionDate"),
                    mode: t("mode").map(|m| AuthorizationMode::from_code(&m)),
                    specific_rights: all("specificRight"),
                }
            })
            .collect();
        Ok(AuthorizedProfessionals {
            status,
            professionals,
        })
    }

    /// The DMP's error, when the status is not `DMPOk`.
    pub fn error(&self) -> Option<DmpError> {
        self.status.error()
    }
}

/// The trimmed text of child `local`, `None` when absent or empty.
fn text(e: Element<'_>, ns: &str, local: &str) -> Option<String> {
    let t = e.child(ns, local)?.text().trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The `output` of the first `response` element and its status.
fn output<'d>(
    doc: &'d reader::Document,
    ns: &str,
    response: &str,
) -> Result<(Element<'d>, ServiceStatus)> {
    let r = doc.elements().find(|e| e.is(ns, response)).ok_or_else(|| {
        Error::data(
            response,
            0,
            format!("no {response} element in the namespace {ns}"),
        )
    })?;
    let out = r
        .child(ns, "output")
        .ok_or_else(|| Error::data(response, r.line(), format!("{response} has no output")))?;
    let status = text(out, ns, "status")
        .ok_or_else(|| Error::data(response, out.line(), "output has no status"))?;
    Ok((
        out,
        ServiceStatus {
            response: response.to_owned(),
            status,
            context: text(out, ns, "context"),
        },
    ))
}

/// A required `xs:boolean` child of a `patientlistData` (`true`, `false`, `1`, `0`).
fn boolean(p: Element<'_>, local: &str) -> Result<bool> {
    let source = "patientListResponse";
    match text(p, NS_PATIENTS, local).as_deref() {
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(Error::data(
            source,
            p.line(),
            format!("patientlistData/{local} is \"{other}\", not a boolean"),
        )),
        None => Err(Error::data(
            source,
            p.line(),
            format!("patientlistData has no {local}"),
        )),
    }
}
