//! The VIHF (Vecteur d'Identification et d'Habilitation Formelles): the SAML 2.0 assertion
//! that rides in the `wsse:Security` header of every DMP request and says who acts, for which
//! structure, on which patient, in which access mode, from which software.
//!
//! This module builds the **unsigned** assertion ([`Vihf::to_xml`]); the enveloped signature
//! (a `ds:Signature` spliced right after `saml2:Issuer`) is the XML-signature layer's job,
//! and the signed bytes go verbatim into the envelope ([`crate::soap::build_envelope`]).
//!
//! # What is emitted
//!
//! Ground truth: the official VIHF samples of the DMP integration kit (DIRECTE, INDIRECTE,
//! INDIRECTE_RENFORCEE) and the VIHF inside every official request. Elements, in order:
//!
//! ```text
//! saml2:Assertion  ID="_…" IssueInstant="2019-06-26T08:08:55.469Z" Version="2.0"
//!   saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"  (signing certificate DN)
//!   saml2:Subject/saml2:NameID                      (the user's IdNat)
//!   saml2:Conditions NotBefore NotOnOrAfter         (only when a validity is given; the samples have none)
//!   saml2:AuthnStatement AuthnInstant
//!     saml2:AuthnContext/saml2:AuthnContextClassRef (the local authentication)
//!                       /saml2:AuthnContextDecl     (INDIRECTE_RENFORCEE only)
//!   saml2:AttributeStatement                        (see the table below)
//! ```
//!
//! | # | `Attribute @Name` | value | modes |
//! |---|---|---|---|
//! | 1 | `Identifiant_Structure` | `xs:string`, e.g. `1` + FINESS | all |
//! | 2 | `Secteur_Activite` | `xs:string` `SAxx^1.2.250.1.71.4.2.4` | all |
//! | 3 | `urn:oasis:names:tc:xspa:1.0:subject:subject-id` | `xs:string` `FAMILY Given` | INDIRECTE, AIR (DIRECTE only with [`VihfProfile::subject_id_in_directe`]) |
//! | 4 | `urn:oasis:names:tc:xacml:2.0:subject:role` | one `Role` (HL7 `CE`) per value: profession, then specialty | all |
//! | 5 | `VIHF_Version` | `xs:string` `3.0` ([`VihfVersion`]) | all |
//! | 6 | `Authentification_mode` ([`ModeAttributeName`]) | `xs:string` `DIRECTE` / `INDIRECTE` / `INDIRECTE_RENFORCEE` | all |
//! | 7 | `urn:oasis:names:tc:xacml:2.0:resource:resource-id` | `xs:string` INS in CX form | all |
//! | 8 | `Ressource_URN` | `xs:string` `urn:dmp` | all |
//! | 9 | `urn:oasis:names:tc:xspa:1.0:subject:purposeofuse` | one `PurposeOfUse` (CE, TRE_R248) | all |
//! | 10 | `urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code` | one `ConfidentialityCode` (CE) `INVISIBLE_REPRESENTANTS_LEGAUX` | only when asked ([`Vihf::hide_from_legal_representatives`]) |
//! | 11 | `LPS_ID` | `xs:string` | when given |
//! | 12 | `LPS_Nom` | `xs:string` | all |
//! | 13 | `LPS_Version` | `xs:string` | all |
//! | 14 | `LPS_ID_HOMOLOGATION_DMP` | `xs:string` | all |
//!
//! # Namespaces
//!
//! Every element carries an explicit prefix and, with the default [`VihfXmlStyle::Prefixed`],
//! every namespace the assertion uses (`saml2`, `xsi`, `xs`, `hl7`) is declared on the
//! `saml2:Assertion` element itself and **no default namespace is declared anywhere**: the
//! assertion is signed with exclusive C14N (whose `InclusiveNamespaces PrefixList` may hold
//! `#default`) and then embedded in the SOAP header, so its canonical form must not depend on
//! anything around it. `Role`/`PurposeOfUse` are therefore written `hl7:Role` with
//! `xsi:type="hl7:CE"`, the same expanded names as the samples' `<Role xmlns="urn:hl7-org:v3"
//! xsi:type="CE">`. [`VihfXmlStyle::AsSamples`] reproduces the samples' spelling instead.
//!
//! # Where the sources disagree
//!
//! Each disagreement is a field of [`VihfProfile`], whose default follows the official samples:
//! the casing of `Authentification_mode`, the VIHF version (`3.0`; one 2024 ANS table says
//! 4.0), the `codeSystemName` of the roles (absent in the DIRECTE/INDIRECTE samples) and of the
//! purpose of use (`mode acces VIHF 2.0`), the subject-id in direct mode (absent from the
//! DIRECTE sample).
//!
//! Integration tests: vihf.

mod token;
mod xml;

pub use token::{check_security_token, security_token, SecurityToken, TokenRole};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cda::CdaPerson;
use crate::codes::{self, system};
use crate::error::{Error, Result};
use crate::habilitation::{AccessMode, Authentication};
use crate::ids::{Finess, IdNatPs, Ins, Oid};
use crate::xml::writer::check_chars;

/// SAML 2.0 assertion namespace (prefix `saml2`).
pub const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// XML Schema instance namespace (prefix `xsi`).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema namespace (prefix `xs`), for `xsi:type="xs:string"`.
pub const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
/// HL7 v3 namespace of the `Role` / `PurposeOfUse` values (prefix `hl7`).
pub const HL7_NS: &str = "urn:hl7-org:v3";
/// `Format` of `saml2:Issuer`: an X.509 subject name.
pub const ISSUER_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName";
/// The constant `Ressource_URN` of the DMP.
pub const RESSOURCE_URN_DMP: &str = "urn:dmp";

/// Code system OIDs used by VIHF roles that [`codes::system`] does not define.
pub mod role_system {
    /// TRE_G16 ProfessionSanteEnFormation: trainees (`1.2.250.1.71.1.2.8`).
    pub const TRE_G16: &str = "1.2.250.1.71.1.2.8";
    /// TRE_G05 SectionTableauCNOP: the pharmacist's section, the second role value of a
    /// pharmacien (`1.2.250.1.71.4.2.6`, per docs/dmp-interface.md §4.3).
    pub const TRE_G05: &str = "1.2.250.1.71.4.2.6";
}

/// The `Name`s of the attributes, as the official samples spell them.
pub mod attr {
    /// Identifier of the structure (Struct_IdNat).
    pub const IDENTIFIANT_STRUCTURE: &str = "Identifiant_Structure";
    /// Activity sector, `SAxx^1.2.250.1.71.4.2.4`.
    pub const SECTEUR_ACTIVITE: &str = "Secteur_Activite";
    /// The user's name (XSPA subject-id).
    pub const SUBJECT_ID: &str = "urn:oasis:names:tc:xspa:1.0:subject:subject-id";
    /// The user's roles (XACML subject role).
    pub const ROLE: &str = "urn:oasis:names:tc:xacml:2.0:subject:role";
    /// VIHF version.
    pub const VIHF_VERSION: &str = "VIHF_Version";
    /// Authentication mode, casing of the official samples.
    pub const AUTHENTIFICATION_MODE: &str = "Authentification_mode";
    /// Authentication mode, casing of the code kits (C#, Java) and the 2024 ANS table.
    pub const AUTHENTIFICATION_MODE_KITS: &str = "Authentification_Mode";
    /// The patient (XACML resource-id): INS in CX form.
    pub const RESOURCE_ID: &str = "urn:oasis:names:tc:xacml:2.0:resource:resource-id";
    /// The resource URN, `urn:dmp`.
    pub const RESSOURCE_URN: &str = "Ressource_URN";
    /// Access mode (XSPA purpose of use).
    pub const PURPOSE_OF_USE: &str = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse";
    /// Audience restriction of the access trace (XSPA patient confidentiality code).
    pub const CONFIDENTIALITY_CODE: &str =
        "urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code";
    /// Installation identifier of the software.
    pub const LPS_ID: &str = "LPS_ID";
    /// Software name.
    pub const LPS_NOM: &str = "LPS_Nom";
    /// Software version.
    pub const LPS_VERSION: &str = "LPS_Version";
    /// DMP-compatibility (CNDA) number of the software.
    pub const LPS_ID_HOMOLOGATION_DMP: &str = "LPS_ID_HOMOLOGATION_DMP";
}

/// The VIHF authentication mode (`Authentification_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VihfMode {
    /// `INDIRECTE`: the structure's certificate; the user is authenticated locally by the
    /// software. The ESSMS default.
    #[serde(rename = "INDIRECTE")]
    Indirecte,
    /// `DIRECTE`: the professional's card (CPS/CPF/CPE) signs the VIHF.
    #[serde(rename = "DIRECTE")]
    Directe,
    /// `INDIRECTE_RENFORCEE` (AIR): the structure's certificate, the user strongly
    /// authenticated locally.
    #[serde(rename = "INDIRECTE_RENFORCEE")]
    IndirecteRenforcee,
}

impl VihfMode {
    /// The attribute value (`INDIRECTE`, `DIRECTE`, `INDIRECTE_RENFORCEE`).
    pub fn code(self) -> &'static str {
        match self {
            VihfMode::Indirecte => "INDIRECTE",
            VihfMode::Directe => "DIRECTE",
            VihfMode::IndirecteRenforcee => "INDIRECTE_RENFORCEE",
        }
    }

    /// Parses an attribute value.
    pub fn from_code(code: &str) -> Option<VihfMode> {
        match code {
            "INDIRECTE" => Some(VihfMode::Indirecte),
            "DIRECTE" => Some(VihfMode::Directe),
            "INDIRECTE_RENFORCEE" => Some(VihfMode::IndirecteRenforcee),
            _ => None,
        }
    }

    /// The mode of a login as the functional-rights tables name it: a CPS or CPE card is
    /// `DIRECTE`, the establishment certificate `INDIRECTE`, AIR `INDIRECTE_RENFORCEE`.
    pub fn for_authentication(auth: Authentication) -> VihfMode {
        match auth {
            Authentication::IndirecteCertificatEs => VihfMode::Indirecte,
            Authentication::DirecteCps | Authentication::DirecteCpe => VihfMode::Directe,
            Authentication::Air => VihfMode::IndirecteRenforcee,
        }
    }
}

/// How the user was authenticated locally: the `AuthnContextClassRef` (SAML 2.0
/// authentication context classes). The DMP requires it to reflect the real local method
/// (EX_0.1-1020); in `DIRECTE` mode it is the card, [`AuthnClass::SmartcardPki`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthnClass {
    /// `…:classes:SmartcardPKI`: a smart card with a private key (CPS, CPE).
    SmartcardPki,
    /// `…:classes:Password`: login and password.
    Password,
    /// `…:classes:PasswordProtectedTransport`: password over a protected channel (TLS).
    PasswordProtectedTransport,
    /// `…:classes:TLSClient`: a TLS client certificate.
    TlsClient,
    /// `…:classes:X509`: a software X.509 certificate.
    X509,
    /// `…:classes:MobileTwoFactorContract`: two factors with a mobile device (e-CPS…).
    MobileTwoFactorContract,
    /// `…:classes:TimeSyncToken`: a one-time-password token.
    TimeSyncToken,
    /// `…:classes:Kerberos`: a Kerberos ticket (Windows domain login).
    Kerberos,
    /// `…:classes:unspecified`: automated processing without a user.
    Unspecified,
    /// Any other class, given as its full URI (must start with `urn:`).
    Other(String),
}

const AC_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:";

impl AuthnClass {
    /// The class URI.
    pub fn uri(&self) -> String {
        let name = match self {
            AuthnClass::SmartcardPki => "SmartcardPKI",
            AuthnClass::Password => "Password",
            AuthnClass::PasswordProtectedTransport => "PasswordProtectedTransport",
            AuthnClass::TlsClient => "TLSClient",
            AuthnClass::X509 => "X509",
            AuthnClass::MobileTwoFactorContract => "MobileTwoFactorContract",
            AuthnClass::TimeSyncToken => "TimeSyncToken",
            AuthnClass::Kerberos => "Kerberos",
            AuthnClass::Unspecified => "unspecified",
            AuthnClass::Other(uri) => return uri.clone(),
        };
        format!("{AC_PREFIX}{name}")
    }
}

/// The local authentication of the user: when, how, and (AIR only) the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAuthentication {
    /// `AuthnStatement/@AuthnInstant`: when the user was authenticated. Not checked against
    /// `IssueInstant` (the official DIRECTE sample has it 13 ms later).
    pub instant: DateTime<Utc>,
    /// `AuthnContextClassRef`.
    pub class: AuthnClass,
    /// `AuthnContextDecl`: required in `INDIRECTE_RENFORCEE` mode, refused in the others.
    /// The sources disagree on its value (the official AIR sample repeats the SmartcardPKI
    /// class URI; the C# kit sends `APP_BROWSER_AUTH`; "AIR simplifié" allows only
    /// `CONF_EXI_PGSSIS`), so it is the caller's.
    pub decl: Option<String>,
}

/// One coded value of the `role`, `purposeofuse` or `confidentiality-code` attribute: an
/// HL7 v3 `CE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VihfCode {
    /// `code`.
    pub code: String,
    /// `codeSystem` (an OID).
    pub code_system: String,
    /// `codeSystemName`; when `None`, [`VihfProfile::role_system_names`] may supply one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system_name: Option<String>,
    /// `displayName`.
    pub display_name: String,
}

impl VihfCode {
    /// A code from its parts (checked by [`Vihf::validate`]).
    pub fn new(code: &str, code_system: &str, display_name: &str) -> VihfCode {
        VihfCode {
            code: code.to_owned(),
            code_system: code_system.to_owned(),
            code_system_name: None,
            display_name: display_name.to_owned(),
        }
    }

    /// A TRE_G15 profession (`10` Médecin, `60` Infirmier…), its display from the table.
    pub fn profession(code: &str) -> Result<VihfCode> {
        let c = codes::professions_sante().find(code).ok_or_else(|| {
            Error::invalid(
                "role.code",
                "must be a profession code of TRE_G15 (10 médecin, 21 pharmacien, 60 infirmier…)",
                code,
            )
        })?;
        Ok(VihfCode::new(c.code, system::TRE_G15, c.display))
    }

    /// A savoir-faire (specialty) under TRE_R01 `1.2.250.1.71.4.2.5`, the code system the
    /// official samples use (`SM26`); the display is the RASS one (JDV_J107) when known,
    /// else `display` must be given.
    pub fn specialty(code: &str, display: Option<&str>) -> Result<VihfCode> {
        let display = match display {
            Some(d) => d.to_owned(),
            None => codes::specialties()
                .find(code)
                .map(|c| c.display.to_owned())
                .ok_or_else(|| {
                    Error::invalid(
                        "role.display_name",
                        "unknown savoir-faire code (not in JDV_J107): give its display name",
                        code,
                    )
                })?,
        };
        Ok(VihfCode::new(code, system::TRE_R01, &display))
    }

    /// The role values of a person from their JDV_J01 author specialty (the code the CDA
    /// header carries, [`CdaPerson::specialty`]):
    ///
    /// | JDV_J01 code | role values |
    /// |---|---|
    /// | `G15_10/SM26` | TRE_G15 `10`, then TRE_R01 `SM26` (display: the part after ` - `) |
    /// | `G15_21/A` | TRE_G15 `21`, then TRE_G05 `A` |
    /// | `G15_60` | TRE_G15 `60` |
    /// | `G16_10` | TRE_G16 `10` |
    /// | other (`41`, `300`, `LOGICIEL_DUI`…) | the concept in its own code system |
    pub fn roles_from_author_specialty(j01: &str) -> Result<Vec<VihfCode>> {
        let concept = codes::author_specialty(j01).ok_or_else(|| {
            Error::invalid(
                "specialty",
                "must be a code of JDV_J01 XdsAuthorSpecialty",
                j01,
            )
        })?;
        if let Some(rest) = j01.strip_prefix("G15_") {
            let (prof, spec) = match rest.split_once('/') {
                Some((p, s)) => (p, Some(s)),
                None => (rest, None),
            };
            let mut roles = vec![VihfCode::profession(prof)?];
            if let Some(spec) = spec {
                let display = concept
                    .display
                    .split_once(" - ")
                    .map_or(concept.display, |(_, d)| d);
                let system = if prof == "21" {
                    role_system::TRE_G05
                } else {
                    system::TRE_R01
                };
                roles.push(VihfCode::new(spec, system, display));
            }
            return Ok(roles);
        }
        if let Some(code) = j01.strip_prefix("G16_") {
            return Ok(vec![VihfCode::new(
                code,
                role_system::TRE_G16,
                concept.display,
            )]);
        }
        Ok(vec![VihfCode::new(
            concept.code,
            concept.system,
            concept.display,
        )])
    }
}

/// The user the VIHF names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VihfUser {
    /// `Subject/NameID`: national identifier. In direct mode the card holder's; in indirect
    /// mode the locally authenticated user's (a local `3<FINESS>/<id>` one is fine); for
    /// automated processing, the person responsible for it.
    pub idnat: IdNatPs,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// The subject-id value; `None` gives `FAMILY Given` as in the samples (`MAX LIBRE`).
    /// Automated processing sends "software name, model, service".
    pub subject_id: Option<String>,
    /// Role values, in order: the profession first, then the specialty, mandatory for
    /// médecins (TRE_G15 `10`) and pharmaciens (`21`).
    pub roles: Vec<VihfCode>,
}

impl VihfUser {
    /// The user a CDA names (author or legal authenticator), roles derived from their
    /// JDV_J01 specialty ([`VihfCode::roles_from_author_specialty`]).
    pub fn from_cda_person(person: &CdaPerson) -> Result<VihfUser> {
        Ok(VihfUser {
            idnat: person.idnat.clone(),
            family_name: person.family_name.clone(),
            given_name: person.given_name.clone(),
            subject_id: None,
            roles: VihfCode::roles_from_author_specialty(&person.specialty)
                .map_err(|e| e.at("user"))?,
        })
    }

    /// The subject-id value that will be sent.
    pub fn subject_id(&self) -> String {
        match &self.subject_id {
            Some(s) => s.trim().to_owned(),
            None => format!("{} {}", self.family_name.trim(), self.given_name.trim()),
        }
    }
}

/// The software (LPS) attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lps {
    /// `LPS_ID`: identifier of the installation (optional; e.g. `01.01.01.01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `LPS_Nom`: software name.
    pub nom: String,
    /// `LPS_Version`: software version.
    pub version: String,
    /// `LPS_ID_HOMOLOGATION_DMP`: the DMP-compatibility (CNDA) number.
    pub homologation: String,
}

/// The `VIHF_Version` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum VihfVersion {
    /// `3.0`: every official sample and code kit.
    #[default]
    #[serde(rename = "3.0")]
    V3_0,
    /// `4.0`: the 2024 ANS HL7v2 mapping table (whose own example still says 3.0).
    #[serde(rename = "4.0")]
    V4_0,
}

impl VihfVersion {
    /// The value sent.
    pub fn as_str(self) -> &'static str {
        match self {
            VihfVersion::V3_0 => "3.0",
            VihfVersion::V4_0 => "4.0",
        }
    }
}

/// The `Name` of the authentication-mode attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeAttributeName {
    /// `Authentification_mode`, as the official samples.
    #[default]
    Samples,
    /// `Authentification_Mode`, as the C# and Java kits and the 2024 ANS table.
    Kits,
}

impl ModeAttributeName {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            ModeAttributeName::Samples => attr::AUTHENTIFICATION_MODE,
            ModeAttributeName::Kits => attr::AUTHENTIFICATION_MODE_KITS,
        }
    }
}

/// The `codeSystemName` given to role values that carry none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSystemNames {
    /// No `codeSystemName`, as the official DIRECTE and INDIRECTE samples.
    #[default]
    Omit,
    /// `professions` (TRE_G15) / `specialites RPPS` (TRE_R01), as the official AIR sample
    /// and the DRIMbox; none for other systems.
    Descriptive,
    /// `G15` / `R01` / `G05` / `G16`, which a 2026 integrator reports as required.
    Short,
}

impl RoleSystemNames {
    fn name_for(self, code_system: &str) -> Option<&'static str> {
        match self {
            RoleSystemNames::Omit => None,
            RoleSystemNames::Descriptive => match code_system {
                system::TRE_G15 => Some("professions"),
                system::TRE_R01 => Some("specialites RPPS"),
                _ => None,
            },
            RoleSystemNames::Short => match code_system {
                system::TRE_G15 => Some("G15"),
                system::TRE_R01 => Some("R01"),
                role_system::TRE_G05 => Some("G05"),
                role_system::TRE_G16 => Some("G16"),
                _ => None,
            },
        }
    }
}

/// How namespaces are spelled in the assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VihfXmlStyle {
    /// Every namespace declared once on `saml2:Assertion` (`saml2`, `xsi`, `xs`, `hl7`), every
    /// element prefixed (`hl7:Role xsi:type="hl7:CE"`), no default namespace anywhere. Safe
    /// for exclusive C14N with `#default` in the `InclusiveNamespaces PrefixList`.
    #[default]
    Prefixed,
    /// The spelling of the official DIRECTE/INDIRECTE samples (and OpenSAML): `xmlns:xs` on
    /// each `saml2:AttributeValue`, `<Role xmlns="urn:hl7-org:v3" xsi:type="CE">`, i.e. a
    /// default namespace declared on the `Role`/`PurposeOfUse` leaves.
    AsSamples,
}

/// Choices where the sources disagree; the default follows the official samples (see the
/// [module documentation](self)). Read from JSON with unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VihfProfile {
    /// `VIHF_Version` (default `3.0`).
    pub version: VihfVersion,
    /// Casing of the mode attribute's name (default `Authentification_mode`).
    pub mode_attribute: ModeAttributeName,
    /// `codeSystemName` of the purpose of use (default `mode acces VIHF 2.0`, as the
    /// samples; older kits send `mode acces VIHF 1.0`).
    pub purpose_code_system_name: String,
    /// `codeSystemName` of role values that have none (default: omitted).
    pub role_system_names: RoleSystemNames,
    /// Whether the subject-id attribute is sent in `DIRECTE` mode (default false: the
    /// DIRECTE sample has none; it is always sent in the other modes).
    pub subject_id_in_directe: bool,
    /// Namespace spelling (default [`VihfXmlStyle::Prefixed`]).
    pub style: VihfXmlStyle,
}

impl Default for VihfProfile {
    fn default() -> Self {
        VihfProfile {
            version: VihfVersion::default(),
            mode_attribute: ModeAttributeName::default(),
            purpose_code_system_name: "mode acces VIHF 2.0".to_owned(),
            role_system_names: RoleSystemNames::default(),
            subject_id_in_directe: false,
            style: VihfXmlStyle::default(),
        }
    }
}

/// `saml2:Conditions`: the validity window of the assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// `NotBefore`.
    pub not_before: DateTime<Utc>,
    /// `NotOnOrAfter` (after `not_before`).
    pub not_on_or_after: DateTime<Utc>,
}

/// A VIHF assertion, as data. Every identifier and time is an input: nothing here reads a
/// clock or draws a random number. [`Vihf::to_xml`] validates then writes the unsigned
/// assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vihf {
    /// Authentication mode.
    pub mode: VihfMode,
    /// `ID`: an XML NCName, unique per request (e.g. `_` + a UUID, [`Vihf::assertion_id_for`]).
    pub assertion_id: String,
    /// `IssueInstant`; written in UTC with milliseconds (`2019-06-26T08:08:55.469Z`).
    pub issue_instant: DateTime<Utc>,
    /// `Conditions`, optional (the samples have none; no `AudienceRestriction` is ever sent).
    pub validity: Option<Validity>,
    /// `Issuer`: the subject DN of the **signing** certificate in RFC 2253 form
    /// ([`crate::crypto::Certificate::subject_rfc2253`]).
    pub issuer: String,
    /// The user.
    pub user: VihfUser,
    /// The local authentication.
    pub authentication: LocalAuthentication,
    /// `Identifiant_Structure`: the Struct_IdNat (`1` + FINESS: [`Vihf::structure_id_of`]).
    /// Direct mode: the structure of the card's activity.
    pub structure_id: String,
    /// `Secteur_Activite` code in TRE_R02 (`SA07`…), sent as `SA07^1.2.250.1.71.4.2.4`.
    pub secteur_activite: String,
    /// The patient: `resource-id` is its CX form.
    pub patient: Ins,
    /// `purposeofuse`: the TRE_R248 access mode.
    pub purpose_of_use: AccessMode,
    /// Sends the `confidentiality-code` `INVISIBLE_REPRESENTANTS_LEGAUX` (the access is hidden
    /// from a minor's legal representatives). The XML spelling of this attribute is not
    /// evidenced in any official sample: it is written like `PurposeOfUse`, as an HL7 `CE`
    /// element named `ConfidentialityCode`.
    pub hide_from_legal_representatives: bool,
    /// Software attributes.
    pub lps: Lps,
    /// Choices where the sources disagree.
    pub profile: VihfProfile,
}

impl Vihf {
    /// `_` + the hyphenated UUID, the shape of the samples' IDs.
    pub fn assertion_id_for(uuid: uuid::Uuid) -> String {
        format!("_{}", uuid.hyphenated())
    }

    /// The Struct_IdNat of a FINESS structure: `1` + FINESS.
    pub fn structure_id_of(finess: &Finess) -> String {
        finess.struct_idnat()
    }

    /// Checks every field; errors name the field (`vihf.user.roles`, `vihf.issuer`…), the
    /// rule and the value.
    pub fn validate(&self) -> Result<()> {
        self.validate_inner().map_err(|e| e.at("vihf"))
    }

    /// The unsigned `saml2:Assertion` (UTF-8, no XML declaration, no BOM), after
    /// [`validate`](Self::validate). Same value, same bytes.
    pub fn to_xml(&self) -> Result<Vec<u8>> {
        self.validate()?;
        xml::write(self).map_err(|e| e.at("vihf"))
    }

    /// Whether the subject-id attribute is sent.
    pub fn sends_subject_id(&self) -> bool {
        self.mode != VihfMode::Directe || self.profile.subject_id_in_directe
    }

    fn validate_inner(&self) -> Result<()> {
        check_ncname("assertion_id", &self.assertion_id)?;
        check_value("issuer", &self.issuer)?;
        if let Some(v) = &self.validity {
            if v.not_on_or_after <= v.not_before {
                return Err(Error::invalid(
                    "validity",
                    "NotOnOrAfter must be after NotBefore",
                    format!("{} .. {}", v.not_before, v.not_on_or_after),
                ));
            }
        }
        self.validate_user().map_err(|e| e.at("user"))?;
        self.validate_authentication()
            .map_err(|e| e.at("authentication"))?;
        check_structure_id(&self.structure_id)?;
        if codes::sectors().find(&self.secteur_activite).is_none() {
            return Err(Error::invalid(
                "secteur_activite",
                "must be an activity sector code of TRE_R02 (SA01, SA07…), without the \
                 ^1.2.250.1.71.4.2.4 suffix",
                &self.secteur_activite,
            ));
        }
        self.validate_lps().map_err(|e| e.at("lps"))?;
        let p = &self.profile;
        check_value(
            "profile.purpose_code_system_name",
            &p.purpose_code_system_name,
        )?;
        Ok(())
    }

    fn validate_user(&self) -> Result<()> {
        let u = &self.user;
        check_value("family_name", &u.family_name)?;
        check_value("given_name", &u.given_name)?;
        if let Some(s) = &u.subject_id {
            check_value("subject_id", s)?;
        }
        if u.roles.is_empty() {
            return Err(Error::invalid(
                "roles",
                "at least one role value is required: the profession (e.g. TRE_G15 60 \
                 infirmier), then the specialty for médecins and pharmaciens",
                "",
            ));
        }
        for (i, r) in u.roles.iter().enumerate() {
            check_code(r).map_err(|e| e.at(&format!("roles[{i}]")))?;
        }
        let first = &u.roles[0];
        if first.code_system == system::TRE_G15 && matches!(first.code.as_str(), "10" | "21") {
            let (who, wanted, allowed): (&str, &str, &[&str]) = if first.code == "10" {
                (
                    "a médecin (TRE_G15 10)",
                    "a TRE_R01 savoir-faire such as SM26",
                    &[system::TRE_R01, system::TRE_R38],
                )
            } else {
                (
                    "a pharmacien (TRE_G15 21)",
                    "a TRE_G05 section such as A",
                    &[role_system::TRE_G05, system::TRE_R01],
                )
            };
            let ok = u
                .roles
                .get(1)
                .is_some_and(|s| allowed.contains(&s.code_system.as_str()));
            if !ok {
                let value: Vec<String> = u
                    .roles
                    .iter()
                    .map(|r| format!("{}@{}", r.code, r.code_system))
                    .collect();
                return Err(Error::invalid(
                    "roles",
                    format!(
                        "{who} needs the specialty as second role value ({wanted}); without \
                         it the DMP answers \"Aucune spécialité dans le vihf. Spécialité \
                         obligatoire pour les Médecins et Pharmaciens\""
                    ),
                    value.join(", "),
                ));
            }
        }
        Ok(())
    }

    fn validate_authentication(&self) -> Result<()> {
        let a = &self.authentication;
        if let AuthnClass::Other(uri) = &a.class {
            check_value("class", uri)?;
            if !uri.starts_with("urn:") || uri.contains(char::is_whitespace) {
                return Err(Error::invalid(
                    "class",
                    "a custom authentication context class must be a URN without spaces",
                    uri,
                ));
            }
        }
        match (self.mode, &a.decl) {
            (VihfMode::IndirecteRenforcee, None) => {
                return Err(Error::invalid(
                    "decl",
                    "INDIRECTE_RENFORCEE (AIR) mode requires an AuthnContextDecl",
                    "",
                ))
            }
            (VihfMode::IndirecteRenforcee, Some(d)) => check_value("decl", d)?,
            (mode, Some(d)) => {
                return Err(Error::invalid(
                    "decl",
                    format!(
                        "AuthnContextDecl is sent in INDIRECTE_RENFORCEE mode only, not {}",
                        mode.code()
                    ),
                    d,
                ))
            }
            (_, None) => {}
        }
        if self.mode == VihfMode::Directe && a.class != AuthnClass::SmartcardPki {
            return Err(Error::invalid(
                "class",
                "DIRECTE mode authenticates with the card: the class must be SmartcardPKI",
                a.class.uri(),
            ));
        }
        Ok(())
    }

    fn validate_lps(&self) -> Result<()> {
        let l = &self.lps;
        if let Some(id) = &l.id {
            check_value("id", id)?;
        }
        check_value("nom", &l.nom)?;
        check_value("version", &l.version)?;
        check_value("homologation", &l.homologation)?;
        Ok(())
    }
}

/// Non-empty, no surrounding whitespace, only characters XML 1.0 allows.
fn check_value(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty", value));
    }
    if value.trim() != value {
        return Err(Error::invalid(
            field,
            "must not have leading or trailing whitespace",
            value,
        ));
    }
    check_chars(field, value)
}

fn check_code(c: &VihfCode) -> Result<()> {
    check_value("code", &c.code)?;
    Oid::new(&c.code_system).map_err(|e| {
        let rule = e
            .as_invalid()
            .map_or_else(|| "must be an OID".to_owned(), |i| i.rule.clone());
        Error::invalid("code_system", rule, &c.code_system)
    })?;
    if let Some(n) = &c.code_system_name {
        check_value("code_system_name", n)?;
    }
    check_value("display_name", &c.display_name)
}

fn check_structure_id(s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            "structure_id",
            "must be a Struct_IdNat: 1 to 64 ASCII letters and digits (e.g. 1 + FINESS)",
            s,
        ));
    }
    Ok(())
}

/// An XML NCName (ASCII subset): a letter or `_`, then letters, digits, `_ - .`.
fn check_ncname(field: &str, s: &str) -> Result<()> {
    let mut bytes = s.bytes();
    let ok = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && s.len() <= 256;
    if !ok {
        return Err(Error::invalid(
            field,
            "must be an XML ID (NCName): a letter or _, then letters, digits, _ - . (e.g. _ + UUID)",
            s,
        ));
    }
    Ok(())
}
