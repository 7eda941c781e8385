//! What a CDA R2 header says, as data: the input of [`build`](super::build) and the output of
//! [`read`](super::read). Only what the CDA carries is here, so that reading a built document
//! gives back the same value (the round-trip property the tests pin).

use chrono::{DateTime, FixedOffset, Timelike};
use serde::{Deserialize, Serialize};

use crate::codes::{self, Concept};
use crate::error::{Error, Result};
use crate::ids::{Finess, IdNatPs, Ins, Oid};
use crate::model::{
    ConfidentialityLevel, DocumentKind, Ipp, Professionnel, Structure, Traits, Usager,
};

/// Longest `title` the CI-SIS allows (structuration minimale p.21).
pub const TITLE_MAX: usize = 128;

/// A person as the CDA names them (author, legal authenticator, performer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdaPerson {
    /// National identifier (`assignedAuthor/id` under 1.2.250.1.71.4.2.1).
    pub idnat: IdNatPs,
    /// Family name (`assignedPerson/name/family`).
    pub family_name: String,
    /// Given name (`assignedPerson/name/given`).
    pub given_name: String,
    /// JDV_J01 author specialty code (`assignedAuthor/code`), e.g. `G15_10/SM26`, `313`.
    pub specialty: String,
}

impl CdaPerson {
    /// The CDA view of a professional; fails when no JDV_J01 code fits them
    /// (see [`Professionnel::author_specialty`]).
    pub fn from_professionnel(p: &Professionnel) -> Result<CdaPerson> {
        let specialty = p.author_specialty().ok_or_else(|| {
            Error::invalid(
                "specialty",
                "no JDV_J01 author specialty fits this professional: give a TRE_R85 role",
                p.idnat().to_string(),
            )
        })?;
        Ok(CdaPerson {
            idnat: p.idnat().clone(),
            family_name: p.family_name().to_owned(),
            given_name: p.given_name().to_owned(),
            specialty: specialty.code.to_owned(),
        })
    }

    /// The JDV_J01 concept of `specialty`.
    pub fn specialty_concept(&self) -> Result<&'static Concept> {
        codes::author_specialty(&self.specialty).ok_or_else(|| {
            Error::invalid(
                "specialty",
                "must be a code of JDV_J01 XdsAuthorSpecialty",
                &self.specialty,
            )
        })
    }

    fn validate(&self) -> Result<()> {
        crate::model::check_name("family_name", &self.family_name)?;
        crate::model::check_name("given_name", &self.given_name)?;
        self.specialty_concept().map(|_| ())
    }
}

/// The patient as the CDA carries them (`recordTarget`): the INS, the identity traits and
/// the local IPP. The identity status is not carried: a CDA for the DMP carries a qualified
/// INS only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdaPatient {
    /// The INS (first `patientRole/id`).
    pub ins: Ins,
    /// Identity traits (`patient/name`, sex, birth time, birthplace).
    pub traits: Traits,
    /// Local identifier (second `patientRole/id`), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipp: Option<Ipp>,
}

impl CdaPatient {
    /// The CDA view of an usager; fails unless the identity is qualified (the DMP refuses
    /// any other).
    pub fn from_usager(u: &Usager) -> Result<CdaPatient> {
        Ok(CdaPatient {
            ins: u.qualified_ins()?.clone(),
            traits: u.traits().clone(),
            ipp: u.ipp().cloned(),
        })
    }

    fn validate(&self) -> Result<()> {
        let t = &self.traits;
        for (field, v) in [
            ("traits.birth_family_name", &t.birth_family_name),
            ("traits.first_given_name", &t.first_given_name),
        ] {
            crate::model::check_name(field, v)?;
        }
        for (i, g) in t.birth_given_names.iter().enumerate() {
            crate::model::check_name(&format!("traits.birth_given_names[{i}]"), g)?;
        }
        if t.birth_given_names.first() != Some(&t.first_given_name) {
            return Err(Error::invalid(
                "traits.first_given_name",
                "must be the first of birth_given_names",
                &t.first_given_name,
            ));
        }
        if t.used_family_name.as_ref() == Some(&t.birth_family_name)
            || t.used_given_name.as_ref() == Some(&t.first_given_name)
        {
            return Err(Error::invalid(
                "traits.used_family_name",
                "a used name equal to the birth name is left out (the CDA reader drops it)",
                t.used_family_name.as_deref().unwrap_or(&t.first_given_name),
            ));
        }
        if let Some(ipp) = &self.ipp {
            crate::model::check_text("ipp.id", &ipp.id, 64)?;
        }
        if t.birthplace_insee.is_none() {
            return Err(Error::invalid(
                "traits.birthplace_insee",
                "required with an INS (CI-SIS INS rule)",
                "",
            ));
        }
        Ok(())
    }
}

/// The structure as the CDA carries it: name, FINESS ET, activity sector, ESSMS category,
/// practice setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdaOrganization {
    /// Name (`representedOrganization/name`, custodian name).
    pub name: String,
    /// FINESS of the geographic establishment (ids carry `1` + FINESS).
    pub finess: Finess,
    /// Activity sector (`healthCareFacility/code`, JDV_J02).
    pub sector: String,
    /// ESSMS category (`healthCareFacility/code/translation`, JDV_J254), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Practice setting (`standardIndustryClassCode`, JDV_J04).
    pub practice_setting: String,
}

impl CdaOrganization {
    /// The CDA view of a structure (its FINESS ET).
    pub fn from_structure(s: &Structure) -> CdaOrganization {
        CdaOrganization {
            name: s.name().to_owned(),
            finess: s.finess_et().clone(),
            sector: s.sector().to_owned(),
            category: s.category().map(str::to_owned),
            practice_setting: s.practice_setting().to_owned(),
        }
    }

    /// `1` + FINESS: the structure's national identifier.
    pub fn idnat(&self) -> String {
        self.finess.struct_idnat()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        crate::model::check_text("name", &self.name, 200)?;
        for (field, set, code) in [
            ("sector", codes::facility_types(), Some(&self.sector)),
            (
                "category",
                codes::essms_categories(),
                self.category.as_ref(),
            ),
            (
                "practice_setting",
                codes::practice_settings(),
                Some(&self.practice_setting),
            ),
        ] {
            if let Some(code) = code {
                if set.find(code).is_none() {
                    return Err(Error::invalid(
                        field,
                        format!("must be a code of {}", set.name),
                        code,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An author of the document: a person, or the structure's software (DUI) as a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Author {
    /// A professional.
    Person {
        /// Who.
        person: CdaPerson,
        /// When they authored it (`author/time`).
        time: DateTime<FixedOffset>,
        /// Their function in the care (`author/functionCode`, JDV_J47), optional.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function_code: Option<String>,
    },
    /// The structure's software (`assignedAuthoringDevice`; code `LOGICIEL_DUI`, TRE_A00).
    Device {
        /// `<prefix><structure id>/<system id>`, e.g. `3690800123/DUI-1`.
        id: IdNatPs,
        /// `manufacturerModelName`.
        manufacturer_model_name: String,
        /// `softwareName`.
        software_name: String,
        /// When it produced the document.
        time: DateTime<FixedOffset>,
    },
}

/// `documentationOf/serviceEvent`: the main documented event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEvent {
    /// Start (`effectiveTime/low`), to the minute at least.
    pub start: DateTime<FixedOffset>,
    /// End (`effectiveTime/high`), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<DateTime<FixedOffset>>,
    /// The performer; the first person author when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<CdaPerson>,
}

/// `componentOf/encompassingEncounter` dates; both absent means unknown (nullFlavor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encounter {
    /// Start (`effectiveTime/low`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<FixedOffset>>,
    /// End (`effectiveTime/high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<DateTime<FixedOffset>>,
}

/// The legal authenticator: the professional responsible for the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalAuthenticator {
    /// Who.
    pub person: CdaPerson,
    /// When they took responsibility (`legalAuthenticator/time`).
    pub time: DateTime<FixedOffset>,
}

/// The header of an ESSMS document for the DMP (CI-SIS structuration minimale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdaHeader {
    /// Document kind: gives `code` (type) and, in the metadata, the class.
    pub kind: DocumentKind,
    /// Unique id of this version (`id/@root`, a plain OID: the DMP refuses root^extension).
    pub id: Oid,
    /// Id shared by every version (`setId/@root`).
    pub set_id: Oid,
    /// `versionNumber`, from 1.
    pub version_number: u32,
    /// For a new version: the `id` of the version it replaces (`relatedDocument` RPLC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Oid>,
    /// `title`, at most 128 characters.
    pub title: String,
    /// Creation time (`effectiveTime`), local to the second with its offset.
    pub effective_time: DateTime<FixedOffset>,
    /// CDA `confidentialityCode` (the DMP visibility flags live in the XDS metadata).
    #[serde(default)]
    pub confidentiality: ConfidentialityLevel,
    /// The patient.
    pub patient: CdaPatient,
    /// Authors, at least one.
    pub authors: Vec<Author>,
    /// The structure: custodian, authors' organisation, performer's organisation, facility.
    pub structure: CdaOrganization,
    /// The responsible professional.
    pub legal_authenticator: LegalAuthenticator,
    /// The main documented event.
    pub service_event: ServiceEvent,
    /// The encounter.
    #[serde(default)]
    pub encounter: Encounter,
}

impl CdaHeader {
    /// Checks the rules that the types alone do not: title length, version chain, at least one
    /// author, a qualified INS, JDV_J01 and JDV_J47 codes, times to the second.
    pub fn validate(&self) -> Result<()> {
        crate::model::check_text("title", &self.title, TITLE_MAX)?;
        match (self.version_number, &self.replaces) {
            (0, _) => return Err(Error::invalid("version_number", "starts at 1", "0")),
            (1, Some(r)) => {
                return Err(Error::invalid(
                    "replaces",
                    "version 1 replaces nothing; a new version has version_number > 1",
                    r.as_str(),
                ))
            }
            (n, None) if n > 1 => return Err(Error::invalid(
                "replaces",
                "a new version (version_number > 1) must give the id of the version it replaces",
                "",
            )),
            _ => {}
        }
        if self.replaces.as_ref() == Some(&self.id) {
            return Err(Error::invalid(
                "replaces",
                "a new version needs a new id",
                self.id.as_str(),
            ));
        }
        self.patient.validate().map_err(|e| e.at("patient"))?;
        self.structure.validate().map_err(|e| e.at("structure"))?;
        if self.authors.is_empty() {
            return Err(Error::invalid("authors", "at least one author", "[]"));
        }
        for (i, a) in self.authors.iter().enumerate() {
            let at = format!("authors[{i}]");
            match a {
                Author::Person {
                    person,
                    function_code,
                    ..
                } => {
                    person.validate().map_err(|e| e.at(&at))?;
                    if let Some(f) = function_code {
                        if codes::function_codes().find(f).is_none() {
                            return Err(Error::invalid(
                                format!("{at}.function_code"),
                                "must be a code of JDV_J47 FunctionCode",
                                f,
                            ));
                        }
                    }
                }
                Author::Device {
                    id,
                    manufacturer_model_name,
                    software_name,
                    ..
                } => {
                    if !matches!(id, IdNatPs::Local(_)) {
                        return Err(Error::invalid(
                            format!("{at}.id"),
                            "a device author is identified as <structure id>/<system id>",
                            id.to_string(),
                        ));
                    }
                    crate::model::check_name(
                        &format!("{at}.manufacturer_model_name"),
                        manufacturer_model_name,
                    )?;
                    crate::model::check_name(&format!("{at}.software_name"), software_name)?;
                }
            }
        }
        self.legal_authenticator
            .person
            .validate()
            .map_err(|e| e.at("legal_authenticator"))?;
        if let Some(p) = &self.service_event.performer {
            p.validate().map_err(|e| e.at("service_event.performer"))?;
        } else if self.first_person_author().is_none() {
            return Err(Error::invalid(
                "service_event.performer",
                "required when no author is a person",
                "",
            ));
        }
        for (field, t) in self.times() {
            if t.nanosecond() != 0 {
                return Err(Error::invalid(
                    field,
                    "CDA times are to the second: no fraction",
                    t.to_rfc3339(),
                ));
            }
        }
        Ok(())
    }

    /// The first author who is a person, if any.
    pub fn first_person_author(&self) -> Option<&CdaPerson> {
        self.authors.iter().find_map(|a| match a {
            Author::Person { person, .. } => Some(person),
            Author::Device { .. } => None,
        })
    }

    /// The performer of the service event: the given one, else the first person author.
    pub fn performer(&self) -> Option<&CdaPerson> {
        self.service_event
            .performer
            .as_ref()
            .or_else(|| self.first_person_author())
    }

    fn times(&self) -> Vec<(String, DateTime<FixedOffset>)> {
        let mut v = vec![
            ("effective_time".to_owned(), self.effective_time),
            (
                "legal_authenticator.time".to_owned(),
                self.legal_authenticator.time,
            ),
            ("service_event.start".to_owned(), self.service_event.start),
        ];
        v.extend(
            self.service_event
                .stop
                .map(|t| ("service_event.stop".to_owned(), t)),
        );
        v.extend(
            self.encounter
                .start
                .map(|t| ("encounter.start".to_owned(), t)),
        );
        v.extend(
            self.encounter
                .stop
                .map(|t| ("encounter.stop".to_owned(), t)),
        );
        for (i, a) in self.authors.iter().enumerate() {
            let t = match a {
                Author::Person { time, .. } | Author::Device { time, .. } => *time,
            };
            v.push((format!("authors[{i}].time"), t));
        }
        v
    }
}

/// The media type of an N1 body (`nonXMLBody/text/@mediaType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    /// `application/pdf` (PDF/A-1 expected by the CI-SIS).
    #[serde(rename = "application/pdf")]
    Pdf,
    /// `text/plain`.
    #[serde(rename = "text/plain")]
    Text,
    /// `image/jpeg`.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/tiff`.
    #[serde(rename = "image/tiff")]
    Tiff,
    /// `text/rtf`.
    #[serde(rename = "text/rtf")]
    Rtf,
}

impl MediaType {
    /// Every media type the CI-SIS allows in an N1 body.
    pub const ALL: [MediaType; 5] = [
        MediaType::Pdf,
        MediaType::Text,
        MediaType::Jpeg,
        MediaType::Tiff,
        MediaType::Rtf,
    ];

    /// The usual file extension (`pdf`, `txt`, `jpg`, `tif`, `rtf`), to save an extracted body.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Text => "txt",
            MediaType::Jpeg => "jpg",
            MediaType::Tiff => "tif",
            MediaType::Rtf => "rtf",
        }
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Text => "text/plain",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Tiff => "image/tiff",
            MediaType::Rtf => "text/rtf",
        }
    }

    /// Parses a MIME string (case-insensitive).
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        MediaType::ALL
            .into_iter()
            .find(|m| m.mime().eq_ignore_ascii_case(mime))
    }
}

/// The N1 body: the file and its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// Media type.
    pub media_type: MediaType,
    /// The file's bytes (not base64).
    pub data: Vec<u8>,
}

impl Content {
    /// Checks that the bytes are what the media type declares, from the format's signature:
    /// PDF (`%PDF-` in the first 1 024 bytes, as readers accept), JPEG (`FF D8 FF`), TIFF (`II*\0`
    /// or `MM\0*`), RTF (`{\rtf`), plain text (UTF-8). A DUI that attaches the wrong file, or
    /// declares the wrong type, is told so before a document the DMP cannot render is signed.
    pub fn check_format(&self) -> Result<()> {
        let d = &self.data;
        let (ok, expected) = match self.media_type {
            MediaType::Pdf => (
                d.windows(5).take(1024).any(|w| w == b"%PDF-"),
                "a PDF file starts with %PDF-",
            ),
            MediaType::Jpeg => (
                d.starts_with(&[0xFF, 0xD8, 0xFF]),
                "a JPEG file starts with FF D8 FF",
            ),
            MediaType::Tiff => (
                d.starts_with(b"II*\0") || d.starts_with(b"MM\0*"),
                "a TIFF file starts with II*\\0 or MM\\0*",
            ),
            MediaType::Rtf => (d.starts_with(b"{\\rtf"), "an RTF file starts with {\\rtf"),
            MediaType::Text => (
                std::str::from_utf8(d).is_ok(),
                "plain text must be UTF-8 (convert Latin-1 or Windows-1252 text first)",
            ),
        };
        if ok {
            return Ok(());
        }
        let head: Vec<String> = d.iter().take(8).map(|b| format!("{b:02X}")).collect();
        Err(Error::invalid(
            "content",
            format!(
                "the bytes are not {}: {expected}; check the file and its media_type",
                self.media_type.mime()
            ),
            format!("{} bytes starting with {}", d.len(), head.join(" ")),
        ))
    }
}
